"""Which role the stack's AWS providers assume in each member account.

The deploy role (`roles.deployRoleName`), except in a pull-request preview: there the environment names a
read-only preview role, so code from a pull request never holds deploy power. Only the AWS providers switch;
the Kubernetes sign-in and the aws-auth mapping keep naming the deploy role, so their inputs (and the preview
diff of everything under them) stay exactly what `up` would send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .stack_config import IAM_NAME, IAM_NAME_TEXT, ConfigError

PREVIEW_ROLE_VARIABLE = "AXONIUS_AWS_ACCESS_PREVIEW_ROLE"


def provider_role_name(deploy_role_name: str, environ: Mapping[str, str], dry_run: bool) -> str:
    """The role name the member-account providers assume: the preview role when set, and only in a preview."""
    preview_role = environ.get(PREVIEW_ROLE_VARIABLE, "")
    if not preview_role:
        return deploy_role_name
    if not re.fullmatch(IAM_NAME, preview_role):
        raise ConfigError([f"{PREVIEW_ROLE_VARIABLE}: {preview_role!r} is not accepted; expected {IAM_NAME_TEXT}"])
    if not dry_run:
        raise ConfigError(
            [
                f"{PREVIEW_ROLE_VARIABLE}: {preview_role!r} is set during an update; it names a read-only role "
                "for previews, which cannot deploy. Unset it to deploy with roles.deployRoleName"
            ]
        )
    return preview_role
