"""`verify`: with the stack's access key, do what the Axonius adapter does and check what it may and may not do.

It reads the stack's outputs (through the Automation API, or from the JSON file that
`pulumi stack output --json --show-secrets` writes) and reports a matrix of account x check:

- `identity`: the key signs in as the inventory user (`sts:GetCallerIdentity`);
- `key`: the key is Active, and a warning past 90 days (the common control, e.g. Security Hub IAM.3);
- `assume-role`: each role of the role file is assumed with its external ID for `maxSessionDuration` seconds;
- `read <service>`: one harmless read per service of the selected permission sets; "not enabled in this
  account/region" counts as reachable, AccessDenied fails;
- `deny <action>`: writes that must be denied; an allowed one fails, naming the policy that allowed it;
- per EKS cluster, with a token for the mapped identity: `eks pods` lists pods, `eks secrets` is forbidden.

Every AWS client is made by boto3, so `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`) is honoured.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

import boto3
import botocore.session
import requests
from botocore.exceptions import BotoCoreError, ClientError
from botocore.loaders import Loader, create_loader
from pulumi import automation as auto

from components.eks_token import eks_token

from .arguments import positive_seconds, stack_name
from .aws_client import DEFAULT_TIMEOUTS, UNREACHABLE, Timeouts, unreachable_message
from .operations import PulumiCliMissingError, StateDirectoryError, workspace

Status = Literal["PASS", "WARN", "FAIL"]
PASS: Status = "PASS"
WARN: Status = "WARN"
FAIL: Status = "FAIL"
KEY_AGE_WARNING_DAYS = 90
SESSION_NAME = "axonius-verify"
PROBE_PREFIX = "axonius-verify-probe"

# One harmless read per service, as (check name, service, operation, arguments), for each permission set.
READS: dict[str, tuple[tuple[str, str, str, dict[str, Any]], ...]] = {
    "adapter": (
        ("read ec2", "ec2", "describe_instances", {}),
        ("read ecs", "ecs", "list_clusters", {}),
        ("read eks", "eks", "list_clusters", {}),
        ("read iam", "iam", "list_users", {"MaxItems": 1}),
        ("read ssm", "ssm", "describe_parameters", {}),
        ("read rds", "rds", "describe_db_instances", {}),
        ("read s3", "s3", "list_buckets", {}),
        ("read workspaces", "workspaces", "describe_workspaces", {}),
        ("read lambda", "lambda", "list_functions", {}),
    ),
    "security-services": (
        ("read inspector2", "inspector2", "batch_get_account_status", {}),
        ("read guardduty", "guardduty", "list_detectors", {}),
        ("read macie2", "macie2", "get_macie_session", {}),
        ("read securityhub", "securityhub", "describe_hub", {}),
    ),
}
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "Forbidden"}
)
# A service that is not switched on in the account or region answers these: reachable, nothing to read.
NOT_ENABLED_CODES = frozenset({"InvalidAccessException", "SubscriptionRequiredException", "OptInRequired"})
NOT_ENABLED_MESSAGE = re.compile(r"not (enabled|subscribed)|is disabled|must enable", re.IGNORECASE)


class VerifyUsageError(Exception):
    """The outputs cannot be verified as given (missing, hidden secrets, unreadable), or AWS does not answer at
    all. Exit code 2."""


@dataclass(frozen=True)
class CheckResult:
    account: str  # an account ID, or `eks <cluster>` for a cluster
    check: str
    status: Status
    detail: str


@dataclass(frozen=True)
class RoleEntry:
    arn: str
    external_id: str | None

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ClusterEntry:
    name: str
    region: str
    account: str
    identity: str
    endpoint: str
    certificate_authority: str


@dataclass(frozen=True)
class VerifyTarget:
    """What one stack says the adapter gets, and the key to try it with."""

    user_arn: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    region: str
    permission_sets: tuple[str, ...]
    max_session_duration: int
    roles: tuple[RoleEntry, ...] = ()
    clusters: tuple[ClusterEntry, ...] = ()

    @property
    def home_account(self) -> str:
        return self.user_arn.split(":")[4]


def _required(outputs: Mapping[str, Any], name: str) -> Any:
    if name not in outputs:
        raise VerifyUsageError(f"the stack has no output {name!r}; deploy this version of the program first")
    value = outputs[name]
    if value == "[secret]":
        raise VerifyUsageError(
            f"output {name!r} is hidden; write the file with `pulumi stack output --json --show-secrets`"
        )
    return value


def target_from_outputs(
    outputs: Mapping[str, Any],
    *,
    key_slot: int | None = None,
    environ: Mapping[str, str] | None = None,
    secret_file: Path | None = None,
) -> VerifyTarget:
    """The stack's outputs as a plan to verify; `key_slot` picks a slot's key instead of the active one.

    `secret_file` holds the key's secret when the stack does not: a key adopted from a manual setup (README:
    Adopting an existing setup) was imported, and AWS never hands a secret out again.
    """
    try:
        return _target(outputs, key_slot, os.environ if environ is None else environ, secret_file)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise VerifyUsageError(f"the stack outputs are not as this program exports them ({error!r})") from None


def _supplied_secret(secret_file: Path) -> str:
    try:
        return secret_file.read_text().strip()
    except OSError as error:
        raise VerifyUsageError(f"--secret-access-key-file {secret_file}: {error.strerror}") from None


def _target(
    outputs: Mapping[str, Any], key_slot: int | None, environ: Mapping[str, str], secret_file: Path | None
) -> VerifyTarget:
    if key_slot is None:
        key_id, secret = _required(outputs, "accessKeyId"), _required(outputs, "secretAccessKey")
    else:
        slots = {entry["slot"]: entry["accessKeyId"] for entry in _required(outputs, "accessKeys")}
        if key_slot not in slots:
            raise VerifyUsageError(f"key slot {key_slot} holds no key (slots with a key: {sorted(slots)})")
        key_id, secret = slots[key_slot], _required(outputs, f"secretAccessKey{key_slot}")
    if secret_file is not None:
        secret = _supplied_secret(secret_file)
    elif not secret:
        raise VerifyUsageError(
            f"the stack does not hold the secret of key {key_id} (an adopted key); "
            "give it with --secret-access-key-file FILE"
        )
    role_file = _required(outputs, "roleArnFileJson")
    roles = tuple(
        RoleEntry(entry["arn"], entry.get("external_id"))
        for entry in (json.loads(role_file) if isinstance(role_file, str) else role_file)
    )
    endpoints = {(e["name"], e["region"], e["account"]): e for e in outputs.get("eksEndpoints") or []}
    clusters = []
    for cluster in outputs.get("eksClusters") or []:
        where = (cluster["name"], cluster["region"], cluster["account"])
        if where not in endpoints:
            raise VerifyUsageError(f"no endpoint for cluster {cluster['name']} in the output 'eksEndpoints'")
        found = endpoints[where]
        clusters.append(ClusterEntry(*where, cluster["identity"], found["endpoint"], found["certificateAuthority"]))
    region = outputs.get("region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return VerifyTarget(
        user_arn=_required(outputs, "userArn"),
        access_key_id=key_id,
        secret_access_key=secret,
        region=region,
        permission_sets=tuple(_required(outputs, "permissionSets")),
        max_session_duration=int(_required(outputs, "maxSessionDuration")),
        roles=roles,
        clusters=tuple(clusters),
    )


@dataclass(frozen=True)
class Principal:
    """Who the adapter is in one account: the user at home, the assumed role elsewhere."""

    account: str
    arn: str  # the user's or the role's IAM ARN (not the session's)
    session: boto3.Session
    label: str  # the matrix row: the account ID, with the role's name for a role in the user's own account


@functools.cache
def _service_models() -> Loader:
    """One loader for every session: each service's model is read once, not once per principal."""
    return create_loader()


