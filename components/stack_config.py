"""The configuration contract, defined once: stack files, the component's arguments and the JSON Schema.

The dataclasses below are validated by pydantic (types, ranges, patterns, unknown keys), read by Pulumi's
component schema inference (the `AxoniusAccess` arguments) and turned into `stacks/schema.json`. Checks
that need data or more than one value (IAM actions, duplicates) follow in plain functions. Every problem
is reported at once, each naming the key path, the value and what is accepted.

No `from __future__ import annotations` here: Pulumi's schema inference reads these annotations at run
time, and it accepts neither tuples, frozensets, Literals nor unions (hence lists and enums).
"""

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Optional, TypeVar

import botocore.loaders
import pulumi.runtime
import pydantic
from pydantic import ConfigDict, Field, TypeAdapter, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from policy_pack.rules.iam_actions import Action, ActionCatalog, is_pattern
from policy_pack.rules.kubernetes_rbac import rule_findings

from .permission_sets import PermissionSet, permission_set
from .value_enum import ValueEnum

NAMESPACE = "axonius-aws-access"
# Keys of the Pulumi CLI and of the providers this program configures: allowed beside ours.
OTHER_NAMESPACES = ("aws", "kubernetes", "pulumi")

IAM_NAME = r"^[A-Za-z0-9_+=,.@-]{1,64}$"
IAM_PATH = r"^(/|/[\x21-\x7e]{1,510}/)$"
ACCOUNT_ID = r"^\d{12}$"
EXTERNAL_ID = r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$"
CLUSTER_NAME = r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$"
REGION = r"^[a-z]{2,4}(-[a-z]+)+-\d+$"
K8S_NAME = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
K8S_SUBJECT = r"^[A-Za-z0-9][A-Za-z0-9:@._-]{0,252}$"
API_GROUP = r"^(|\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$"
RESOURCE_NAME = r"^[a-z][a-z0-9.-]*(/[a-z][a-z0-9.-]*)?$"
ORGANIZATIONAL_UNIT = r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$"

IAM_NAME_TEXT = "1 to 64 characters of letters, digits and _+=,.@-"
ACCOUNT_TEXT = 'a quoted string of 12 digits, e.g. "222222222222"'
EXTERNAL_ID_TEXT = "2 to 1224 characters of letters, digits and _+=,.@:/-"
K8S_NAME_TEXT = "a Kubernetes object name (lower case letters, digits, '-' and '.')"
SUBJECT_TEXT = "a Kubernetes user or group name that does not start with 'system:'"
REGION_TEXT = "an AWS region such as us-east-1"
SECRET_SHOWN = "[secret]"

# Stack files are JSON-like; pydantic reads them by their camelCase names and refuses any other key.
CONTRACT = ConfigDict(alias_generator=to_camel, extra="forbid", validate_by_alias=True, validate_by_name=True)


