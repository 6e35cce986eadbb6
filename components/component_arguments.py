"""The component's arguments as the stack-file config they stand for, validated exactly as a stack file is.

A Python program passes the contract's dataclasses or mappings; another language's program arrives as
snake_case mappings with numbers as doubles. Both become a stack file's camelCase values and go through
`parse_stack_config`, so a bad value gets the message a stack file gets, naming its key path.

Values may be outputs of other resources: `Resolvable` fields, the `externalIds` map or its values, or a whole
object another language sent as one output. External IDs stay outputs (they only fill trust policies and the
role file, and may be secret); every other output is structure (resource names, providers, lookups) and is
resolved before anything is declared.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pulumi
from pydantic.alias_generators import to_camel

from .access_stack import ExternalIds
from .config_validation import SECRET_SHOWN
from .policy_documents import PolicyLimitError
from .stack_config import EXTERNAL_ID, EXTERNAL_ID_TEXT, ConfigError, StackConfig

EXTERNAL_IDS = "externalIds"
_In = TypeVar("_In")
_Out = TypeVar("_Out")


class InvalidArgumentsError(pulumi.RunError):
    """A value that was an output when the component was declared, refused once resolved: the deployment stops."""


def config_tree(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as a stack file's config values (camelCase keys, whole numbers as ints), outputs kept."""
    tree = _tree(arguments)
    assert isinstance(tree, dict)  # a mapping stays a mapping
    return tree


def _tree(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        return value
    if inspect.isawaitable(value):
        return pulumi.Output.from_input(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        # None is "not given" on Pulumi's wire and in a dataclass's optional fields alike.
        return {to_camel(str(key)): _tree(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_tree(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # Pulumi's wire has only doubles: 3600.0 arrives for 3600
    return value


def take_inline_external_ids(tree: dict[str, Any], *, every: bool = False) -> dict[int, Any]:
    """Remove the `roles.accounts[].externalId` values that are outputs (`every`: all) from `tree`, by account index."""
    roles = tree.get("roles")
    accounts = roles.get("accounts") if isinstance(roles, dict) else None
    taken = {}
    for index, account in enumerate(accounts if isinstance(accounts, list) else []):
        value = account.get("externalId") if isinstance(account, dict) else None
        if value is not None and (every or isinstance(value, pulumi.Output)):
            taken[index] = account.pop("externalId")
    return taken


def outputs_in(tree: Any) -> list[pulumi.Output[Any]]:
    """Every output in `tree`, depth first."""
    if isinstance(tree, pulumi.Output):
        return [tree]
    children = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else []
    return [output for child in children for output in outputs_in(child)]


def with_values(tree: Any, values: Sequence[Any]) -> Any:
    """`tree` with its outputs, in `outputs_in` order, replaced by `values` (resolved, brought to the same form)."""
    remaining = iter(values)

    def fill(node: Any) -> Any:
        if isinstance(node, pulumi.Output):
            return _tree(next(remaining))
        if isinstance(node, dict):
            return {key: fill(item) for key, item in node.items()}
        if isinstance(node, list):
            return [fill(item) for item in node]
        return node

    return fill(tree)


def failing_clearly(component: str, check: Callable[[_In], _Out]) -> Callable[[_In], _Out]:
    """`check` for an apply: a ConfigError becomes a RunError, which the engine reports as one clean message."""

    def run(value: _In) -> _Out:
        try:
            return check(value)
        except (ConfigError, PolicyLimitError) as error:
            raise InvalidArgumentsError(f"invalid arguments of {component}:\n{error}") from None

    return run


def external_id_inputs(
    config: StackConfig,
    external_ids: ExternalIds | None,
    inline: Mapping[int, pulumi.Output[str]],
    component: str,
) -> ExternalIds | None:
    """Account ID to external ID, from `externalIds` and the inline outputs, each value checked when resolved.

    Every key must be an account of `roles.accounts`: a mistyped one would leave the role it meant without its
    external-ID condition. A plain map is checked now; one that is an output, once it resolves.
    """
    declared = [account.id for account in config.roles.accounts]
    merged: dict[str, pulumi.Input[str]] = {
        declared[index]: _checked_value(f"roles.accounts[{index}].externalId", value, component)
        for index, value in inline.items()
    }
    if external_ids is None:
        return merged or None
    if isinstance(external_ids, Mapping):
        _check_keys(external_ids, declared)
        merged.update(
            {key: _checked_value(f"{EXTERNAL_IDS}.{key}", value, component) for key, value in external_ids.items()}
        )
        return merged
    arrived: pulumi.Output[Mapping[str, Any]] = (
        external_ids if isinstance(external_ids, pulumi.Output) else pulumi.Output.from_input(external_ids)
    )
    resolved = arrived.apply(failing_clearly(component, lambda ids: _checked_map(ids or {}, declared)))
    if not merged:
        return resolved
    return pulumi.Output.all(resolved, pulumi.Output.from_input(merged)).apply(
        lambda both: {**both[1], **both[0]}  # the map wins over roles.accounts[].externalId, as for plain values
    )


def _checked_map(ids: Mapping[str, Any], declared: list[str]) -> Mapping[str, Any]:
    _check_keys(ids, declared)
    for key, value in ids.items():
        _check_external_id(f"{EXTERNAL_IDS}.{key}", value)
    return ids


def _check_keys(ids: Mapping[str, Any], declared: list[str]) -> None:
    accepted = f"an account of roles.accounts ({', '.join(declared)})" if declared else "none: roles.accounts is empty"
    problems = [f"{EXTERNAL_IDS}: {key!r} is not accepted; expected {accepted}" for key in ids if key not in declared]
    if problems:
        raise ConfigError(problems)


def _checked_value(path: str, value: pulumi.Input[str], component: str) -> pulumi.Input[str]:
    if isinstance(value, str):
        _check_external_id(path, value)
        return value
    arrived: pulumi.Output[str] = pulumi.Output.from_input(value)
    return arrived.apply(failing_clearly(component, lambda v: _check_external_id(path, v)))


def _check_external_id(path: str, value: Any) -> str:
    """An external ID from an output is never echoed: it may be a secret."""
    if not (isinstance(value, str) and re.fullmatch(EXTERNAL_ID[1:-1], value)):
        raise ConfigError([f"{path}: {SECRET_SHOWN!r} is not accepted; expected {EXTERNAL_ID_TEXT}"])
    return value
