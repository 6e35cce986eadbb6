"""The configuration contract, defined once: stack files, the component's arguments and the JSON Schema.

The dataclasses below are validated by pydantic (types, ranges, patterns, unknown keys) in
`config_validation`, read by Pulumi's component schema inference (the `AxoniusAccess` arguments) and turned
into `stacks/schema.json` by `config_schema`.

No `from __future__ import annotations` here: Pulumi's schema inference reads these annotations at run
time, and it accepts neither tuples, frozensets, Literals nor unions (hence lists and enums).

Values a program may take from other resources (account IDs, cluster names, external IDs) are
`pulumi.Input[str]`: the component resolves them before it validates them (`component_arguments`); stack files
hold them as plain strings. Their patterns are checked by `_Contract` (pydantic cannot apply a pattern to a
union).
"""

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Optional, TypeVar

import pulumi
from pulumi import Output  # noqa: F401 (pydantic resolves pulumi.Input's forward reference `Output[T]` here)
from pydantic import (
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from .permission_sets import PermissionSet
from .value_enum import ValueEnum

NAMESPACE = "axonius-aws-access"

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

# Stack files are JSON-like; pydantic reads them by their camelCase names and refuses any other key. Outputs are
# taken as they are (`pulumi.Input` fields) and validated once resolved. Booleans and numbers are `strict` so
# that a program's `UserConfig(access_key="yes")` is refused as the stack file's `accessKey: yes` is.
CONTRACT = ConfigDict(
    alias_generator=to_camel,
    extra="forbid",
    validate_by_alias=True,
    validate_by_name=True,
    arbitrary_types_allowed=True,
)


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
T = TypeVar("T")  # the name pulumi.Input's forward reference `Output[T]` uses
if TYPE_CHECKING:
    Defaulted = Annotated[_T, "never null once validated"]
else:
    # A key with a default is `X | None` at run time, where Pulumi's schema inference reads it (any other key
    # is required there), and `X` to the type checker: `_Contract` refuses null for it, so once validated it
    # always holds an X.
    Defaulted = Optional

if TYPE_CHECKING:
    Resolvable = Annotated[_T, "plain once the component resolved it"]
else:
    # `pulumi.Input[X]` at run time, where Pulumi's schema inference reads it (a program may pass another
    # resource's output) and pydantic takes an Output as it is; `X` to the type checker: the component resolves
    # every Output and validates the values before anything reads them (`component_arguments`).
    Resolvable = pulumi.Input


# Marks the values a stack file may hold as `secure:` (encrypted by `pulumi config set --secret`).
MAY_BE_SECURE: JsonDict = {"maySecure": True}


def _input_pattern(pattern: str, **extra: Any) -> JsonDict:
    """The pattern of a `Resolvable` string, for the JSON Schema and for `_Contract`, which checks it on strings."""
    return {"pattern": pattern, **extra}


def _items(pattern: str, accepted: str) -> JsonDict:
    """A pattern for each string of a list, in the JSON Schema; parsing checks the same (`_item_problems`).

    Pydantic would need `Annotated` item types, which Pulumi's schema inference does not read.
    """
    return {"items": {"type": "string", "pattern": pattern, "description": accepted}}


@dataclass(frozen=True, config=CONTRACT)
class _Contract:
    """Keys with a default are `Defaulted[X]` (Pulumi's schema requires every other key) but never null."""

    __pydantic_fields__: ClassVar[dict[str, FieldInfo]]  # set by pydantic's dataclass

    @model_validator(mode="wrap")
    @classmethod
    def _problems_as_config_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        """A program's `RoleAccount(id="12345")` fails as a stack file does: ConfigError, one line per problem.

        Parsing a stack file (`PARSING` context) collects the problems of the whole config itself.
        """
        if info.context is PARSING:
            return handler(value)
        try:
            return handler(value)
        except ValidationError as error:
            raise ConfigError(_construction_problems(cls, error)) from None

    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        # A field validator always runs for a field: `field_name` is None only for model validators.
        if value is None and info.field_name and not nullable(cls.__pydantic_fields__[info.field_name]):
            raise PydanticCustomError("null", "a value (null means nothing here; leave the key out for the default)")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _matches(cls, value: Any, info: ValidationInfo) -> Any:
        """The pattern of a `pulumi.Input[str]` field, once its value is a string (an Output is checked resolved)."""
        extra = cls.__pydantic_fields__[info.field_name].json_schema_extra if info.field_name else None
        pattern = extra.get("pattern") if isinstance(extra, dict) else None
        if isinstance(value, str) and isinstance(pattern, str) and not re.fullmatch(pattern[1:-1], value):
            raise PydanticCustomError("string_pattern_mismatch", "a string matching {pattern}", {"pattern": pattern})
        return value


# The validation context of `parse_stack_config`.
PARSING: dict[str, Any] = {"parsing": "stack config"}
# Where pydantic's error locations name the member of a `Resolvable` (`pulumi.Input`) union: not keys.
UNION_TAGS = frozenset({"str", "is-instance[Awaitable]", "is-instance[Output]"})


def _construction_problems(contract: type["_Contract"], error: ValidationError) -> list[str]:
    """Pydantic's errors as the key, the value and what is accepted (as `config_validation` words them)."""
    problems: list[str] = []
    for detail in error.errors():
        path = [part for part in detail["loc"] if part not in UNION_TAGS]
        where = f"{contract.__name__}" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
        field = contract.__pydantic_fields__.get(str(path[0])) if path else None
        accepted = field.description if field and field.description else "a value of the documented type"
        if detail["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            line = f"{where}: unknown key; accepted keys are {', '.join(contract.__pydantic_fields__)}"
        elif detail["type"] == "missing":
            line = f"{where}: missing; expected {accepted}"
        else:
            line = f"{where}: {detail['input']!r} is not accepted; expected {accepted}"
        if line not in problems:  # a value a `Resolvable` union refused once per member
            problems.append(line)
    return problems


def nullable(field: FieldInfo) -> bool:
    return field.default is None and field.default_factory is None


@dataclass(frozen=True, config=CONTRACT)
class UserConfig(_Contract):
    name: Defaulted[str] = Field(default="Axonius-Readonly", pattern=IAM_NAME, description=IAM_NAME_TEXT)
    path: Defaulted[str] = Field(
        default="/", pattern=IAM_PATH, description="'/' or '/a/path/' of printable ASCII, at most 512"
    )
    access_key: Defaulted[bool] = Field(strict=True, default=True, description="true or false")
    active_key: Defaulted[int] = Field(
        strict=True, default=1, ge=1, le=2, description="1 or 2, the access-key slot handed to Axonius"
    )
    other_key: Defaulted[KeySlot] = Field(default=KeySlot.ABSENT, description="absent, active or inactive")
    max_managed_policies: Defaulted[int] = Field(
        strict=True,
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
    id: Resolvable[str] = Field(description=ACCOUNT_TEXT, json_schema_extra=_input_pattern(ACCOUNT_ID))
    external_id: Resolvable[str] | None = Field(
        default=None, description=EXTERNAL_ID_TEXT, json_schema_extra=_input_pattern(EXTERNAL_ID, **MAY_BE_SECURE)
    )


@dataclass(frozen=True, config=CONTRACT)
class RolesConfig(_Contract):
    name: Defaulted[str] = Field(default="Axonius-Readonly-Role", pattern=IAM_NAME, description=IAM_NAME_TEXT)
    max_session_duration: Defaulted[int] = Field(
        strict=True, default=14400, ge=3600, le=43200, description="a whole number of seconds from 3600 to 43200"
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
        strict=True, default=100, ge=1, le=100, description="a whole number from 1 to 100"
    )
    failure_tolerance_percentage: Defaulted[int] = Field(
        strict=True, default=0, ge=0, le=100, description="a whole number from 0 to 100"
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
    name: Resolvable[str] = Field(
        description="an EKS cluster name (1 to 100 letters, digits, - and _)",
        json_schema_extra=_input_pattern(CLUSTER_NAME),
    )
    region: str = Field(pattern=REGION, description=REGION_TEXT)
    account: Resolvable[str] | None = Field(
        default=None, description=ACCOUNT_TEXT, json_schema_extra=_input_pattern(ACCOUNT_ID)
    )
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


# A key inside the contract: `("roles", "accounts", 1, "id")` is roles.accounts[1].id.
KeyPath = tuple[str | int, ...]
CONFIG_KEYS = tuple(to_camel(name) for name in StackConfig.__dataclass_fields__)
STACK_CONFIG = TypeAdapter(StackConfig)


def inner_class(annotation: Any) -> Any:
    """The dataclass a field holds, through Optional and list."""
    for argument in getattr(annotation, "__args__", ()):
        if argument is not type(None):
            return inner_class(argument)
    return annotation


def contract_classes(contract: type[_Contract]) -> list[type[_Contract]]:
    """`contract` and every dataclass its fields hold."""
    found = [contract]
    for field in contract.__pydantic_fields__.values():
        inner = inner_class(field.annotation)
        if hasattr(inner, "__pydantic_fields__") and inner not in found:
            found += [c for c in contract_classes(inner) if c not in found]
    return found
