"""axonius-aws-access: read-only access for the Axonius AWS adapter. Thin on purpose: see components/."""

import pulumi

from components.axonius_access import AxoniusAccess, arguments
from components.config_reader import read_stack_config
from components.policy_documents import PolicyLimitError
from components.stack_config import NAMESPACE, ConfigError
from policy_pack.rules.iam_actions import default_catalog

try:
    config = read_stack_config(default_catalog())
    access = AxoniusAccess(
        "axonius-aws-access",
        arguments(config, external_ids_secret=pulumi.runtime.is_config_secret(f"{NAMESPACE}:roles")),
    )
except (ConfigError, PolicyLimitError) as error:
    raise pulumi.RunError(f"invalid configuration for stack {pulumi.get_stack()}:\n{error}") from None

for name, value in access.outputs().items():
    pulumi.export(name, value)