class ConfigError(Exception):
    """Every problem found in the stack's configuration, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class EksMode(ValueEnum):
    AUTO = "auto"
    ACCESS_ENTRY = "accessEntry"
    AWS_AUTH = "awsAuth"


class KeySlot(ValueEnum):
    """What the access-key slot not handed to Axonius holds."""

    ABSENT = "absent"
    ACTIVE = "active"
    INACTIVE = "inactive"


class RbacVerb(ValueEnum):
    GET = "get"
    LIST = "list"
    WATCH = "watch"


_T = TypeVar("_T")
if TYPE_CHECKING:
    Defaulted = Annotated[_T, "never null once validated"]
else:
    # A key with a default is `X | None` at run time, where Pulumi's schema inference reads it (any other key
    # is required there), and `X` to the type checker: `_Contract` refuses null for it, so once validated it
    # always holds an X.
    Defaulted = Optional


# Marks the values a stack file may hold as `secure:` (encrypted by `pulumi config set --secret`).
MAY_BE_SECURE: JsonDict = {"maySecure": True}


def _items(pattern: str, accepted: str) -> JsonDict:
    """A pattern for each string of a list, in the JSON Schema; parsing checks the same (`_item_problems`).

    Pydantic would need `Annotated` item types, which Pulumi's schema inference does not read.
    """
    return {"items": {"type": "string", "pattern": pattern, "description": accepted}}


@dataclass(frozen=True, config=CONTRACT)
class _Contract:
    """Keys with a default are `Defaulted[X]` (Pulumi's schema requires every other key) but never null."""

    __pydantic_fields__: ClassVar[dict[str, FieldInfo]]  # set by pydantic's dataclass

    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        # A field validator always runs for a field: `field_name` is None only for model validators.
        if value is None and info.field_name and not _nullable(cls.__pydantic_fields__[info.field_name]):
            raise PydanticCustomError("null", "a value (null means nothing here; leave the key out for the default)")
        return value


def _nullable(field: FieldInfo) -> bool:
    return field.default is None and field.default_factory is None


@dataclass(frozen=True, config=CONTRACT)
class UserConfig(_Contract):
    name: Defaulted[str] = Field(default="Axonius-Readonly", pattern=IAM_NAME, description=IAM_NAME_TEXT)
    path: Defaulted[str] = Field(
        default="/", pattern=IAM_PATH, description="'/' or '/a/path/' of printable ASCII, at most 512"
    )
    access_key: Defaulted[bool] = Field(default=True, description="true or false")
    active_key: Defaulted[int] = Field(
        default=1, ge=1, le=2, description="1 or 2, the access-key slot handed to Axonius"
    )
    other_key: Defaulted[KeySlot] = Field(default=KeySlot.ABSENT, description="absent, active or inactive")
    max_managed_policies: Defaulted[int] = Field(
        default=10,
        ge=1,
        le=20,
        description="a whole number from 1 to 20 (AWS's quota of managed policies per user or role)",
    )


@dataclass(frozen=True, config=CONTRACT)
class PermissionsConfig(_Contract):
    sets: Defaulted[list[PermissionSet]] = Field(
        default_factory=lambda: [PermissionSet.ADAPTER], description=f"a list of {', '.join(PermissionSet)}"
    )
    extra_actions: Defaulted[list[str]] = Field(default_factory=list, description="a list of List or Read IAM actions")
    exclude_actions: Defaulted[list[str]] = Field(default_factory=list, description="a list of IAM actions")


@dataclass(frozen=True, config=CONTRACT)
class RoleAccount(_Contract):
    id: str = Field(pattern=ACCOUNT_ID, description=ACCOUNT_TEXT)
    external_id: str | None = Field(
        default=None, pattern=EXTERNAL_ID, description=EXTERNAL_ID_TEXT, json_schema_extra=MAY_BE_SECURE
    )


@dataclass(frozen=True, config=CONTRACT)
class RolesConfig(_Contract):
    name: Defaulted[str] = Field(default="Axonius-Readonly-Role", pattern=IAM_NAME, description=IAM_NAME_TEXT)
    max_session_duration: Defaulted[int] = Field(
        default=14400, ge=3600, le=43200, description="a whole number of seconds from 3600 to 43200"
    )
    deploy_role_name: Defaulted[str] = Field(
        default="OrganizationAccountAccessRole", pattern=IAM_NAME, description=IAM_NAME_TEXT
    )
    accounts: Defaulted[list[RoleAccount]] = Field(
        default_factory=list, description="a list of accounts (id, externalId)"
    )


@dataclass(frozen=True, config=CONTRACT)
class OrganizationConfig(_Contract):
    admin_account: str = Field(pattern=ACCOUNT_ID, description=ACCOUNT_TEXT)
    organizational_units: list[str] = Field(
        min_length=1,
        description="a non-empty list of OU ids (ou-xxxx-xxxxxxxx) or root ids (r-xxxx)",
        json_schema_extra=_items(ORGANIZATIONAL_UNIT, "an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)"),
    )
    exclude_accounts: Defaulted[list[str]] = Field(
        default_factory=list,
        description="a list of 12-digit account IDs",
        json_schema_extra=_items(ACCOUNT_ID, ACCOUNT_TEXT),
    )
    external_id: str | None = Field(
        default=None, pattern=EXTERNAL_ID, description=EXTERNAL_ID_TEXT, json_schema_extra=MAY_BE_SECURE
    )
    regions: Defaulted[list[str]] = Field(
        default_factory=list,
        description="a list of AWS regions (default: aws:region)",
        json_schema_extra=_items(REGION, REGION_TEXT),
    )
    max_concurrent_percentage: Defaulted[int] = Field(
        default=100, ge=1, le=100, description="a whole number from 1 to 100"
    )
    failure_tolerance_percentage: Defaulted[int] = Field(
        default=0, ge=0, le=100, description="a whole number from 0 to 100"
    )


@dataclass(frozen=True, config=CONTRACT)
class RbacRule(_Contract):
    api_groups: list[str] = Field(
        min_length=1,
        description='a non-empty list of API groups ("" is core)',
        json_schema_extra=_items(API_GROUP, 'an API group name, "" (core) or "*" (every group)'),
    )
    resources: list[str] = Field(
        min_length=1,
        description="a non-empty list of resource names such as pods",
        json_schema_extra=_items(RESOURCE_NAME, "a resource name such as pods or pods/status (no '*')"),
    )
    verbs: list[RbacVerb] = Field(min_length=1, description="a non-empty list of get, list, watch")


@dataclass(frozen=True, config=CONTRACT)
class EksCluster(_Contract):
    name: str = Field(pattern=CLUSTER_NAME, description="an EKS cluster name (1 to 100 letters, digits, - and _)")
    region: str = Field(pattern=REGION, description=REGION_TEXT)
    account: str | None = Field(default=None, pattern=ACCOUNT_ID, description=ACCOUNT_TEXT)
    mode: Defaulted[EksMode] = Field(default=EksMode.AUTO, description="one of auto, accessEntry, awsAuth")


def seed_rules() -> list[RbacRule]:
    """The vendor's guide: list pods, nothing else."""
    return [RbacRule(api_groups=[""], resources=["pods"], verbs=[RbacVerb.LIST])]


@dataclass(frozen=True, config=CONTRACT)
class EksConfig(_Contract):
    cluster_role: Defaulted[str] = Field(default="axonius-view-role", pattern=K8S_NAME, description=K8S_NAME_TEXT)
    cluster_role_binding: Defaulted[str] = Field(
        default="axonius-view-cbr", pattern=K8S_NAME, description=K8S_NAME_TEXT
    )
    group: Defaulted[str] = Field(default="axonius-readonly", pattern=K8S_SUBJECT, description=SUBJECT_TEXT)
    username: Defaulted[str] = Field(default="axonius-readonly", pattern=K8S_SUBJECT, description=SUBJECT_TEXT)
    rules: Defaulted[list[RbacRule]] = Field(
        default_factory=seed_rules, min_length=1, description="a non-empty list of rules (apiGroups, resources, verbs)"
    )
    clusters: Defaulted[list[EksCluster]] = Field(
        default_factory=list, description="a list of clusters (name, region, ...)"
    )


@dataclass(frozen=True, config=CONTRACT)
class StackConfig(_Contract):
    user: Defaulted[UserConfig] = Field(default_factory=UserConfig)
    permissions: Defaulted[PermissionsConfig] = Field(default_factory=PermissionsConfig)
    roles: Defaulted[RolesConfig] = Field(default_factory=RolesConfig)
    eks: Defaulted[EksConfig] = Field(default_factory=EksConfig)
    organization: OrganizationConfig | None = None


CONFIG_KEYS = tuple(to_camel(name) for name in StackConfig.__dataclass_fields__)
STACK_CONFIG = TypeAdapter(StackConfig)


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the config objects by their stack-file (camelCase) names; null only where it is default."""
    schema = STACK_CONFIG.json_schema(by_alias=True)
    for contract in _contract_classes(StackConfig):
        properties = schema["$defs"].get(contract.__name__, schema)["properties"]
        for name, field in contract.__pydantic_fields__.items():
            node = properties[to_camel(name)]
            if not _nullable(field) and "anyOf" in node:
                options = [option for option in node.pop("anyOf") if option != {"type": "null"}]
                node.update(options[0] if len(options) == 1 else {"anyOf": options})
    return schema


def _contract_classes(contract: type[_Contract]) -> list[type[_Contract]]:
    """`contract` and every dataclass its fields hold."""
    found = [contract]
    for field in contract.__pydantic_fields__.values():
        inner = _inner_class(field.annotation)
        if hasattr(inner, "__pydantic_fields__") and inner not in found:
            found += [c for c in _contract_classes(inner) if c not in found]
    return found


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a stack file (`stacks/schema.json`): our keys from the contract, other namespaces open.

    Keys of our namespace other than the contract's are refused, with or without the `axonius-aws-access:`
    prefix (the CLI adds it to bare keys). Near-miss namespaces are reported by the program, not here.
    """
    schema = config_schema()
    definitions = schema.pop("$defs")
    _secure_allowed(definitions)
    keys = {}
    for key, node in schema["properties"].items():
        keys[f"{NAMESPACE}:{key}"] = keys[key] = node
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Pulumi stack settings of {NAMESPACE}",
        "description": "Generated from components/stack_config.py by python -m automation.stack_schema.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": keys,
                "propertyNames": {
                    "anyOf": [{"enum": list(keys)}, {"pattern": f"^(?!{re.escape(NAMESPACE)}:)[^:]+:."}],
                    "description": "a key of the contract, or a key of another namespace such as aws:region",
                },
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "additionalProperties": False,
        "$defs": {**definitions, "Secure": SECURE_VALUE},
    }


