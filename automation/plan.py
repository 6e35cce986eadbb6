"""`plan`: the program on the mock engine, the policy pack on every resource, a readable account of both."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from components.stack_config import ConfigError
from policy_pack.rules import resource_types as types

from .display import finding_lines, one_line, output_value, presentable
from .mock_engine import (
    DEFAULT_HOME_ACCOUNT,
    AwsMocks,
    DeclaredResource,
    StackOutput,
    provider_allowed_accounts,
    run_program,
)
from .organization_file import HOW_TO_MAKE, OrganizationFileError, load_organization
from .pack_client import (
    PolicyPackError,
    Violation,
    deploying_user_arn,
    evaluate_stack,
    mandatory,
    stack_pack_config,
)
from .project import POLICY_CONFIG, PROJECT_DIR
from .stack_file import SECRET_PLACEHOLDER, StackFileError, read_stack_settings, stack_file

ORGANIZATION_KEY = "axonius-aws-access:organization"
# The real engine starts one plugin process per provider: 170 to 430 MB each (pulumi-aws#5226, #5860).
PROVIDER_MB = (170, 430)
# Above this many accounts reached through their own provider, plan warns and points to organization mode.
EXPLICIT_ACCOUNTS_WARNING = 20


class PlanError(Exception):
    """The stack cannot be planned: bad config or stack file. Exit code 2."""


@dataclass(frozen=True)
class PlanResult:
    stack: str
    home_account: str
    resources: tuple[DeclaredResource, ...]
    outputs: dict[str, StackOutput]
    violations: tuple[Violation, ...]

    @property
    def mandatory_violations(self) -> tuple[Violation, ...]:
        return mandatory(self.violations)

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory_violations else 0

    @property
    def explicit_providers(self) -> int:
        return sum(1 for r in self.resources if r.type.startswith("pulumi:providers:"))

    @property
    def provider_processes(self) -> int:
        """Plugin processes a real `pulumi up` starts: one per explicit provider, and AWS's default one."""
        return self.explicit_providers + 1

    def provider_warning(self) -> str | None:
        accounts = sum(1 for r in self.resources if r.type == types.AWS_PROVIDER)
        if accounts <= EXPLICIT_ACCOUNTS_WARNING:
            return None
        low, high = (self.provider_processes * mb / 1000 for mb in PROVIDER_MB)
        return (
            f"warning: {accounts} accounts reached through their own provider; a real run starts "
            f"{self.provider_processes} provider processes ({low:.0f}-{high:.0f} GB at "
            f"{PROVIDER_MB[0]}-{PROVIDER_MB[1]} MB each). Above {EXPLICIT_ACCOUNTS_WARNING} accounts use "
            "organization mode (README: Organization mode): one StackSet and one provider "
            "whatever the number of accounts."
        )

    def role_file(self) -> str:
        """The adapter's role file: the JSON format, which alone carries external IDs.

        Refused when an external ID is a `secure:` value: offline it is only a placeholder, and a file
        holding it would make the adapter fail to assume every role it names.
        """
        output = self.outputs.get("roleArnFileJson")
        content = output.value if output else "[]"
        if any(entry.get("external_id") == SECRET_PLACEHOLDER for entry in json.loads(content)):
            raise PlanError(
                "the role file cannot be written offline: an external ID is a `secure:` value, which only the "
                "Pulumi CLI can decrypt. Take the file from the deployed stack instead: "
                f"`pulumi stack output roleArnFileJson --show-secrets -s {self.stack} > roles.json`"
            )
        return content


def plan(
    stack: str,
    *,
    config_file: str | os.PathLike[str] | None = None,
    home_account: str = DEFAULT_HOME_ACCOUNT,
    project_dir: Path = PROJECT_DIR,
    policies: bool = True,
    organization_file: str | os.PathLike[str] | None = None,
    policy_pack_config: str | os.PathLike[str] | None = None,
) -> PlanResult:
    """Run the program for `stack` offline and evaluate the policy pack on what it declares.

    A stack with `organization` needs `organization_file`: the mock engine answers Organizations from it.
    The pack gets the same config as `preview` and `up` give it: `policy_pack_config` (default
    `policy_pack/policy-config.json`) plus the stack's own role name and the user's exact ARN. Files may be
    given as `Path`s or strings.
    """
    path = Path(config_file) if config_file else stack_file(project_dir, stack)
    try:
        settings = read_stack_settings(path)
        organization = load_organization(Path(organization_file)) if organization_file else None
    except (StackFileError, OrganizationFileError) as error:
        raise PlanError(str(error)) from None
    if organization is None and ORGANIZATION_KEY in settings.config:
        raise PlanError(HOW_TO_MAKE)
    mocks = AwsMocks(home_account, organization=organization)
    try:
        run = run_program(project_dir, stack, settings.config, settings.secret_keys, mocks)
    except pulumi.RunError as error:
        raise PlanError(str(error)) from None
    violations: list[Violation] = []
    if policies:
        try:
            user = run.outputs["userArn"].value if "userArn" in run.outputs else None
            user = user or deploying_user_arn(settings, home_account)
            pack_config = Path(policy_pack_config) if policy_pack_config else project_dir / POLICY_CONFIG
            config = stack_pack_config(pack_config, settings, user)
            violations = evaluate_stack(project_dir / "policy_pack", stack, run.resources, config)
        except (PolicyPackError, ConfigError) as error:
            raise PlanError(str(error)) from None
    return PlanResult(stack, home_account, run.resources, run.outputs, tuple(violations))


