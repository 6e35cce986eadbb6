"""Values not known during preview, kept in place so that a check can decide on everything that is known."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import proxy
from pulumi_policy.proxy import UnknownValueError

UNKNOWN_STRING_VALUE = proxy.UNKNOWN_STRING_VALUE
# The engine's sentinels for unknown strings, numbers, booleans, arrays, objects, assets and archives.
SENTINELS = frozenset(
    value for name, value in vars(proxy).items() if name.startswith("UNKNOWN_") and name.endswith("_VALUE")
)


@dataclass(frozen=True)
class Unknown:
    """A value the engine will only know during `up`; `path` is where it sits in the resource's properties."""

    sentinel: str
    path: tuple[str, ...]

    def error(self) -> UnknownValueError:
        return UnknownValueError(self.sentinel, list(self.path))


def resolve(value: Any, path: tuple[str, ...] = ()) -> Any:
    """Plain dicts and lists from the SDK's proxies (or plain data), each unknown value replaced by `Unknown`."""
    if isinstance(value, str):
        return Unknown(value, path) if value in SENTINELS else value
    if isinstance(value, Mapping):
        resolved = {}
        for key in value:
            try:
                resolved[key] = resolve(value[key], (*path, str(key)))
            except UnknownValueError as error:
                resolved[key] = Unknown(error.unknown_type_sentinel, (*path, str(key)))
        return resolved
    if isinstance(value, Sequence):
        items = []
        for index in range(len(value)):
            try:
                items.append(resolve(value[index], (*path, str(index))))
            except UnknownValueError as error:
                items.append(Unknown(error.unknown_type_sentinel, (*path, str(index))))
        return items
    return value


def unknowns(value: Any) -> Iterator[Unknown]:
    """Every unknown value inside `value`."""
    if isinstance(value, Unknown):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from unknowns(item)
    elif isinstance(value, list):
        for item in value:
            yield from unknowns(item)
