"""KMS's default key policy, written out: it passes where leaving `policy` out (which gives the same) passes.

AWS's default key policy is one statement: the key's own account root may do `kms:*` on the key, which hands the
decision to that account's IAM policies (the pack checks those). The same statement naming another account
hands that account the key, so it passes only for an account the pack can tell is the key's own: the explicit
provider's `allowedAccountIds` or assumed role, the key's own ARN (known after `up`), or the account of an exact
trusted principal in the pack config (`plan` passes the user's exact ARN).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .iam_documents import as_list, parse_document, statements

ROOT = re.compile(r"(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::root)?")
ACCOUNT_IN_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")
DEFAULT_KEYS = frozenset({"Sid", "Effect", "Principal", "Action", "Resource"})


def default_statement_account(statement: Any) -> str | None:
    """The account of a statement shaped as KMS's default one (root, `kms:*`, `*`, no condition), else None."""
    if not isinstance(statement, dict) or not set(statement) <= DEFAULT_KEYS or statement.get("Effect") != "Allow":
        return None
    if as_list(statement.get("Action")) != ["kms:*"] or as_list(statement.get("Resource")) != ["*"]:
        return None
    principal = statement.get("Principal")
    roots = as_list(principal.get("AWS")) if isinstance(principal, dict) and set(principal) == {"AWS"} else []
    match = ROOT.fullmatch(roots[0]) if len(roots) == 1 and isinstance(roots[0], str) else None
    return match.group(1) if match else None


def _decoded(value: Any) -> Any:
    """Provider inputs reach the pack as the engine stores them: objects and lists may be JSON text."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def own_accounts(key_props: Mapping[str, Any], provider_props: Mapping[str, Any], trusted: Iterable[str]) -> set[str]:
    """Accounts the pack can tell the key lives in (see the module docstring)."""
    accounts: set[str] = set()
    allowed = _decoded(provider_props.get("allowedAccountIds"))
    accounts.update(a for a in as_list(allowed or []) if isinstance(a, str) and ROOT.fullmatch(a))
    roles = [*as_list(_decoded(provider_props.get("assumeRoles")) or []), _decoded(provider_props.get("assumeRole"))]
    arns = [role.get("roleArn") for role in roles if isinstance(role, dict)]
    arns.extend([key_props.get("arn"), *trusted])
    for arn in arns:
        match = ACCOUNT_IN_ARN.match(arn) if isinstance(arn, str) else None
        if match:
            accounts.add(match.group(1))
    return accounts


def without_default_statement(document: Any, accounts: set[str]) -> tuple[Any, list[str]]:
    """The document less its default statements for `accounts`, and a problem for each naming another account."""
    parsed, error = parse_document(document)
    if parsed is None or error:
        return document, []
    kept, problems = [], []
    for label, statement in statements(parsed):
        account = default_statement_account(statement)
        if account is None:
            kept.append(statement)
        elif account not in accounts:
            problems.append(
                f"{label} is KMS's default key statement for account {account}, which the pack cannot tell is this "
                "key's own: for another account it hands over the key; leave policy out (AWS then writes this "
                "statement for the key's own account), or give the provider allowedAccountIds"
            )
    if problems or len(kept) == len(statements(parsed)):
        return document, problems
    return json.dumps({**parsed, "Statement": kept}), problems
