"""The axonius-read-only policy pack. Constructing a PolicyPack serves it and blocks: build it here only."""

from pulumi_policy import EnforcementLevel, PolicyPack

from rules.policies import all_policies

PolicyPack(
    name="axonius-read-only",
    policies=all_policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Nothing broader than List/Read: IAM and resource policies, role trust, Kubernetes RBAC, EKS mappings",
)
