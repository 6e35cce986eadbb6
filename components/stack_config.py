"""The stack's configuration contract: parsed into frozen dataclasses, every problem reported at once.

Parsing is pure (plain data in, dataclasses or :class:`ConfigError` out) so it runs before any resource
is declared and can be tested without the Pulumi engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi.runtime

from policy_pack.rules.iam_actions import Action, ActionCatalog, is_pattern

from .permission_sets import PERMISSION_SETS

NAMESPACE = "axonius-aws-access"
CONFIG_KEYS = ("user", "permissions", "roles", "eks")

IAM_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")
IAM_PATH = re.compile(r"/|/[\x21-\x7e]{1,510}/")
ACCOUNT_ID = re.compile(r"\d{12}")
EXTERNAL_ID = re.compile(r"[A-Za-z0-9_+=,.@:/-]{2,1224}")
CLUSTER_NAME = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
K8S_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9:@._-]{0,252}")
API_GROUP = re.compile(r"|[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
RESOURCE_NAME = re.compile(r"[a-z][a-z0-9.-]*")

SESSION_SECONDS = (3600, 43200)
KEY_SLOTS = (1, 2)
OTHER_KEY_STATES = ("absent", "active", "inactive")
EKS_MODES = ("auto", "accessEntry", "awsAuth")
RBAC_VERBS = ("get", "list", "watch")


class ConfigError(Exception):
    """Every problem found in the stack's configuration, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class UserConfig:
    name: str = "Axonius-Readonly"
    path: str = "/"
    access_key: bool = True
    # Two key slots make a rotation without downtime: the active slot's key is the one handed to Axonius;
    # the other slot's key is being introduced (`active`), switched off (`inactive`) or gone (`absent`).
    active_key: int = 1
    other_key: str = "absent"


@dataclass(frozen=True)
class PermissionsConfig:
    sets: tuple[str, ...] = ("adapter",)
    extra_actions: tuple[str, ...] = ()
    exclude_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleAccount:
    id: str
    external_id: str | None = None


@dataclass(frozen=True)
class RolesConfig:
    name: str = "Axonius-Readonly-Role"
    max_session_duration: int = 14400
    deploy_role_name: str = "OrganizationAccountAccessRole"
    accounts: tuple[RoleAccount, ...] = ()
    # Pulumi marks the whole `roles` key secret when any value in it is `secure:`.
    external_ids_secret: bool = False


@dataclass(frozen=True)
class RbacRule:
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class EksCluster:
    name: str
    region: str
    account: str | None = None
    mode: str = "auto"


SEED_RULES = (RbacRule(api_groups=("",), resources=("pods",), verbs=("list",)),)


@dataclass(frozen=True)
class EksConfig:
    cluster_role: str = "axonius-view-role"
    cluster_role_binding: str = "axonius-view-cbr"
    group: str = "axonius-readonly"
    username: str = "axonius-readonly"
    rules: tuple[RbacRule, ...] = SEED_RULES
    clusters: tuple[EksCluster, ...] = ()


@dataclass(frozen=True)
class StackConfig:
    user: UserConfig = field(default_factory=UserConfig)
    permissions: PermissionsConfig = field(default_factory=PermissionsConfig)
    roles: RolesConfig = field(default_factory=RolesConfig)
    eks: EksConfig = field(default_factory=EksConfig)


T = TypeVar("T")


