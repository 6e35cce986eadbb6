"""axonius-aws-access: read-only access for the Axonius AWS adapter. Thin on purpose: see components/."""

import pulumi
import pulumi_aws as aws

from components.access_stack import Home, declare_access
from components.policy_documents import PolicyLimitError
from components.stack_config import ConfigError, check_cluster_accounts, read_stack_config
from policy_pack.rules.iam_actions import default_catalog

try:
    catalog = default_catalog()
    config = read_stack_config(catalog)
    identity = aws.get_caller_identity()
    check_cluster_accounts(config, identity.account_id)
    home = Home(account_id=identity.account_id, partition=aws.get_partition().partition)
    outputs = declare_access(config, home, catalog)
except (ConfigError, PolicyLimitError) as error:
    raise pulumi.RunError(f"invalid configuration for stack {pulumi.get_stack()}:\n{error}") from None

for name, value in outputs.items():
    pulumi.export(name, value)