def aws_session(
    region: str, key_id: str, secret: str, token: str | None = None, timeouts: Timeouts = DEFAULT_TIMEOUTS
) -> boto3.Session:
    """A session with exactly these credentials (never the environment's), its endpoints from the environment;
    every client it makes has bounded timeouts and standard retries."""
    core = botocore.session.Session()
    core.register_component("data_loader", _service_models())
    core.set_default_client_config(timeouts.config())
    return boto3.Session(
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=region,
        botocore_session=core,
    )


def verify(
    target: VerifyTarget,
    *,
    now: datetime | None = None,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    progress: Callable[[str], None] = lambda line: None,
) -> list[CheckResult]:
    """Run every check, calling `progress` with a line as each account or cluster is done; a check never
    raises, it reports, except when STS does not answer at all (`VerifyUsageError`: nothing else would)."""
    now = now or datetime.now(UTC)
    home = aws_session(target.region, target.access_key_id, target.secret_access_key, timeouts=timeouts)
    found = [check_identity(home, target), check_key(home, target, now)]
    found += account_checks(Principal(target.home_account, target.user_arn, home, target.home_account), target)
    progress(progress_line(target.home_account, found))
    results = found
    sessions = {target.user_arn: home}
    for role in target.roles:
        label = role.account if role.account != target.home_account else f"{role.account}/{role.name}"
        result, session = assume_role(home, role, target, label, timeouts)
        found = [result]
        if session is not None:
            sessions[role.arn] = session
            found += account_checks(Principal(role.account, role.arn, session, label), target)
        progress(progress_line(label, found))
        results += found
    for cluster in target.clusters:
        found = check_cluster(cluster, sessions.get(cluster.identity), timeouts)
        progress(progress_line(f"eks {cluster.name}", found))
        results += found
    return results