SECURE_VALUE = {
    "type": "object",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
    "description": "a value encrypted by pulumi config set --secret",
}


def _secure_allowed(definitions: Mapping[str, Any]) -> None:
    """Properties marked MAY_BE_SECURE also accept `{secure: ...}`."""
    for definition in definitions.values():
        for name, node in definition.get("properties", {}).items():
            if node.pop("maySecure", False):
                definition["properties"][name] = {"anyOf": [node, {"$ref": "#/$defs/Secure"}]}


KeyPath = tuple[str | int, ...]


def show_path(path: KeyPath) -> str:
    """`('roles', 'accounts', 1, 'id')` as `roles.accounts[1].id`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


class _Problems:
    """Problems with the key path each is about, reported in the order of the keys in the contract."""

    def __init__(self, secret_keys: frozenset[str]) -> None:
        self.found: list[tuple[KeyPath, str]] = []
        self.secret_keys = secret_keys

    def shown(self, path: KeyPath, value: Any) -> Any:
        """External IDs from a secret key are never echoed."""
        secret = path and path[0] in self.secret_keys and path[-1] in ("externalId", "external_id")
        return SECRET_SHOWN if secret else value

    def add(self, path: KeyPath, value: Any, accepted: str) -> None:
        self.found.append(
            (path, f"{show_path(path)}: {self.shown(path, value)!r} is not accepted; expected {accepted}")
        )

    def unknown(self, path: KeyPath, accepted: Iterable[str]) -> None:
        known = list(accepted)
        where = f"{NAMESPACE}:{path[0]}" if len(path) == 1 else show_path(path)
        hint = _did_you_mean(str(path[-1]), known)
        if len(path) == 1 and "." in str(path[0]):
            head, rest = str(path[0]).split(".", 1)
            hint = f" (a path key: nest it as {head}: {{{rest}: ...}}, or use `pulumi config set --path`)"
        self.found.append((path, f"{where}: unknown key{hint}; accepted keys are {', '.join(known)}"))

    def raise_if_any(self) -> None:
        if self.found:
            order = {key: index for index, key in enumerate(CONFIG_KEYS)}
            self.found.sort(key=lambda item: (order.get(str(item[0][0]), len(order)), _path_order(item[0])))
            raise ConfigError([message for _, message in self.found])


def _path_order(path: KeyPath) -> tuple[tuple[int, str], ...]:
    """Keys in the order the contract declares them, list items by index."""
    order = []
    node: Any = StackConfig
    for part in path:
        if isinstance(part, int):
            order.append((part, ""))
            continue
        fields = list(getattr(node, "__pydantic_fields__", {}).items())
        names = [to_camel(name) for name, _ in fields]
        index = names.index(part) if part in names else len(names)
        order.append((index, str(part)))
        node = _inner_class(fields[index][1].annotation) if index < len(fields) else None
    return tuple(order)


def _inner_class(annotation: Any) -> Any:
    """The dataclass a field holds, through Optional and list."""
    for argument in getattr(annotation, "__args__", ()):
        if argument is not type(None):
            return _inner_class(argument)
    return annotation


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _schema_node(schema: Mapping[str, Any], path: KeyPath) -> Mapping[str, Any]:
    """The JSON Schema node of a key path (through $ref, anyOf and items)."""
    definitions = schema.get("$defs", {})

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        if "$ref" in node:
            return resolve(
                {**definitions[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
            )
        for option in node.get("anyOf", ()):
            if option.get("type") != "null":
                return {**resolve(option), **{k: v for k, v in node.items() if k != "anyOf"}}
        return node

    node = resolve(schema)
    for part in path:
        child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        if child is None:
            return {}
        node = resolve(child)
    return node


def _accepted(node: Mapping[str, Any]) -> str:
    if node.get("description"):
        return node["description"]
    if "enum" in node:
        return f"one of {', '.join(node['enum'])}"
    if "properties" in node:
        return f"a mapping with keys {', '.join(node['properties'])}"
    return "a value of the documented type"


def _structural_problems(raw: Mapping[str, Any], problems: _Problems, *, by_name: bool) -> StackConfig | None:
    """Types, ranges, patterns and unknown keys, as pydantic reports them against the contract."""
    schema = config_schema()
    try:
        if by_name:  # component arguments: snake_case names, numbers possibly as floats
            return STACK_CONFIG.validate_python(raw, by_alias=False, by_name=True)
        # Stack files: camelCase names only and no coercion ("yes" is not true, "3600" is not a number).
        return STACK_CONFIG.validate_json(json.dumps(raw), strict=True, by_alias=True, by_name=False)
    except pydantic.ValidationError as error:
        for detail in error.errors():
            path = tuple(detail["loc"])
            if detail["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
                problems.unknown(path, _schema_node(schema, path[:-1]).get("properties", {}))
            elif detail["type"] == "missing":
                node = _schema_node(schema, path)
                problems.found.append((path, f"{show_path(path)}: missing; expected {_accepted(node)}"))
            else:
                problems.add(path, detail["input"], _accepted(_schema_node(schema, path)))
        return None


def _semantic_problems(raw: Mapping[str, Any], catalog: ActionCatalog, problems: _Problems) -> None:
    """What a schema cannot say: actions in the IAM data, duplicates, values that exclude each other."""
    _check_permissions(_mapping(raw.get("permissions")), catalog, problems)
    _check_roles(_mapping(raw.get("roles")), problems)
    _check_user(_mapping(raw.get("user")), problems)
    organization = _mapping(raw.get("organization"))
    for key in ("organizationalUnits", "excludeAccounts", "regions"):
        _unique(("organization", key), organization.get(key), problems)
    _item_problems(raw, config_schema(), (), problems)
    _check_eks(_mapping(raw.get("eks")), problems)  # after the item patterns, so the pack's verdict adds only news


def _item_problems(value: Any, schema: Mapping[str, Any], path: KeyPath, problems: _Problems) -> None:
    """The item patterns of the JSON Schema (`_items`), checked wherever the raw values have lists of strings."""
    node = _schema_node(schema, path)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in node.get("properties", {}):
                _item_problems(item, schema, (*path, key), problems)
    elif isinstance(value, list):
        items = node.get("items", {})
        for index, item in enumerate(value):
            if "pattern" in items and not (isinstance(item, str) and re.fullmatch(items["pattern"][1:-1], item)):
                problems.add((*path, index), item, items["description"])
            elif isinstance(item, Mapping):
                _item_problems(item, schema, (*path, index), problems)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


Check = Callable[[KeyPath, Any, _Problems], None]


def _each(path: KeyPath, values: Any, problems: _Problems, check: Check) -> None:
    if isinstance(values, list):
        for index, value in enumerate(values):
            check((*path, index), value, problems)


def _unique(path: KeyPath, values: Any, problems: _Problems) -> None:
    if not isinstance(values, list):
        return
    seen: list[Any] = []
    for index, value in enumerate(values):
        if value in seen:
            problems.add((*path, index), value, "each value once (it is listed twice)")
        seen.append(value)


def _known_action(path: KeyPath, action: Any, catalog: ActionCatalog, problems: _Problems) -> Action | None:
    if not isinstance(action, str) or is_pattern(action):
        problems.add(path, action, "one IAM action spelled out as service:Action (no wildcards)")
        return None
    found = catalog.lookup(action)
    if found is None:
        problems.add(path, action, f"an action in the IAM data (version {catalog.data_version})")
    return found


def _check_permissions(raw: Mapping[str, Any], catalog: ActionCatalog, problems: _Problems) -> None:
    def extra(path: KeyPath, action: Any, problems: _Problems) -> None:
        found = _known_action(path, action, catalog, problems)
        if found is not None and not found.read_only:
            problems.add(path, action, f"a List or Read action ({found.name} is {found.level})")

    def exclude(path: KeyPath, action: Any, problems: _Problems) -> None:
        _known_action(path, action, catalog, problems)

    for key in ("sets", "extraActions", "excludeActions"):
        _unique(("permissions", key), raw.get(key), problems)
    _each(("permissions", "extraActions"), raw.get("extraActions"), problems, extra)
    _each(("permissions", "excludeActions"), raw.get("excludeActions"), problems, exclude)
    if raw.get("sets") == [] and not raw.get("extraActions"):
        problems.add(("permissions", "sets"), [], "at least one permission set or extra action")
    sets = [PermissionSet(name) for name in raw.get("sets", ["adapter"]) or [] if name in tuple(PermissionSet)]
    excluded = {found.name for found in map(catalog.lookup, _strings(raw.get("excludeActions"))) if found}
    for name in sets:
        if excluded and not permission_set(name, catalog) - excluded:
            path: KeyPath = ("permissions", "excludeActions")
            problems.found.append(
                (
                    path,
                    f"{show_path(path)}: excludes every action of permission set {name}; expected exclusions "
                    f"that leave it at least one action (or drop {name} from permissions.sets)",
                )
            )


def _strings(values: Any) -> list[str]:
    return [value for value in values if isinstance(value, str)] if isinstance(values, list) else []


def _check_roles(raw: Mapping[str, Any], problems: _Problems) -> None:
    accounts = raw.get("accounts")
    ids = [_mapping(account).get("id") for account in accounts] if isinstance(accounts, list) else []
    for index, account_id in enumerate(ids):
        if isinstance(account_id, str) and account_id in ids[:index]:
            problems.add(("roles", "accounts", index, "id"), account_id, "each account once (it is listed twice)")


def _check_user(raw: Mapping[str, Any], problems: _Problems) -> None:
    if raw.get("accessKey") is not False:
        return
    for key, default in (("activeKey", 1), ("otherKey", "absent")):
        if key in raw and raw[key] != default:
            problems.add(("user", key), raw[key], f"{default!r} or no value when user.accessKey is false")


def _check_eks(raw: Mapping[str, Any], problems: _Problems) -> None:
    for key in ("group", "username"):
        value = raw.get(key)
        if isinstance(value, str) and value.startswith("system:"):
            problems.add(("eks", key), value, SUBJECT_TEXT)
    rules = raw.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        rule = _mapping(rule)
        for key in ("apiGroups", "resources", "verbs"):
            _unique(("eks", "rules", index, key), rule.get(key), problems)
        _read_only_rule(("eks", "rules", index), rule, problems)


def _read_only_rule(path: KeyPath, rule: Mapping[str, Any], problems: _Problems) -> None:
    """The policy pack's own verdict on the rule (`rule_findings`, which `check_role` applies), value by value.

    A value the schema already refused (a verb not get, list or watch; a resource with '*' or '/') is reported once.
    """
    reported = [found for found, _ in problems.found]
    for finding in rule_findings(dict(rule)):
        values = rule[finding.key]
        for position in finding.positions:
            value_path = (*path, finding.key, position)
            if not any(value_path[: len(found)] == found for found in reported if len(found) > len(path)):
                problems.add(value_path, values[position], finding.accepted)


def _canonical(config: StackConfig, catalog: ActionCatalog) -> StackConfig:
    """Actions in AWS's spelling (`ec2:describeregions` is `ec2:DescribeRegions`)."""
    permissions = config.permissions

    def names(actions: list[str]) -> list[str]:
        return [found.name for found in map(catalog.lookup, actions) if found]

    return replace(
        config,
        permissions=replace(
            permissions,
            extra_actions=names(permissions.extra_actions),
            exclude_actions=names(permissions.exclude_actions),
        ),
    )


