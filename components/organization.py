"""Organization mode: the role in every account of some OUs through one service-managed CloudFormation StackSet.

AWS runs the fan-out (and deploys to accounts that join a targeted OU later), so the stack holds one StackSet,
one instance per target and region, and at most one provider, for the admin account, whatever the number of
accounts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from .organization_accounts import FoundAccount, OrganizationMembers, call_as, organization_members
from .organization_template import EXTERNAL_ID, stack_set_parameters
from .stack_config import ConfigError, OrganizationConfig, RoleAccount


def discover_members(
    organization: OrganizationConfig, explicit: Sequence[RoleAccount], provider: aws.Provider | None
) -> OrganizationMembers:
    """Ask Organizations, from the admin account, for the organization and the accounts under each target.

    Runs before anything is declared: a target Organizations does not know is a ConfigError naming it.
    """
    opts = pulumi.InvokeOptions(provider=provider)
    try:
        described = aws.organizations.get_organization(return_organization_only=True, opts=opts)
    except Exception as error:  # noqa: BLE001 the provider's error, whatever its type
        raise ConfigError(
            [
                f"organization.adminAccount: {organization.admin_account!r} could not describe its organization "
                f"({error}); expected the management account or a delegated administrator for StackSets"
            ]
        ) from None
    found = []
    problems = []
    for index, target in enumerate(organization.organizational_units):
        try:
            answer = aws.organizations.get_organizational_unit_descendant_accounts(parent_id=target, opts=opts)
        except Exception as error:  # noqa: BLE001
            problems.append(
                f"organization.organizationalUnits[{index}]: {target!r} could not be read ({error}); expected a root "
                f"or OU of organization {described.id}"
            )
            continue
        found.append((target, [FoundAccount(account.id, account.state) for account in answer.accounts]))
    if problems:
        raise ConfigError(problems)
    return organization_members(organization, described.id, described.master_account_id, found, explicit)


class OrganizationRoles(pulumi.ComponentResource):
    """A service-managed StackSet of the role template, and its instances per targeted OU and region."""

    def __init__(
        self,
        name: str,
        *,
        organization: OrganizationConfig,
        members: OrganizationMembers,
        stack_set_name: str,
        template_body: str,
        regions: Sequence[str],
        trusted_user_arn: pulumi.Input[str],
        trusted_user_unique_id: pulumi.Input[str],
        provider: aws.Provider | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("axonius-aws-access:organization:OrganizationRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        caller = call_as(organization.admin_account, members.management_account_id)
        external_id = secret_or_none(organization.external_id)
        parameters = pulumi.Output.all(trusted_user_arn, trusted_user_unique_id, external_id).apply(
            lambda values: stack_set_parameters(*values)
        )
        self.stack_set = aws.cloudformation.StackSet(
            name,
            name=stack_set_name,
            description="axonius-aws-access: read-only role for the Axonius adapter in every targeted account",
            permission_model="SERVICE_MANAGED",
            auto_deployment=aws.cloudformation.StackSetAutoDeploymentArgs(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            call_as=caller,
            capabilities=["CAPABILITY_NAMED_IAM"],
            template_body=template_body,
            parameters=parameters,
            operation_preferences=aws.cloudformation.StackSetOperationPreferencesArgs(
                max_concurrent_percentage=organization.max_concurrent_percentage,
                failure_tolerance_percentage=organization.failure_tolerance_percentage,
                region_concurrency_type="PARALLEL",
            ),
            opts=child,
        )
        preferences = aws.cloudformation.StackSetInstanceOperationPreferencesArgs(
            max_concurrent_percentage=organization.max_concurrent_percentage,
            failure_tolerance_percentage=organization.failure_tolerance_percentage,
        )

        def instance(
            suffix: str,
            region: str,
            targets: aws.cloudformation.StackSetInstanceDeploymentTargetsArgs,
            overrides: Mapping[str, pulumi.Input[str]] | None = None,
        ) -> aws.cloudformation.StackSetInstance:
            return aws.cloudformation.StackSetInstance(
                f"{name}-{suffix}-{region}",
                stack_set_name=self.stack_set.name,
                call_as=caller,
                stack_set_instance_region=region,
                deployment_targets=targets,
                parameter_overrides=overrides,
                operation_preferences=preferences,
                retain_stack=False,
                opts=child,
            )

        self.instances = []
        for target in organization.organizational_units:
            # Excluded accounts and those with their own external ID are left out of the OU-wide instance.
            left_out = sorted(
                {*organization.exclude_accounts, *(a for a in members.overrides if members.targets[a] == target)}
            )
            targets = aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
                organizational_unit_ids=[target],
                accounts=left_out or None,
                account_filter_type="DIFFERENCE" if left_out else None,
            )
            self.instances += [instance(target, region, targets) for region in regions]
        for account, own_external_id in sorted(members.overrides.items()):
            targets = aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
                organizational_unit_ids=[members.targets[account]],
                accounts=[account],
                account_filter_type="INTERSECTION",
            )
            overrides = {EXTERNAL_ID: pulumi.Output.secret(own_external_id)}
            self.instances += [instance(account, region, targets, overrides) for region in regions]
        self.stack_set_name = self.stack_set.name
        self.register_outputs({"stackSetName": self.stack_set_name, "accounts": members.account_ids})


def secret_or_none(value: str | None) -> pulumi.Input[str | None]:
    return pulumi.Output.secret(value) if value is not None else None
