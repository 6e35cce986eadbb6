"""The axonius-read-only policy pack. Constructing a PolicyPack serves it and blocks: build it here only.

The engine runs this folder (`python -m pulumi.policy <engine> .` with policy_pack/ as the working directory), which
puts policy_pack/ on the path but not the project root, so `policy_pack.rules` (the rules' one import name, as the
program and tests use it) would import only where `make setup`'s .pth is installed, and from whichever checkout made
that venv. The two lines below put this checkout's root first, so the pack always evaluates its own rules.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy_pack.rules.policies import all_policies

PolicyPack(
    name="axonius-read-only",
    policies=all_policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Nothing broader than List/Read: IAM and resource policies, role trust, Kubernetes RBAC, EKS mappings",
)
