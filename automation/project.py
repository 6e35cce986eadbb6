"""The project every command works on: its name in Pulumi.yaml, its folder, the policy config it ships."""

from __future__ import annotations

from pathlib import Path

PROJECT = "axonius-aws-access"
PROJECT_DIR = Path(__file__).resolve().parent.parent
POLICY_CONFIG = Path("policy_pack") / "policy-config.json"