def to_json(result: PlanResult, show_secrets: bool = False) -> dict[str, Any]:
    return {
        "stack": result.stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "provider": r.provider,
                "inputs": presentable(r.inputs, show_secrets),
            }
            for r in result.resources
        ],
        "outputs": {name: output_value(output, show_secrets) for name, output in result.outputs.items()},
        "violations": [v.as_dict() for v in result.violations],
        "providerProcesses": result.provider_processes,
    }


EKS_COMPONENT = "axonius-aws-access:eks_access:EksReadOnlyAccess"


def resource_places(result: PlanResult) -> dict[str, str]:
    """URN to where each custom resource lives: an AWS account ID, or `cluster <component>` for in-cluster objects."""
    provider_accounts = {
        r.urn: (provider_allowed_accounts(r.inputs) or [result.home_account])[0]
        for r in result.resources
        if r.type == types.AWS_PROVIDER
    }
    places = {}
    for r in result.resources:
        if not r.custom or r.type.startswith("pulumi:providers:"):
            continue
        parent_type = r.parent.split("::")[2].split("$")[-1] if r.parent else ""
        if parent_type == EKS_COMPONENT and not r.type.startswith("aws:"):
            places[r.urn] = f"cluster {r.parent.rsplit('::', 1)[-1]}"
        else:
            places[r.urn] = provider_accounts.get(r.provider.rsplit("::", 1)[0], result.home_account)
    return places


def deploy_role_arns(result: PlanResult) -> dict[str, str]:
    """Account to the role its provider assumes to deploy there."""
    roles = {}
    for resource in result.resources:
        if resource.type == types.AWS_PROVIDER and resource.inputs.get("assumeRoles"):
            assume_roles = json.loads(resource.inputs["assumeRoles"])
            for account in provider_allowed_accounts(resource.inputs):
                roles[account] = assume_roles[0]["roleArn"]
    return roles


def render_text(result: PlanResult, show_secrets: bool = False) -> str:
    places = resource_places(result)
    by_place: dict[str, Counter[str]] = defaultdict(Counter)
    policy_sizes: dict[str, list[str]] = defaultdict(list)
    for resource in result.resources:
        if resource.urn not in places:
            continue
        place = places[resource.urn]
        by_place[place][resource.type] += 1
        if resource.type == types.IAM_POLICY:
            size = len(str(presentable(resource.inputs.get("policy", ""), True)))
            policy_sizes[place].append(f"{resource.inputs.get('name')} ({size:,} chars)")
    total = sum(sum(counts.values()) for counts in by_place.values())
    accounts = [place for place in by_place if not place.startswith("cluster ")]
    lines = [f"Stack {result.stack}: {total} resources in {len(accounts)} account(s)"]
    deploy_roles = deploy_role_arns(result)
    for place in sorted(by_place, key=lambda p: (p.startswith("cluster "), p != result.home_account, p)):
        if place.startswith("cluster "):
            heading = f"In-cluster objects of {place.removeprefix('cluster ')} (Kubernetes API)"
        elif place in deploy_roles:
            heading = f"Account {place} (deployed through {deploy_roles[place]})"
        else:
            heading = f"Account {place}" + (" (home: the inventory user)" if place == result.home_account else "")
        lines.append(f"\n{heading}")
        for type_, count in sorted(by_place[place].items()):
            lines.append(f"  {count:>3}  {type_}")
        for policy in policy_sizes[place]:
            lines.append(f"       policy {policy}")
    lines.append("\nOutputs")
    width = max((len(name) for name in result.outputs), default=0)
    for name, output in sorted(result.outputs.items()):
        value = output_value(output, show_secrets)
        lines.append(f"  {name:<{width}}  {one_line(value)}")
    lines.append(
        f"\nProvider processes a real run starts: {result.provider_processes} "
        f"(the default AWS provider and {result.explicit_providers} explicit)"
    )
    warning = result.provider_warning()
    if warning:
        lines.append(warning)
    lines.append(f"\nPolicy pack: {len(result.violations)} finding(s), {len(result.mandatory_violations)} mandatory")
    lines.extend(finding_lines(result.violations, "  "))
    return "\n".join(lines)