def parse_stack_config(
    raw: Mapping[str, Any],
    catalog: ActionCatalog,
    *,
    secret_keys: frozenset[str] = frozenset(),
    region: str | None = None,
) -> StackConfig:
    """Parse the config objects of a stack file (camelCase keys) or raise ConfigError with every problem."""
    problems = _Problems(secret_keys)
    config = _structural_problems(raw, problems, by_name=False)
    _semantic_problems(raw, catalog, problems)
    problems.raise_if_any()
    assert config is not None  # no problems means pydantic returned a config
    return _with_defaults(_canonical(config, catalog), region)


def config_from_arguments(arguments: Mapping[str, Any], catalog: ActionCatalog, region: str | None) -> StackConfig:
    """The component's arguments (snake_case, numbers as floats from other languages) as a checked StackConfig."""
    raw = {key: _whole_numbers(value) for key, value in arguments.items() if value is not None}
    problems = _Problems(frozenset())
    config = _structural_problems(raw, problems, by_name=True)
    problems.raise_if_any()
    assert config is not None
    camel = json.loads(json.dumps(pydantic.RootModel[StackConfig](config).model_dump(mode="json", by_alias=True)))
    _semantic_problems(camel, catalog, problems)
    problems.raise_if_any()
    return _with_defaults(_canonical(config, catalog), region)


