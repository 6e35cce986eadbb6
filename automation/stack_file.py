"""Read a stack's settings file (`stacks/Pulumi.<stack>.yaml`) the way the Pulumi CLI hands it to the program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .project import PROJECT

SECRET_PLACEHOLDER = "secure-placeholder"


class StackFileError(Exception):
    pass


@dataclass(frozen=True)
class StackSettings:
    config: dict[str, str]  # fully qualified key -> value as the program sees it (objects as JSON)
    secret_keys: list[str]


def stack_config_dir(project_dir: Path) -> Path:
    """Where the CLI keeps stack settings: Pulumi.yaml's `stackConfigDir`, else beside Pulumi.yaml."""
    project = load_yaml((project_dir / "Pulumi.yaml").read_text()) or {}
    return project_dir / (project.get("stackConfigDir") or ".")


def stack_file(project_dir: Path, stack: str) -> Path:
    """A stack's settings file as the CLI finds it; `org/project/dev` and `dev` share `Pulumi.dev.yaml`."""
    return stack_config_dir(project_dir) / f"Pulumi.{stack.split('/')[-1]}.yaml"


def _mask_secure_values(value: Any) -> tuple[Any, bool]:
    """Replace `secure:` values (which only the CLI can decrypt) with a placeholder; say if there were any."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        pairs = {key: _mask_secure_values(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(secret for _, secret in pairs.values())
    if isinstance(value, list):
        items = [_mask_secure_values(item) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


class _CliConstructor(SafeConstructor):
    """Values as go-yaml v3 gives them to the Pulumi CLI: timestamps stay strings."""


_CliConstructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def load_yaml(text: str) -> Any:
    """YAML 1.2 as the Pulumi CLI reads it: `yes`, `no`, `on` are strings and a duplicate key is an error."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _CliConstructor
    return yaml.load(text)


def _yaml_problem(error: YAMLError) -> str:
    if isinstance(error, MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
    return str(error)


def whole_secret_problems(path: Path, config: dict[str, Any]) -> list[str]:
    """Our config objects encrypted as a whole: only the CLI can decrypt them, and nobody can review them."""
    return [
        f"{path}: {key} is encrypted as a whole (secure: ...); expected a mapping in which only secret values are "
        f"encrypted, e.g. pulumi config set --secret --path '{key}.accounts[0].externalId' VALUE"
        for key, value in config.items()
        if (key.startswith(f"{PROJECT}:") or ":" not in key) and isinstance(value, dict) and set(value) == {"secure"}
    ]


def read_stack_settings(path: Path) -> StackSettings:
    try:
        document = load_yaml(path.read_text()) or {}
    except OSError as error:
        raise StackFileError(f"cannot read stack file {path}: {error.strerror}") from None
    except YAMLError as error:
        raise StackFileError(f"{path} is not valid YAML as the Pulumi CLI reads it: {_yaml_problem(error)}") from None
    raw_config = document.get("config") or {} if isinstance(document, dict) else None
    if not isinstance(raw_config, dict):
        raise StackFileError(f"{path}: 'config' must be a mapping of keys to values")
    if problems := whole_secret_problems(path, raw_config):
        raise StackFileError("\n".join(problems))
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, raw_value in raw_config.items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        value, secret = _mask_secure_values(raw_value)
        config[full_key] = value if isinstance(value, str) else json.dumps(value)
        if secret:
            secret_keys.append(full_key)
    return StackSettings(config=config, secret_keys=secret_keys)