def account_checks(principal: Principal, target: VerifyTarget) -> list[CheckResult]:
    return check_reads(principal, target.permission_sets) + check_writes(principal)


def progress_line(label: str, results: Sequence[CheckResult]) -> str:
    failed = sum(result.status == FAIL for result in results)
    return f"verify: {label}: {len(results)} checks, {len(results) - failed} passed, {failed} failed"


def _error(error: ClientError) -> tuple[str, str]:
    details = error.response.get("Error", {})
    return str(details.get("Code", "")), str(details.get("Message", ""))


def check_identity(session: boto3.Session, target: VerifyTarget) -> CheckResult:
    """The first call: when STS does not answer, nothing else will, so that is one usage error, not N failures."""
    sts = session.client("sts")
    try:
        arn = sts.get_caller_identity()["Arn"]
    except UNREACHABLE as error:
        raise VerifyUsageError(unreachable_message("STS", sts.meta.endpoint_url, error)) from None
    except (ClientError, BotoCoreError) as error:
        return CheckResult(target.home_account, "identity", FAIL, f"the key is not accepted: {error}")
    if arn != target.user_arn:
        return CheckResult(target.home_account, "identity", FAIL, f"signed in as {arn}, expected {target.user_arn}")
    return CheckResult(target.home_account, "identity", PASS, arn)


def check_key(session: boto3.Session, target: VerifyTarget, now: datetime) -> CheckResult:
    user_name = target.user_arn.rsplit("/", 1)[-1]
    try:
        keys = session.client("iam").list_access_keys(UserName=user_name)["AccessKeyMetadata"]
    except (ClientError, BotoCoreError) as error:
        return CheckResult(target.home_account, "key", WARN, f"could not read the key's age: {error}")
    found = next((key for key in keys if key["AccessKeyId"] == target.access_key_id), None)
    if found is None:
        return CheckResult(target.home_account, "key", FAIL, f"{target.access_key_id} is not a key of {user_name}")
    return key_age_result(target.home_account, target.access_key_id, found["Status"], found["CreateDate"], now)


def key_age_result(account: str, key_id: str, status: str, created: datetime, now: datetime) -> CheckResult:
    days = (now - created).days
    if status != "Active":
        return CheckResult(account, "key", FAIL, f"{key_id} is {status}")
    if days > KEY_AGE_WARNING_DAYS:
        return CheckResult(
            account, "key", WARN, f"{key_id} is {days} days old; rotate it (over {KEY_AGE_WARNING_DAYS})"
        )
    return CheckResult(account, "key", PASS, f"{key_id} Active, {days} days old")


def assume_role(
    home: boto3.Session, role: RoleEntry, target: VerifyTarget, label: str, timeouts: Timeouts = DEFAULT_TIMEOUTS
) -> tuple[CheckResult, boto3.Session | None]:
    """Assume the role as the adapter does, for the configured session length; check the role allows that long."""
    arguments: dict[str, Any] = {
        "RoleArn": role.arn,
        "RoleSessionName": SESSION_NAME,
        "DurationSeconds": target.max_session_duration,
    }
    if role.external_id:
        arguments["ExternalId"] = role.external_id
    try:
        answer = home.client("sts").assume_role(**arguments)["Credentials"]
    except (ClientError, BotoCoreError) as error:
        return CheckResult(label, "assume-role", FAIL, f"{role.arn}: {error}"), None
    session = aws_session(
        target.region, answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"], timeouts
    )
    try:
        cap = session.client("iam").get_role(RoleName=role.name)["Role"]["MaxSessionDuration"]
    except (ClientError, BotoCoreError):
        cap = None  # AWS refuses a DurationSeconds above the role's cap, so the assumption itself proved it
    if cap is not None and cap < target.max_session_duration:
        detail = f"{role.arn} caps sessions at {cap} s, shorter than maxSessionDuration {target.max_session_duration} s"
        return CheckResult(label, "assume-role", FAIL, detail), session
    detail = f"{role.arn}, {target.max_session_duration} s session" + (" with external ID" if role.external_id else "")
    return CheckResult(label, "assume-role", PASS, detail), session


