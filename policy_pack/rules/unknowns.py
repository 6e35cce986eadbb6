"""Values the engine does not know yet (during preview), kept as markers so a check can go on around them.

The SDK raises as soon as a policy touches an unknown value, and the whole policy becomes one advisory
"can't run" note. Resolving the properties first, with each unknown replaced by a marker that names its
path, lets every check read what is known, report what it finds there, and name only the unknown parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import proxy
from pulumi_policy.proxy import UnknownValueError

SENTINELS = frozenset(
    {
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
    }
)


@dataclass(frozen=True)
class Unknown:
    """A value the engine will know only once the resources it depends on exist."""

    path: str


def _join(path: str, key: object) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def resolve(value: Any, path: str = "") -> Any:
    """Plain dicts and lists from the SDK's proxies, with an `Unknown` marker wherever a value is unknown."""
    if isinstance(value, str):
        return Unknown(path) if value in SENTINELS else value
    if isinstance(value, Mapping):
        return {key: _resolve_item(value, key, _join(path, key)) for key in value}
    if isinstance(value, Sequence):
        return [_resolve_item(value, index, _join(path, index)) for index in range(len(value))]
    return value


def _resolve_item(container: Any, key: Any, path: str) -> Any:
    try:
        item = container[key]
    except UnknownValueError:
        return Unknown(path)
    return resolve(item, path)


def unknowns(value: Any) -> list[Unknown]:
    """Every unknown marker inside a resolved value."""
    if isinstance(value, Unknown):
        return [value]
    if isinstance(value, dict):
        return [unknown for item in value.values() for unknown in unknowns(item)]
    if isinstance(value, list):
        return [unknown for item in value for unknown in unknowns(item)]
    return []


def unknown_paths(value: Any) -> list[str]:
    """Where a resolved value still holds unknowns."""
    return [unknown.path for unknown in unknowns(value)]


def not_yet_known(paths: Iterable[str]) -> UnknownValueError:
    """The SDK's own signal for "cannot be checked during preview", naming only the unknown parts."""
    names = sorted(set(paths))
    error = UnknownValueError(proxy.UNKNOWN_STRING_VALUE, names[:1])
    error.message = (
        f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} not known until the resources they depend on "
        "exist; everything else was checked now, and these are checked during the update, before they are applied"
    )
    return error
