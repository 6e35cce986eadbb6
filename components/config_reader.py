"""The stack's configuration as the Pulumi runtime hands it to the program, parsed and checked."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi.runtime

from policy_pack.rules.iam_actions import ActionCatalog

from .config_validation import parse_stack_config
from .stack_config import CONFIG_KEYS, NAMESPACE, ConfigError, StackConfig

# Keys of the Pulumi CLI and of the providers this program configures: allowed beside ours.
OTHER_NAMESPACES = ("aws", "kubernetes", "pulumi")


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