def check_reads(principal: Principal, permission_sets: Sequence[str]) -> list[CheckResult]:
    return [
        read_result(principal, check, service, operation, arguments)
        for permission_set in permission_sets
        for check, service, operation, arguments in READS.get(permission_set, ())
    ]


def read_result(
    principal: Principal, check: str, service: str, operation: str, arguments: Mapping[str, Any]
) -> CheckResult:
    try:
        getattr(principal.session.client(service), operation)(**arguments)
    except ClientError as error:
        code, message = _error(error)
        if code in NOT_ENABLED_CODES or NOT_ENABLED_MESSAGE.search(message):
            return CheckResult(principal.label, check, PASS, f"reachable; not enabled here ({code})")
        return CheckResult(principal.label, check, FAIL, f"{code}: {message}")
    except BotoCoreError as error:
        return CheckResult(principal.label, check, FAIL, str(error))
    return CheckResult(principal.label, check, PASS, "allowed")


@dataclass(frozen=True)
class Outcome:
    """A write that was not refused: whether it was tried at all, and what undoing it left behind."""

    tried: bool = True
    note: str = ""


@dataclass(frozen=True)
class Write:
    """A write the adapter must not be able to make: `attempt` raises ClientError when it is refused."""

    action: str
    attempt: Callable[[boto3.Session], Outcome]


def _undo(undo: Callable[[], object], what: str) -> Outcome:
    """Undo a write that should have been refused; errors here must not read as the write being denied."""
    try:
        undo()
    except (ClientError, BotoCoreError) as error:
        return Outcome(note=f"; could not remove {what}, remove it by hand ({error})")
    return Outcome(note=f"; {what} removed again")


def _run_instances(session: boto3.Session) -> Outcome:
    session.client("ec2").run_instances(
        ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1, DryRun=True
    )
    return Outcome()  # not reached on AWS: an allowed DryRun answers DryRunOperation


def _create_user(session: boto3.Session) -> Outcome:
    iam = session.client("iam")
    name = f"{PROBE_PREFIX}-{uuid.uuid4().hex[:12]}"
    iam.create_user(UserName=name)
    return _undo(lambda: iam.delete_user(UserName=name), f"user {name}")


def _put_object(session: boto3.Session) -> Outcome:
    s3 = session.client("s3")
    buckets = s3.list_buckets().get("Buckets", [])
    if not buckets:
        return Outcome(tried=False, note="no bucket in this account to try it on")
    bucket, key = buckets[0]["Name"], f"{PROBE_PREFIX}-{uuid.uuid4().hex[:12]}"
    s3.put_object(Bucket=bucket, Key=key, Body=b"")
    return _undo(lambda: s3.delete_object(Bucket=bucket, Key=key), f"object s3://{bucket}/{key}")


WRITES = (
    Write("ec2:RunInstances", _run_instances),
    Write("iam:CreateUser", _create_user),
    Write("s3:PutObject", _put_object),
)


def check_writes(principal: Principal) -> list[CheckResult]:
    return [write_result(principal, write) for write in WRITES]


def write_result(principal: Principal, write: Write) -> CheckResult:
    check = f"deny {write.action}"
    outcome = Outcome()
    try:
        outcome = write.attempt(principal.session)
    except ClientError as error:
        code, message = _error(error)
        if code in DENIED_CODES:
            return CheckResult(principal.label, check, PASS, "denied")
        if code != "DryRunOperation":  # DryRunOperation: it would have succeeded
            return CheckResult(principal.label, check, FAIL, f"not shown to be denied: {code}: {message}")
    except BotoCoreError as error:
        return CheckResult(principal.label, check, FAIL, f"not shown to be denied: {error}")
    if not outcome.tried:
        return CheckResult(principal.label, check, WARN, f"not tried: {outcome.note}")
    culprit = allowing_policies(principal, write.action)
    detail = f"{write.action} is ALLOWED for {principal.arn}; {culprit}{outcome.note}"
    return CheckResult(principal.label, check, FAIL, detail)


def action_matches(pattern: str, action: str) -> bool:
    """IAM's matching: case-insensitive, `*` any run, `?` one character, everything else literal."""
    parts = ("." if char == "?" else ".*" if char == "*" else re.escape(char) for char in pattern.lower())
    return re.fullmatch("".join(parts), action.lower(), re.DOTALL) is not None


