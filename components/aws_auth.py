"""Merging one identity mapping into `kube-system/aws-auth` without touching anyone else's.

`data` is the ConfigMap's `data`; `kind` is `mapUsers` or `mapRoles`, each a YAML list of
`{userarn|rolearn, username, groups}`. Our entry is keyed by its ARN. Every other entry and every
other key keeps its parsed content; a key we cannot parse is never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import yaml

# The aws-auth lists that map IAM identities (users, roles) to Kubernetes users and groups.
MapKind = Literal["mapUsers", "mapRoles"]
ARN_FIELD: dict[MapKind, str] = {"mapUsers": "userarn", "mapRoles": "rolearn"}
USER_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:user/([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]+")
# aws-auth matches roles by ARN without a path.
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9_+=,.@-]+")


def _arn_field(kind: str) -> str:
    if kind not in ARN_FIELD:
        raise ValueError(f"kind must be mapUsers or mapRoles, not {kind!r}")
    return ARN_FIELD[kind]


def parse_entries(data: Mapping[str, str] | None, kind: str) -> list[Any]:
    """The entries under `kind`; ValueError naming the key when they are not a YAML list."""
    _arn_field(kind)
    raw = (data or {}).get(kind)
    if raw is None or not raw.strip():
        return []
    try:
        entries = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise ValueError(f"aws-auth {kind} is not valid YAML; refusing to rewrite it: {error}") from None
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ValueError(f"aws-auth {kind} is not a YAML list; refusing to rewrite it")
    return entries


def _is_ours(entry: Any, field: str, arn: str) -> bool:
    return isinstance(entry, dict) and entry.get(field) == arn


def _with_entries(data: Mapping[str, str] | None, kind: str, entries: list[Any]) -> dict[str, str]:
    result = dict(data or {})
    if entries:
        result[kind] = yaml.safe_dump(entries, default_flow_style=False, sort_keys=False)
    else:
        result.pop(kind, None)
    return result


def check_mapping(kind: str, arn: str, username: str, groups: Sequence[str]) -> None:
    """Refuse entries that must never be written."""
    pattern = USER_ARN if _arn_field(kind) == "userarn" else ROLE_ARN
    if not isinstance(arn, str) or not pattern.fullmatch(arn):
        expected = "an IAM user ARN" if kind == "mapUsers" else "an IAM role ARN without a path"
        raise ValueError(f"{kind} entry ARN {arn!r} is not {expected}")
    if not username or username.startswith("system:"):
        raise ValueError(f"aws-auth username {username!r} is empty or reserved (system:)")
    for group in groups:
        if not group or group.startswith("system:"):
            raise ValueError(
                f"aws-auth group {group!r} is empty or reserved (system:); it would grant Kubernetes roles"
            )


def add_mapping(
    data: Mapping[str, str] | None, kind: str, arn: str, username: str, groups: Sequence[str]
) -> dict[str, str]:
    """`data` with our entry added once, or updated in place where it already is."""
    check_mapping(kind, arn, username, groups)
    field = _arn_field(kind)
    entries = parse_entries(data, kind)
    ours = {field: arn, "username": username, "groups": list(groups)}
    positions = [index for index, entry in enumerate(entries) if _is_ours(entry, field, arn)]
    if positions:
        first = positions[0]
        entries = [entry for index, entry in enumerate(entries) if index == first or index not in positions]
        entries[first] = ours
    else:
        entries.append(ours)
    return _with_entries(data, kind, entries)


def remove_mapping(data: Mapping[str, str] | None, kind: str, arn: str) -> dict[str, str]:
    """`data` without our entry; unchanged (not even reformatted) when it is not there."""
    field = _arn_field(kind)
    entries = parse_entries(data, kind)
    kept = [entry for entry in entries if not _is_ours(entry, field, arn)]
    if len(kept) == len(entries):
        return dict(data or {})
    return _with_entries(data, kind, kept)


def find_mapping(data: Mapping[str, str] | None, kind: str, arn: str) -> dict[str, Any] | None:
    field = _arn_field(kind)
    return next((entry for entry in parse_entries(data, kind) if _is_ours(entry, field, arn)), None)
