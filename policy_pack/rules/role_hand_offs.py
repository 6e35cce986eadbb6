"""The generated table of inputs that hand an IAM role to a service (policy_pack/generate_role_hand_offs.py)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TABLE_PATH = Path(__file__).with_name("role_hand_offs.json")


@cache
def role_hand_off_fields() -> dict[str, tuple[str, ...]]:
    """Per resource type, the inputs that take a role or an instance profile (wire names)."""
    fields: dict[str, list[str]] = json.loads(TABLE_PATH.read_text())["fields"]
    return {token: tuple(names) for token, names in fields.items()}
