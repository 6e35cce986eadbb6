"""The offline plan's stand-in for AWS Organizations: a JSON file describing the organization's tree.

    {"id": "o-...", "rootId": "r-...", "managementAccountId": "...",
     "units": [{"id": "ou-...", "parentId": "r-...|ou-...", "name": "..."}],
     "accounts": [{"id": "...", "parentId": "r-...|ou-...", "status": "ACTIVE|SUSPENDED", "name": "..."}]}

`managementAccountId` is optional (default: the plan's home account). The README shows how to write the
file with the AWS CLI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.stack_config import ACCOUNT_ID as ACCOUNT_ID_PATTERN

ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
ROOT_ID = re.compile(r"r-[0-9a-z]{4,32}")
UNIT_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")
ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
STATUSES = ("ACTIVE", "SUSPENDED", "PENDING_CLOSURE")
HOW_TO_MAKE = (
    "the stack sets `organization`, so the offline plan needs the organization's tree: "
    "pass --organization FILE (`make plan STACK=<stack> ORGANIZATION=FILE`), a JSON file made with the AWS CLI "
    "from the management account or a delegated administrator (`aws organizations describe-organization`, "
    "`list-roots`, `list-organizational-units-for-parent` and `list-accounts-for-parent`; the README's "
    "'Organization mode' section has the script and the format)"
)


class OrganizationFileError(ValueError):
    """The organization file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class OrganizationAccount:
    id: str
    parent_id: str
    status: str
    name: str


@dataclass(frozen=True)
class Organization:
    id: str
    root_id: str
    management_account_id: str | None
    unit_parents: dict[str, str]  # OU ID -> parent (root or OU)
    accounts: tuple[OrganizationAccount, ...]

    def knows(self, parent_id: str) -> bool:
        return parent_id == self.root_id or parent_id in self.unit_parents

    def ancestors(self, parent_id: str) -> list[str]:
        """The chain from `parent_id` up to the root, both included."""
        chain = [parent_id]
        while chain[-1] in self.unit_parents:
            chain.append(self.unit_parents[chain[-1]])
        return chain

    def descendant_accounts(self, parent_id: str) -> list[OrganizationAccount]:
        """Every account below `parent_id`, at any depth (ListAccounts for an OU and its child OUs)."""
        return [account for account in self.accounts if parent_id in self.ancestors(account.parent_id)]


def load_organization(path: Path) -> Organization:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise OrganizationFileError(f"{path}: cannot be read as JSON ({error})") from None
    return parse_organization(data, str(path))


def _text(problems: list[str], where: str, raw: Mapping[str, Any], key: str, rule: re.Pattern[str]) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not rule.fullmatch(value):
        problems.append(f"{where}.{key}: {value!r} is not accepted; expected to match {rule.pattern}")
        return ""
    return value


def parse_organization(data: Any, source: str = "organization file") -> Organization:
    """The file's content checked: IDs well formed, every parent known, no cycles; every problem at once."""
    if not isinstance(data, dict):
        raise OrganizationFileError(f"{source}: expected a JSON object with id, rootId, units and accounts")
    problems: list[str] = []
    organization_id = _text(problems, source, data, "id", ORGANIZATION_ID)
    root_id = _text(problems, source, data, "rootId", ROOT_ID)
    management = data.get("managementAccountId")
    if management is not None and not (isinstance(management, str) and ACCOUNT_ID.fullmatch(management)):
        problems.append(f"{source}.managementAccountId: {management!r} is not accepted; expected 12 digits")
    units: dict[str, str] = {}
    for index, unit in enumerate(data.get("units") or []):
        where = f"{source}.units[{index}]"
        if not isinstance(unit, dict):
            problems.append(f"{where}: expected an object with id, parentId and name")
            continue
        units[_text(problems, where, unit, "id", UNIT_ID)] = str(unit.get("parentId"))
    accounts = []
    for index, account in enumerate(data.get("accounts") or []):
        where = f"{source}.accounts[{index}]"
        if not isinstance(account, dict):
            problems.append(f"{where}: expected an object with id, parentId, status and name")
            continue
        status = account.get("status")
        if status not in STATUSES:
            problems.append(f"{where}.status: {status!r} is not accepted; expected one of {', '.join(STATUSES)}")
        accounts.append(
            OrganizationAccount(
                _text(problems, where, account, "id", ACCOUNT_ID),
                str(account.get("parentId")),
                str(status),
                str(account.get("name", "")),
            )
        )
    known = {root_id, *units}
    for unit, parent in units.items():
        if parent not in known:
            problems.append(f"{source}: unit {unit} has parent {parent!r}, which is neither the root nor a unit")
    for account in accounts:
        if account.parent_id not in known:
            problems.append(
                f"{source}: account {account.id} has parent {account.parent_id!r}, which is not in the file"
            )
    problems.extend(_cycles(units, source))
    if problems:
        raise OrganizationFileError("\n".join(problems))
    return Organization(organization_id, root_id, management, units, tuple(accounts))


def _cycles(units: Mapping[str, str], source: str) -> list[str]:
    problems = []
    for unit in units:
        seen = {unit}
        parent = units[unit]
        while parent in units:
            if parent in seen:
                problems.append(f"{source}: unit {unit} is its own ancestor")
                break
            seen.add(parent)
            parent = units[parent]
    return problems