def _whole_numbers(value: Any) -> Any:
    """Pulumi's wire has only doubles: 3600.0 arrives for 3600."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def _with_defaults(config: StackConfig, region: str | None) -> StackConfig:
    """Defaults that depend on the stack: the organization's regions default to `aws:region`."""
    organization = config.organization
    if organization is None or organization.regions:
        return config
    if region is None:
        raise ConfigError(
            ["organization.regions: none given and aws:region is not set; expected a list of regions or aws:region"]
        )
    return replace(config, organization=replace(organization, regions=[region]))


def _partition_regions() -> dict[str, list[str]]:
    """Partition to its regions, from botocore's endpoint data."""
    endpoints = botocore.loaders.Loader().load_data("endpoints")
    return {partition["partition"]: list(partition["regions"]) for partition in endpoints["partitions"]}


# Regions launched before 20 March 2019 are enabled in every account; later ones must be enabled (opted in).
ENABLED_BY_DEFAULT = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "sa-east-1",
    }
)


def is_opt_in(region: str, partition: str) -> bool:
    return partition == "aws" and region not in ENABLED_BY_DEFAULT


def check_region(key: str, region: str | None, partition: str) -> list[str]:
    """`region` must be a region of the partition the deploying credentials are in."""
    regions = _partition_regions()
    if region in regions.get(partition, []):
        return []
    elsewhere = next((name for name, names in regions.items() if region in names), None)
    where = (
        f" (it is in partition {elsewhere})" if elsewhere else _did_you_mean(str(region), regions.get(partition, []))
    )
    accepted = [f"{name} (opt-in)" if is_opt_in(name, partition) else name for name in regions.get(partition, [])]
    return [
        f"{key}: {region!r} is not accepted; expected a region of partition {partition}{where}: {', '.join(accepted)}"
    ]