def document_allows(document: Mapping[str, Any], action: str) -> bool:
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            excluded = statement["NotAction"]
            if not any(action_matches(p, action) for p in ([excluded] if isinstance(excluded, str) else excluded)):
                return True
        listed = statement.get("Action", [])
        if any(action_matches(p, action) for p in ([listed] if isinstance(listed, str) else listed)):
            return True
    return False


def _document(raw: Any) -> Mapping[str, Any]:
    """Policy documents arrive URL-encoded JSON from the API (boto3 decodes most, not all)."""
    if isinstance(raw, str):
        return json.loads(unquote(raw))
    return raw


def allowing_policies(principal: Principal, action: str) -> str:
    """Name the policies of the principal that allow `action`, as far as its own read access can tell."""
    iam = principal.session.client("iam")
    kind, name = principal.arn.split(":")[5].split("/")[0], principal.arn.rsplit("/", 1)[-1]
    found: list[str] = []
    try:
        if kind == "user":
            attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
            inline = [
                (p, iam.get_user_policy(UserName=name, PolicyName=p))
                for p in iam.list_user_policies(UserName=name)["PolicyNames"]
            ]
        else:
            attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            inline = [
                (p, iam.get_role_policy(RoleName=name, PolicyName=p))
                for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
            ]
        for policy in attached:
            version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]
            if document_allows(_document(document["Document"]), action):
                found.append(f"{policy['PolicyName']} ({policy['PolicyArn']})")
        found += [
            f"inline policy {p}" for p, answer in inline if document_allows(_document(answer["PolicyDocument"]), action)
        ]
    except (ClientError, BotoCoreError) as error:
        return f"its policies could not be read to find which allows it ({error})"
    if not found:
        return "none of its own policies names it (a group, a resource policy or an SCP gap may)"
    return "allowed by " + ", ".join(found)


@contextmanager
def _certificate_file(certificate_authority: str) -> Iterator[str]:
    with tempfile.NamedTemporaryFile("wb", suffix=".crt") as handle:
        handle.write(base64.b64decode(certificate_authority))
        handle.flush()
        yield handle.name


def check_cluster(
    cluster: ClusterEntry, session: boto3.Session | None, timeouts: Timeouts = DEFAULT_TIMEOUTS
) -> list[CheckResult]:
    """With a token for the mapped identity: pods can be listed, secrets cannot be read."""
    place = f"eks {cluster.name}"
    if session is None:
        return [CheckResult(place, "eks pods", FAIL, f"no session as {cluster.identity} (its role was not assumed)")]
    credentials = session.get_credentials().get_frozen_credentials()
    signer = botocore.session.Session()
    signer.set_credentials(credentials.access_key, credentials.secret_key, credentials.token)
    try:
        token = eks_token(cluster.name, cluster.region, session=signer)
    except (ClientError, BotoCoreError, RuntimeError) as error:
        return [CheckResult(place, "eks pods", FAIL, f"no token for {cluster.identity}: {error}")]
    with _certificate_file(cluster.certificate_authority) as ca_file:
        pods = _kube_get(cluster, "/api/v1/pods?limit=1", token, ca_file, timeouts)
        secrets = _kube_get(cluster, "/api/v1/secrets?limit=1", token, ca_file, timeouts)
    as_whom = f"as {cluster.identity}"
    return [
        CheckResult(place, "eks pods", PASS if pods == 200 else FAIL, f"list pods {as_whom}: {_http(pods)}"),
        CheckResult(
            place, "eks secrets", PASS if secrets == 403 else FAIL, f"list secrets {as_whom}: {_http(secrets)}"
        ),
    ]


def _kube_get(cluster: ClusterEntry, path: str, token: str, ca_file: str, timeouts: Timeouts) -> int | str:
    verify: str | bool = ca_file if cluster.endpoint.startswith("https://") else True
    try:
        answer = requests.get(
            cluster.endpoint + path,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
            timeout=(timeouts.connect, timeouts.read),
        )
    except requests.RequestException as error:
        return f"unreachable ({error})"
    return answer.status_code


def _http(status: int | str) -> str:
    names = {200: "200 allowed", 401: "401 token not accepted (identity not mapped?)", 403: "403 forbidden"}
    return names.get(status, str(status)) if isinstance(status, int) else status


def passed(results: Sequence[CheckResult]) -> bool:
    return all(result.status != FAIL for result in results)