class _Reader:
    """Collects problems instead of stopping at the first, so a user fixes their stack file in one go."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, value: Any, accepted: str) -> None:
        self.problems.append(f"{path}: {value!r} is not accepted; expected {accepted}")

    def mapping(self, path: str, value: Any, keys: Sequence[str]) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(path, value, "a mapping")
            return {}
        for key in value:
            if key not in keys:
                self.problems.append(f"{path}.{key}: unknown key; accepted keys are {', '.join(keys)}")
        return value

    def text(
        self, path: str, raw: Mapping[str, Any], key: str, default: str, rule: re.Pattern[str], accepted: str
    ) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not rule.fullmatch(value):
            self.problem(f"{path}.{key}", value, accepted)
            return default
        return value

    def boolean(self, path: str, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"{path}.{key}", value, "true or false")
            return default
        return value

    def items(
        self, path: str, value: Any, parse: Callable[[str, Any], T | None], *, unique: bool = True
    ) -> tuple[T, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, value, "a list")
            return ()
        parsed: list[T] = []
        for index, item in enumerate(value):
            result = parse(f"{path}[{index}]", item)
            if result is None:
                continue
            if unique and result in parsed:
                self.problem(f"{path}[{index}]", item, "each value once (it is listed twice)")
                continue
            parsed.append(result)
        return tuple(parsed)

    def choice(self, choices: Sequence[str]) -> Callable[[str, Any], str | None]:
        def parse(path: str, value: Any) -> str | None:
            if value not in choices:
                self.problem(path, value, f"one of {', '.join(choices)}")
                return None
            return value

        return parse

    def matching(self, rule: re.Pattern[str], accepted: str) -> Callable[[str, Any], str | None]:
        def parse(path: str, value: Any) -> str | None:
            if not isinstance(value, str) or not rule.fullmatch(value):
                self.problem(path, value, accepted)
                return None
            return value

        return parse


IAM_NAME_TEXT = "1 to 64 characters of letters, digits and _+=,.@-"
ACCOUNT_TEXT = 'a quoted string of 12 digits, e.g. "222222222222"'


def parse_stack_config(
    raw: Mapping[str, Any], catalog: ActionCatalog, *, secret_keys: frozenset[str] = frozenset()
) -> StackConfig:
    """Parse the four config objects (`user`, `permissions`, `roles`, `eks`) or raise ConfigError."""
    reader = _Reader()
    unknown = sorted(set(raw) - set(CONFIG_KEYS))
    for key in unknown:
        reader.problems.append(f"{NAMESPACE}:{key}: unknown key; accepted keys are {', '.join(CONFIG_KEYS)}")
    config = StackConfig(
        user=_parse_user(reader, raw.get("user")),
        permissions=_parse_permissions(reader, raw.get("permissions"), catalog),
        roles=_parse_roles(reader, raw.get("roles"), "roles" in secret_keys),
        eks=_parse_eks(reader, raw.get("eks")),
    )
    if reader.problems:
        raise ConfigError(reader.problems)
    return config


def _parse_user(reader: _Reader, value: Any) -> UserConfig:
    raw = reader.mapping("user", value, ("name", "path", "accessKey", "activeKey", "otherKey"))
    default = UserConfig()
    access_key = reader.boolean("user", raw, "accessKey", default.access_key)
    active_key = raw.get("activeKey", default.active_key)
    if isinstance(active_key, bool) or active_key not in KEY_SLOTS:
        reader.problem("user.activeKey", active_key, "1 or 2 (the key slot handed to Axonius)")
        active_key = default.active_key
    other_key = reader.choice(OTHER_KEY_STATES)("user.otherKey", raw.get("otherKey", default.other_key))
    if not access_key:
        chosen = {"activeKey": (active_key, default.active_key), "otherKey": (other_key, default.other_key)}
        for key, (parsed, fallback) in chosen.items():
            if parsed not in (None, fallback):
                reader.problem(f"user.{key}", parsed, f"{fallback!r} or nothing while user.accessKey is false")
    return UserConfig(
        name=reader.text("user", raw, "name", default.name, IAM_NAME, IAM_NAME_TEXT),
        path=reader.text(
            "user", raw, "path", default.path, IAM_PATH, "'/' or '/a/path/' of printable ASCII, at most 512"
        ),
        access_key=access_key,
        active_key=active_key,
        other_key=other_key or default.other_key,
    )


def _parse_permissions(reader: _Reader, value: Any, catalog: ActionCatalog) -> PermissionsConfig:
    raw = reader.mapping("permissions", value, ("sets", "extraActions", "excludeActions"))
    default = PermissionsConfig()

    def extra(path: str, action: Any) -> str | None:
        found = _known_action(reader, path, action, catalog)
        if found is not None and not found.read_only:
            reader.problem(path, action, f"a List or Read action ({found.name} is {found.level})")
            return None
        return found.name if found else None

    def exclude(path: str, action: Any) -> str | None:
        found = _known_action(reader, path, action, catalog)
        return found.name if found else None

    sets = reader.items("permissions.sets", raw.get("sets", list(default.sets)), reader.choice(PERMISSION_SETS))
    extra_actions = reader.items("permissions.extraActions", raw.get("extraActions"), extra)
    if not sets and not extra_actions and "sets" in raw:
        reader.problem("permissions.sets", raw.get("sets"), "at least one permission set or extra action")
    return PermissionsConfig(
        sets=sets,
        extra_actions=extra_actions,
        exclude_actions=reader.items("permissions.excludeActions", raw.get("excludeActions"), exclude),
    )


def _known_action(reader: _Reader, path: str, action: Any, catalog: ActionCatalog) -> Action | None:
    if not isinstance(action, str) or is_pattern(action):
        reader.problem(path, action, "one IAM action spelled out as service:Action (no wildcards)")
        return None
    found = catalog.lookup(action)
    if found is None:
        reader.problem(path, action, f"an action in the IAM data (version {catalog.data_version})")
    return found


def _parse_roles(reader: _Reader, value: Any, external_ids_secret: bool) -> RolesConfig:
    keys = ("name", "maxSessionDuration", "deployRoleName", "accounts")
    raw = reader.mapping("roles", value, keys)
    default = RolesConfig()
    duration = raw.get("maxSessionDuration", default.max_session_duration)
    low, high = SESSION_SECONDS
    if isinstance(duration, bool) or not isinstance(duration, int) or not low <= duration <= high:
        reader.problem("roles.maxSessionDuration", duration, f"a whole number of seconds from {low} to {high}")
        duration = default.max_session_duration

    seen_ids: set[str] = set()

    def account(path: str, item: Any) -> RoleAccount | None:
        if not isinstance(item, Mapping):
            reader.problem(path, item, "a mapping with id and optional externalId")
            return None
        entry = reader.mapping(path, item, ("id", "externalId"))
        account_id = reader.matching(ACCOUNT_ID, ACCOUNT_TEXT)(f"{path}.id", entry.get("id"))
        external_id = entry.get("externalId")
        if external_id is not None and not (isinstance(external_id, str) and EXTERNAL_ID.fullmatch(external_id)):
            shown = "[secret]" if external_ids_secret else external_id
            reader.problem(f"{path}.externalId", shown, "2 to 1224 characters of letters, digits and _+=,.@:/-")
            return None
        if account_id in seen_ids:
            reader.problem(f"{path}.id", account_id, "each account once (it is listed twice)")
            return None
        if account_id:
            seen_ids.add(account_id)
        return RoleAccount(account_id, external_id) if account_id else None

    accounts = reader.items("roles.accounts", raw.get("accounts"), account)
    return RolesConfig(
        name=reader.text("roles", raw, "name", default.name, IAM_NAME, IAM_NAME_TEXT),
        max_session_duration=duration,
        deploy_role_name=reader.text("roles", raw, "deployRoleName", default.deploy_role_name, IAM_NAME, IAM_NAME_TEXT),
        accounts=accounts,
        external_ids_secret=external_ids_secret and any(a.external_id for a in accounts),
    )


def _parse_eks(reader: _Reader, value: Any) -> EksConfig:
    keys = ("clusterRole", "clusterRoleBinding", "group", "username", "rules", "clusters")
    raw = reader.mapping("eks", value, keys)
    default = EksConfig()
    k8s_name_text = "a Kubernetes object name (lower case letters, digits, '-' and '.')"
    subject_text = "a Kubernetes user or group name that does not start with 'system:'"

    def subject(key: str, fallback: str) -> str:
        name = reader.text("eks", raw, key, fallback, K8S_SUBJECT, subject_text)
        if name.startswith("system:"):
            reader.problem(f"eks.{key}", name, subject_text)
            return fallback
        return name

    rules = reader.items("eks.rules", raw.get("rules"), lambda path, item: _parse_rule(reader, path, item))
    if "rules" in raw and raw["rules"] == []:
        reader.problem("eks.rules", [], "at least one rule (the ClusterRole would grant nothing)")
    return EksConfig(
        cluster_role=reader.text("eks", raw, "clusterRole", default.cluster_role, K8S_NAME, k8s_name_text),
        cluster_role_binding=reader.text(
            "eks", raw, "clusterRoleBinding", default.cluster_role_binding, K8S_NAME, k8s_name_text
        ),
        group=subject("group", default.group),
        username=subject("username", default.username),
        rules=rules if "rules" in raw else default.rules,
        clusters=reader.items(
            "eks.clusters", raw.get("clusters"), lambda path, item: _parse_cluster(reader, path, item)
        ),
    )


def _parse_rule(reader: _Reader, path: str, value: Any) -> RbacRule | None:
    raw = reader.mapping(path, value, ("apiGroups", "resources", "verbs"))
    api_groups = reader.items(
        f"{path}.apiGroups", raw.get("apiGroups"), reader.matching(API_GROUP, 'an API group name or "" (core)')
    )

    def resource(item_path: str, item: Any) -> str | None:
        name = reader.matching(RESOURCE_NAME, "a resource name such as pods (no '*', no subresources)")(item_path, item)
        if name == "secrets":
            reader.problem(item_path, item, "a resource other than secrets (the adapter never reads them)")
            return None
        return name

    resources = reader.items(f"{path}.resources", raw.get("resources"), resource)
    verbs = reader.items(f"{path}.verbs", raw.get("verbs"), reader.choice(RBAC_VERBS))
    for key, values in (("apiGroups", api_groups), ("resources", resources), ("verbs", verbs)):
        if not values and key not in raw:
            reader.problem(f"{path}.{key}", None, "a non-empty list")
    if not (api_groups and resources and verbs):
        return None
    return RbacRule(api_groups, resources, verbs)


def _parse_cluster(reader: _Reader, path: str, value: Any) -> EksCluster | None:
    raw = reader.mapping(path, value, ("name", "region", "account", "mode"))
    name = reader.matching(CLUSTER_NAME, "an EKS cluster name (1 to 100 letters, digits, - and _)")(
        f"{path}.name", raw.get("name")
    )
    region = reader.matching(REGION, "an AWS region such as us-east-1")(f"{path}.region", raw.get("region"))
    account = raw.get("account")
    if account is not None:
        account = reader.matching(ACCOUNT_ID, ACCOUNT_TEXT)(f"{path}.account", account)
    mode = reader.choice(EKS_MODES)(f"{path}.mode", raw.get("mode", "auto"))
    if not (name and region and mode) or (raw.get("account") is not None and account is None):
        return None
    return EksCluster(name=name, region=region, account=account, mode=mode)


def check_cluster_accounts(config: StackConfig, home_account: str) -> None:
    """A cluster must be in the user's account or in one the stack reaches through a role."""
    reachable = {home_account, *(account.id for account in config.roles.accounts)}
    problems = [
        f"eks.clusters[{index}].account: {cluster.account!r} is not accepted; expected the user's account "
        f"({home_account}) or one listed in roles.accounts"
        for index, cluster in enumerate(config.eks.clusters)
        if cluster.account is not None and cluster.account not in reachable
    ]
    if problems:
        raise ConfigError(problems)


def read_stack_config(catalog: ActionCatalog) -> StackConfig:
    """Read and parse the stack's config from the Pulumi runtime (plain values: checked before use)."""
    raw: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key in CONFIG_KEYS:
        full_key = f"{NAMESPACE}:{key}"
        value = pulumi.runtime.get_config(full_key)
        if value is None:
            continue
        try:
            raw[key] = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            raw[key] = value
        if pulumi.runtime.is_config_secret(full_key):
            secret_keys.add(key)
    return parse_stack_config(raw, catalog, secret_keys=frozenset(secret_keys))