def opt_in_notes(config: StackConfig, region: str | None, partition: str) -> list[str]:
    """Regions the stack uses that accounts must enable first."""
    used = {region, *(cluster.region for cluster in config.eks.clusters), *_organization_regions(config)}
    return [
        f"{name} is an opt-in region: enable it in each account (and allow STS tokens there) before deploying"
        for name in sorted(r for r in used if r and is_opt_in(r, partition))
    ]


def _organization_regions(config: StackConfig) -> list[str]:
    return list(config.organization.regions or []) if config.organization else []


def check_cluster_accounts(config: StackConfig, home_account: str) -> None:
    """A cluster must be in the user's account or in one the stack reaches through a role, and be listed once."""
    reachable = {home_account, *(account.id for account in config.roles.accounts)}
    problems = [
        f"eks.clusters[{index}].account: {cluster.account!r} is not accepted; expected the user's account "
        f"({home_account}) or one listed in roles.accounts"
        for index, cluster in enumerate(config.eks.clusters)
        if cluster.account is not None and cluster.account not in reachable
    ]
    seen: dict[tuple[str, str, str], int] = {}
    for index, cluster in enumerate(config.eks.clusters):
        key = (cluster.name, cluster.region, cluster.account or home_account)
        if key in seen:
            problems.append(
                f"eks.clusters[{index}]: cluster {cluster.name!r} in {cluster.region} of account {key[2]} is not "
                f"accepted; expected each cluster once (eks.clusters[{seen[key]}] is the same cluster)"
            )
        seen.setdefault(key, index)
    # IAM policy names are unique per account, ignoring case.
    same_names = config.user.name.lower() == config.roles.name.lower()
    if same_names and any(account.id == home_account for account in config.roles.accounts):
        problems.append(
            f"roles.name: {config.roles.name!r} is not accepted; expected a name other than user.name when "
            f"roles.accounts lists the user's own account ({home_account}): both would create policies named "
            f"{config.roles.name}-ReadOnly-1 there"
        )
    if problems:
        raise ConfigError(problems)


