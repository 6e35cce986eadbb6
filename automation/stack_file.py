"""Read a stack's settings file (`stacks/Pulumi.<stack>.yaml`) the way the Pulumi CLI hands it to the program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .mock_engine import PROJECT

SECRET_PLACEHOLDER = "secure-placeholder"


class StackFileError(Exception):
    pass


@dataclass(frozen=True)
class StackSettings:
    config: dict[str, str]  # fully qualified key -> value as the program sees it (objects as JSON)
    secret_keys: list[str]


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / "stacks" / f"Pulumi.{stack}.yaml"


def _reveal(value: Any) -> tuple[Any, bool]:
    """Replace `secure:` values (which only the CLI can decrypt) with a placeholder; say if there were any."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        pairs = {key: _reveal(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(secret for _, secret in pairs.values())
    if isinstance(value, list):
        items = [_reveal(item) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def read_stack_settings(path: Path) -> StackSettings:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except OSError as error:
        raise StackFileError(f"cannot read stack file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path} is not valid YAML: {error}") from None
    raw_config = document.get("config") or {} if isinstance(document, dict) else None
    if not isinstance(raw_config, dict):
        raise StackFileError(f"{path}: 'config' must be a mapping of keys to values")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, raw_value in raw_config.items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        value, secret = _reveal(raw_value)
        config[full_key] = value if isinstance(value, str) else json.dumps(value)
        if secret:
            secret_keys.append(full_key)
    return StackSettings(config=config, secret_keys=secret_keys)
