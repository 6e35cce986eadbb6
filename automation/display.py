"""How `plan` and the Automation API operations show results: secrets hidden unless asked, one line a value."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from .pack_client import Violation

SECRET = "[secret]"


class SecretAware(Protocol):
    """A stack output as the mock engine or the Automation API reports it."""

    @property
    def value(self) -> Any: ...

    @property
    def secret(self) -> bool: ...


def presentable(value: Any, show_secrets: bool) -> Any:
    """Inputs as a person reads them: secrets (wire markers) as a placeholder, whole numbers as integers."""
    if is_rpc_secret(value):
        return presentable(unwrap_rpc_secret(value), show_secrets) if show_secrets else SECRET
    if isinstance(value, dict):
        return {key: presentable(item, show_secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [presentable(item, show_secrets) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire carries every number as a double
    return value


def output_value(output: SecretAware, show_secrets: bool) -> Any:
    return SECRET if output.secret and not show_secrets else output.value


def one_line(value: Any) -> str:
    """A value on one line: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def finding_lines(violations: Iterable[Violation], indent: str) -> list[str]:
    """Each policy finding: level, policy and resource, then its message indented under it."""
    return [f"{indent}[{v.level}] {v.policy}: {v.urn}\n{indent}    {v.message}" for v in violations]