def check_home(config: StackConfig, home_account: str, partition: str, region: str | None) -> None:
    """Everything that needs the deploying credentials' account, partition and region."""
    # Without aws:region the provider takes AWS_REGION from the environment; nothing to check here then.
    problems = check_region("aws:region", region, partition) if region is not None else []
    for index, cluster in enumerate(config.eks.clusters):
        problems += check_region(f"eks.clusters[{index}].region", cluster.region, partition)
    for index, name in enumerate(_organization_regions(config)):
        problems += check_region(f"organization.regions[{index}]", name, partition)
    try:
        check_cluster_accounts(config, home_account)
    except ConfigError as error:
        problems += error.problems
    if problems:
        raise ConfigError(problems)


def namespace_problems(keys: Iterable[str]) -> list[str]:
    """Keys the stack sets that nothing reads: unknown ones in our namespace, near misses of it."""
    problems = []
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE:
            continue  # parsed with the objects, where unknown names are reported
        if namespace not in OTHER_NAMESPACES and difflib.SequenceMatcher(None, namespace, NAMESPACE).ratio() > 0.8:
            problems.append(f"{key}: unknown key; did you mean {NAMESPACE}:{name}? (the namespace is {NAMESPACE!r})")
    return problems


def _all_config() -> dict[str, Any]:
    """Every key the engine handed the program (set explicitly, or through PULUMI_CONFIG)."""
    return {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}


