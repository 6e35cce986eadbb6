"""`AxoniusAccess`: everything a stack declares, as one component any Pulumi program can use.

The stack's `__main__.py` declares one; the component package in `component_provider/` serves it to programs in
other languages. No `from __future__ import annotations`: Pulumi infers the package schema from these
annotations at run time.
"""

from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws
from pydantic.alias_generators import to_camel

from policy_pack.rules.iam_actions import default_catalog

from .access_stack import ExternalIds, Home, declare_access
from .component_arguments import (
    config_tree,
    external_id_inputs,
    failing_clearly,
    outputs_in,
    take_inline_external_ids,
    with_values,
)
from .config_validation import parse_stack_config
from .home_checks import check_home
from .regions import opt_in_notes
from .stack_config import (
    EksConfig,
    OrganizationConfig,
    PermissionsConfig,
    RolesConfig,
    StackConfig,
    UserConfig,
)

TYPE = "axonius-aws-access:index:AxoniusAccess"


class AxoniusAccessArgs(TypedDict, total=False):
    """The stack's configuration contract, key by key; every key is optional."""

    user: UserConfig
    """The IAM user the adapter signs in as."""
    permissions: PermissionsConfig
    """The permission sets and single actions granted, all List or Read."""
    roles: RolesConfig
    """The read-only role in each other account."""
    eks: EksConfig
    """Read-only access to EKS clusters."""
    organization: OrganizationConfig
    """Roles in every account of some organizational units."""
    external_ids: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Account ID (one of `roles.accounts`) to the external ID its role requires, over `roles.accounts[].externalId`."""


class AxoniusAccess(pulumi.ComponentResource):
    """Read-only access for the Axonius AWS adapter: user, policies, roles and EKS access, checked before declaring."""

    user_name: pulumi.Output[str]
    user_arn: pulumi.Output[str]
    policy_arns: pulumi.Output[list[str]]
    role_arns: pulumi.Output[list[str]]
    role_arn_file: pulumi.Output[str]
    """The role ARNs, comma-delimited."""
    role_arn_file_json: pulumi.Output[str]
    """The adapter's JSON role file `[{"arn", "external_id"}]`; secret when it holds an external ID."""
    eks_clusters: pulumi.Output[list[dict[str, str]]]
    """Per cluster: name, region, account, mode used and the identity mapped."""
    organization: pulumi.Output[dict[str, Any] | None]
    """Organization mode: organization ID, role name, external ID and StackSet, as Axonius's organizations mode asks."""
    permission_sets: pulumi.Output[list[str]]
    """The permission sets granted: what `python -m automation verify` reads once per service."""
    max_session_duration: pulumi.Output[int]
    """The role session length, in seconds, that `verify` asks for."""
    region: pulumi.Output[str]
    eks_endpoints: pulumi.Output[list[dict[str, str]]]
    """Per cluster: name, region, account, API endpoint and CA, for `verify`."""
    access_key_id: pulumi.Output[str | None]
    """The active slot's access key ID: the one handed to Axonius."""
    secret_access_key: pulumi.Output[str | None]
    active_key: pulumi.Output[int | None]
    """The active access-key slot, 1 or 2."""
    access_keys: pulumi.Output[list[dict[str, Any]] | None]
    """Every slot's key: slot, access key ID and status."""
    secret_access_key1: pulumi.Output[str | None]
    secret_access_key2: pulumi.Output[str | None]

    def __init__(self, name: str, args: AxoniusAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        component = f"AxoniusAccess {name}"
        tree = config_tree({key: value for key, value in args.items() if key != "external_ids"})
        inline = take_inline_external_ids(tree)
        pending = outputs_in(tree)
        home = _home()
        if not pending:
            # Everything is checked before the component itself is registered: a bad value declares nothing.
            config, external_ids = _checked(tree, inline, args.get("external_ids"), home, component)
            super().__init__(TYPE, name, None, opts)
            outputs = declare_access(config, home, default_catalog(), external_ids=external_ids, parent=self)
        else:
            # Structure from other resources' outputs (account IDs, cluster names, ...): resolved, checked as above,
            # then declared. A preview that does not know a value yet shows the component without its children.
            super().__init__(TYPE, name, None, opts)

            def declare(values: list[Any]) -> dict[str, Any]:
                resolved = with_values(tree, values)
                # Resolved values lose their secrecy: every external ID among them is kept secret.
                secret = {i: pulumi.Output.secret(v) for i, v in take_inline_external_ids(resolved, every=True).items()}
                config, external_ids = _checked(
                    resolved, {**inline, **secret}, args.get("external_ids"), home, component
                )
                return declare_access(config, home, default_catalog(), external_ids=external_ids, parent=self)

            declared = pulumi.Output.all(*pending).apply(failing_clearly(component, declare))
            outputs = {to_camel(attribute): _output(declared, to_camel(attribute)) for attribute in OUTPUTS}
        for attribute in OUTPUTS:
            setattr(self, attribute, outputs.get(to_camel(attribute)))
        self.register_outputs(dict(outputs))

    def outputs(self) -> dict[str, Any]:
        """The stack outputs, by their exported (camelCase) names; no access key outputs without a key."""
        values = {to_camel(attribute): getattr(self, attribute) for attribute in OUTPUTS}
        return {name: value for name, value in values.items() if value is not None}


OUTPUTS = tuple(AxoniusAccess.__annotations__)


def _checked(
    tree: dict[str, Any],
    inline: Mapping[int, pulumi.Output[str]],
    external_ids: ExternalIds | None,
    home: Home,
    component: str,
) -> tuple[StackConfig, ExternalIds | None]:
    """The config the arguments stand for, and its external IDs: checked as a stack file is, or ConfigError."""
    region = aws.config.region
    config = parse_stack_config(tree, default_catalog(), region=region)
    ids = external_id_inputs(config, external_ids, inline, component)
    check_home(config, home.account_id, home.partition, region)
    for note in opt_in_notes(config, region, home.partition):
        pulumi.log.warn(note)
    return config, ids


def _output(declared: pulumi.Output[dict[str, Any]], key: str) -> pulumi.Output[Any]:
    return declared.apply(lambda outputs: outputs.get(key))


def _home() -> Home:
    """Where the deploying credentials are: the inventory user's account."""
    return Home(account_id=aws.get_caller_identity().account_id, partition=aws.get_partition().partition)


def arguments(config: StackConfig, *, external_ids_secret: bool = False) -> AxoniusAccessArgs:
    """A stack's config as the component's arguments; secret external IDs go through the top-level map."""
    args = AxoniusAccessArgs(user=config.user, permissions=config.permissions, roles=config.roles, eks=config.eks)
    if config.organization is not None:
        args["organization"] = config.organization
    if external_ids_secret:
        args["external_ids"] = {
            account.id: pulumi.Output.secret(account.external_id)
            for account in config.roles.accounts
            if account.external_id is not None
        }
    return args
