"""Validation of the contract's values: pydantic against the dataclasses, then what a schema cannot say.

Every problem is reported at once, each naming the key path, the value and what is accepted.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pydantic
from pydantic.alias_generators import to_camel

from policy_pack.rules.iam_actions import Action, ActionCatalog, is_pattern
from policy_pack.rules.kubernetes_rbac import rule_findings

from .config_schema import config_schema, schema_node
from .permission_sets import PermissionSet, permission_set
from .stack_config import (
    CONFIG_KEYS,
    NAMESPACE,
    PARSING,
    STACK_CONFIG,
    SUBJECT_TEXT,
    UNION_TAGS,
    ConfigError,
    KeyPath,
    StackConfig,
    inner_class,
)

SECRET_SHOWN = "[secret]"


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
        hint = did_you_mean(str(path[-1]), known)
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
        node = inner_class(fields[index][1].annotation) if index < len(fields) else None
    return tuple(order)


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _accepted(node: Mapping[str, Any]) -> str:
    if node.get("description"):
        return node["description"]
    if "enum" in node:
        return f"one of {', '.join(node['enum'])}"
    if "properties" in node:
        return f"a mapping with keys {', '.join(node['properties'])}"
    return "a value of the documented type"


def _structural_problems(raw: Mapping[str, Any], problems: _Problems) -> StackConfig | None:
    """Types, ranges, patterns and unknown keys, as pydantic reports them against the contract."""
    schema = config_schema()
    try:
        # Stack files: camelCase names only and no coercion ("yes" is not true, "3600" is not a number).
        return STACK_CONFIG.validate_json(json.dumps(raw), strict=True, by_alias=True, by_name=False, context=PARSING)
    except pydantic.ValidationError as error:
        reported: set[KeyPath] = set()
        for detail in error.errors():
            path = tuple(part for part in detail["loc"] if part not in UNION_TAGS)
            if path in reported:
                continue  # a value a `Resolvable` union refused once per member
            reported.add(path)
            if detail["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
                problems.unknown(path, schema_node(schema, path[:-1]).get("properties", {}))
            elif detail["type"] == "missing":
                node = schema_node(schema, path)
                problems.found.append((path, f"{show_path(path)}: missing; expected {_accepted(node)}"))
            else:
                problems.add(path, detail["input"], _accepted(schema_node(schema, path)))
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
    node = schema_node(schema, path)
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
    excluded = _action_names(raw.get("excludeActions"), catalog)
    path: KeyPath = ("permissions", "excludeActions")
    for name in sets:
        if excluded and not permission_set(name, catalog) - excluded:
            problems.found.append(
                (
                    path,
                    f"{show_path(path)}: excludes every action of permission set {name}; expected exclusions "
                    f"that leave it at least one action (or drop {name} from permissions.sets)",
                )
            )
    extras = _action_names(raw.get("extraActions"), catalog)
    if raw.get("sets") == [] and extras and not extras - excluded:
        problems.found.append(
            (
                path,
                f"{show_path(path)}: excludes every action of permissions.extraActions, and permissions.sets is "
                "empty: the user would get no policy; expected exclusions that leave at least one action",
            )
        )


def _action_names(values: Any, catalog: ActionCatalog) -> set[str]:
    """The known actions of a list, in AWS's spelling (unknown ones are reported on their own)."""
    return {found.name for found in map(catalog.lookup, _strings(values)) if found}


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
    config = _structural_problems(raw, problems)
    _semantic_problems(raw, catalog, problems)
    problems.raise_if_any()
    assert config is not None  # no problems means pydantic returned a config
    return _with_defaults(_canonical(config, catalog), region)


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