def read_stack_config(catalog: ActionCatalog) -> StackConfig:
    """Read and parse the stack's config from the Pulumi runtime (plain values: checked before use)."""
    raw: dict[str, Any] = {}
    secret_keys: set[str] = set()
    problems: list[str] = namespace_problems(_all_config())
    prefix = f"{NAMESPACE}:"
    for full_key, value in _all_config().items():
        if not full_key.startswith(prefix):
            continue
        key = full_key.removeprefix(prefix)
        secret = pulumi.runtime.is_config_secret(full_key)
        try:
            raw[key] = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            raw[key] = value
        if secret and key in CONFIG_KEYS and not isinstance(raw[key], Mapping):
            problems.append(
                f"{full_key}: the whole value is a secret that is not a mapping; expected a mapping whose secret "
                "values alone are encrypted (pulumi config set --secret --path "
                f"'{full_key}.accounts[0].externalId' VALUE)"
            )
            raw.pop(key)
        if secret:
            secret_keys.add(key)
    try:
        config = parse_stack_config(
            raw, catalog, secret_keys=frozenset(secret_keys), region=pulumi.runtime.get_config("aws:region")
        )
    except ConfigError as error:
        raise ConfigError([*problems, *error.problems]) from None
    if problems:
        raise ConfigError(problems)
    return config
