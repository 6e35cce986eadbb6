"""Regenerate `rules/role_hand_offs.json`: every pulumi-aws resource input that hands an IAM role to a service.

    venv/bin/python -m policy_pack.generate_role_hand_offs

A Lambda function, an ECS task, an instance profile, a crawler, ... runs as the role its input names: whoever
controls that compute gets what the role grants. The table lists, per resource type, the inputs whose name says
they take a role or an instance profile, read from the installed SDK's source (the wire names: camelCase). The
pack reads only the generated module; a test fails when the installed SDK differs from it (regenerate, review).
"""

from __future__ import annotations

import json
import re
import sys
from importlib.metadata import version
from pathlib import Path

import pulumi_aws

from policy_pack.rules.role_hand_offs import TABLE_PATH

TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(aws:[^']+)'")
INPUT = re.compile(r"__props__\.__dict__\[\"(\w+)\"\] = (\w+)\n")
ROLE_INPUT = re.compile(
    r"(role|roleArn|roleArns|iamRoles|iamRoleArns|\w+Role|\w+RoleArn"
    r"|iamInstanceProfile|customIamInstanceProfile|instanceProfile|instanceProfileArn|instanceProfileName)"
)
# Inputs named like a role that are not an IAM role handed to a service: the IAM resources that attach policies
# to a role (checked as attachments), and roles of other systems (Grafana, QuickSight, WorkMail user roles, RDS
# proxy endpoints' READ_ONLY / READ_WRITE).
NOT_HAND_OFFS = frozenset(
    {
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:grafana/roleAssociation:RoleAssociation",
        "aws:quicksight/roleCustomPermission:RoleCustomPermission",
        "aws:quicksight/roleMembership:RoleMembership",
        "aws:quicksight/user:User",
        "aws:workmail/user:User",
        "aws:grafana/workspaceApiKey:WorkspaceApiKey",
        "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount",
        "aws:rds/proxyEndpoint:ProxyEndpoint",
    }
)


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def hand_off_fields(package_dir: Path) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for source in sorted(package_dir.rglob("*.py")):
        text = source.read_text()
        token = TOKEN.search(text)
        if token is None or token.group(1) in NOT_HAND_OFFS:
            continue
        fields = sorted({camel(name) for name, value in INPUT.findall(text) if value == name})
        roles = tuple(field for field in fields if ROLE_INPUT.fullmatch(field))
        if roles:
            table[token.group(1)] = roles
    return dict(sorted(table.items()))


def pulumi_aws_version() -> str:
    return version("pulumi_aws")


def generated_table() -> dict[str, tuple[str, ...]]:
    return hand_off_fields(Path(pulumi_aws.__file__).resolve().parent)


def generated() -> dict[str, object]:
    return {"source": f"pulumi-aws {pulumi_aws_version()}", "fields": generated_table()}


def main() -> int:
    TABLE_PATH.write_text(json.dumps(generated(), indent=1) + "\n")
    print(f"wrote {TABLE_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
