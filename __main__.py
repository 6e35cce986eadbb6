"""axonius-aws-access: read-only access for the Axonius AWS adapter. Thin on purpose: see components/."""

import pulumi
import pulumi_aws as aws

from components.access_stack import Home, declare_access
from components.policy_documents import PolicyLimitError
from components.stack_config import NAMESPACE, ConfigError, check_home, opt_in_notes, read_stack_config
from policy_pack.rules.iam_actions import default_catalog

try:
    catalog = default_catalog()
    config = read_stack_config(catalog)
    home = Home(account_id=aws.get_caller_identity().account_id, partition=aws.get_partition().partition)
    check_home(config, home.account_id, home.partition, aws.config.region)
    for note in opt_in_notes(config, aws.config.region, home.partition):
        pulumi.log.warn(note)
    external_ids = None
    if pulumi.runtime.is_config_secret(f"{NAMESPACE}:roles"):
        external_ids = {a.id: pulumi.Output.secret(a.external_id) for a in config.roles.accounts if a.external_id}
    outputs = declare_access(config, home, catalog, external_ids=external_ids)
except (ConfigError, PolicyLimitError) as error:
    raise pulumi.RunError(f"invalid configuration for stack {pulumi.get_stack()}:\n{error}") from None

for name, value in outputs.items():
    pulumi.export(name, value)