def exit_code(results: Sequence[CheckResult]) -> int:
    return 0 if passed(results) else 1


def render_matrix(results: Sequence[CheckResult]) -> str:
    """Accounts down, kinds of check across (a kind's worst status, and how many of several passed);
    then every result that is not a pass, with its detail. `--json` has every check on its own."""
    accounts = list(dict.fromkeys(result.account for result in results))
    kinds = list(dict.fromkeys(result.check.split(" ")[0] for result in results))
    cells: dict[tuple[str, str], list[str]] = {}
    for result in results:
        cells.setdefault((result.account, result.check.split(" ")[0]), []).append(result.status)
    columns = {kind: max(len(kind), 10) for kind in kinds}
    width = max(len(account) for account in [*accounts, "account"])
    lines = [f"{'account':<{width}}  " + "  ".join(f"{kind:<{columns[kind]}}" for kind in kinds).rstrip()]
    for account in accounts:
        row = "  ".join(f"{_cell(cells.get((account, kind), [])):<{columns[kind]}}" for kind in kinds)
        lines.append(f"{account:<{width}}  {row}".rstrip())
    failures = sum(r.status == FAIL for r in results)
    warnings = sum(r.status == WARN for r in results)
    lines.append(
        f"\n{len(results)} checks: {len(results) - failures - warnings} passed, {failures} failed, {warnings} warnings"
    )
    lines += [f"  {r.status} {r.account} {r.check}: {r.detail}" for r in results if r.status != PASS]
    return "\n".join(lines)


def _cell(statuses: list[str]) -> str:
    if not statuses:
        return "-"
    worst = FAIL if FAIL in statuses else WARN if WARN in statuses else PASS
    return worst if len(statuses) == 1 else f"{worst} {statuses.count(PASS)}/{len(statuses)}"


def to_json(results: Sequence[CheckResult]) -> dict[str, Any]:
    return {
        "passed": passed(results),
        "checks": [{"account": r.account, "check": r.check, "status": r.status, "detail": r.detail} for r in results],
    }


def read_outputs_file(path: Path) -> dict[str, Any]:
    try:
        outputs = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise VerifyUsageError(f"cannot read outputs from {path}: {error}") from None
    if not isinstance(outputs, dict):
        raise VerifyUsageError(f"{path} is not the JSON object `pulumi stack output --json --show-secrets` writes")
    return outputs


def read_stack_outputs(stack: str, **workspace_options: Any) -> dict[str, Any]:
    """The stack's outputs with secrets, through the Automation API (`pulumi stack output --json --show-secrets`)."""
    try:
        selected = auto.Stack.select(stack, workspace(**workspace_options))
        return {name: output.value for name, output in selected.outputs().items()}
    except (PulumiCliMissingError, StateDirectoryError, auto.errors.CommandError) as error:
        raise VerifyUsageError(f"cannot read the outputs of stack {stack}: {error}") from None


def add_verify_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("verify", help="check with the stack's access key what the adapter can and cannot do")
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--stack", type=stack_name, help="read the stack's outputs through the Automation API (needs the CLI)"
    )
    source.add_argument("--outputs", type=Path, help="the JSON file `pulumi stack output --json --show-secrets` writes")
    command.add_argument("--key-slot", type=int, choices=(1, 2), help="use this slot's key instead of the active one")
    command.add_argument("--json", action="store_true", help="print one JSON object")
    command.add_argument(
        "--connect-timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUTS.connect,
        help=f"seconds to connect to each endpoint, per attempt (default {DEFAULT_TIMEOUTS.connect:g})",
    )
    command.add_argument(
        "--read-timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUTS.read,
        help=f"seconds to wait for each answer, per attempt (default {DEFAULT_TIMEOUTS.read:g})",
    )
    command.add_argument(
        "--secret-access-key-file", type=Path, help="the key's secret, for a key the stack adopted (it has none)"
    )


def run_verify(args: argparse.Namespace) -> int:
    timeouts = Timeouts(connect=args.connect_timeout, read=args.read_timeout)
    try:
        outputs = read_outputs_file(args.outputs) if args.outputs else read_stack_outputs(args.stack)
        target = target_from_outputs(outputs, key_slot=args.key_slot, secret_file=args.secret_access_key_file)
        results = verify(target, timeouts=timeouts, progress=lambda line: print(line, file=sys.stderr, flush=True))
    except VerifyUsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(to_json(results), indent=2) if args.json else render_matrix(results))
    return exit_code(results)
