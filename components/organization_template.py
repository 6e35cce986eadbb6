"""Organization mode as plain data: the StackSet's CloudFormation template and the user's one-statement grant.

The template holds exactly what an explicit role account gets (the same read-only documents, packed the
same way, and a role that trusts only the inventory user, pinned to its unique ID), with the user's ARN,
unique ID and the external ID as parameters, so a replaced user or a new external ID updates every
account through the StackSet.
"""

from __future__ import annotations

from collections.abc import Sequence

from .policy_documents import POLICY_VERSION, Document, PolicyLimitError, compact_json

TEMPLATE_VERSION = "2010-09-09"
# CloudFormation's limit for a template passed in the request body (CreateStackSet TemplateBody).
MAX_TEMPLATE_BODY_BYTES = 51200
USER_ARN = "UserArn"
USER_UNIQUE_ID = "UserUniqueId"
EXTERNAL_ID = "ExternalId"
ROLE = "InventoryRole"
ORGANIZATION_GRANT_SID = "AssumeAxoniusRolesInOrganization"


def policy_logical_id(number: int) -> str:
    return f"ReadOnlyPolicy{number}"


def template_trust_document(with_external_id: bool) -> Document:
    """`trust_document` with parameters in place of the user's ARN, unique ID and external ID."""
    statement: Document = {
        "Sid": {"Fn::Sub": f"TrustAxoniusUser${{{USER_UNIQUE_ID}}}"},
        "Effect": "Allow",
        "Principal": {"AWS": {"Ref": USER_ARN}},
        "Action": "sts:AssumeRole",
    }
    if with_external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": {"Ref": EXTERNAL_ID}}}
    return {"Version": POLICY_VERSION, "Statement": [statement]}


def role_template(
    role_name: str, max_session_duration: int, read_only_documents: Sequence[Document], *, with_external_id: bool
) -> Document:
    """The template every targeted account gets: the read-only managed policies and the role."""
    parameters: Document = {
        USER_ARN: {"Type": "String", "Description": "ARN of the inventory user, the only principal trusted"},
        USER_UNIQUE_ID: {"Type": "String", "Description": "Unique ID of the inventory user (AIDA...)"},
    }
    if with_external_id:
        parameters[EXTERNAL_ID] = {"Type": "String", "NoEcho": True, "Description": "sts:ExternalId to require"}
    resources: Document = {
        ROLE: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": role_name,
                "Description": "Axonius adapter: read-only inventory access, assumed by the inventory user",
                "AssumeRolePolicyDocument": template_trust_document(with_external_id),
                "MaxSessionDuration": max_session_duration,
                "Tags": [{"Key": "managed-by", "Value": "axonius-aws-access"}],
            },
        }
    }
    for number, document in enumerate(read_only_documents, start=1):
        resources[policy_logical_id(number)] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": f"{role_name}-ReadOnly-{number}",
                "Description": f"Axonius adapter: read-only inventory access ({number} of {len(read_only_documents)})",
                "PolicyDocument": document,
                "Roles": [{"Ref": ROLE}],
            },
        }
    return {
        "AWSTemplateFormatVersion": TEMPLATE_VERSION,
        "Description": "axonius-aws-access: read-only role for the Axonius adapter",
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": [ROLE, "Arn"]}}},
    }


def template_body(template: Document) -> str:
    """The template as CloudFormation receives it; too large a body is a clear error before anything is declared."""
    body = compact_json(template)
    size = len(body.encode())
    if size > MAX_TEMPLATE_BODY_BYTES:
        raise PolicyLimitError(
            f"the StackSet template is {size:,} bytes; CloudFormation accepts at most {MAX_TEMPLATE_BODY_BYTES:,} "
            "in the request body. Select fewer permission sets or actions."
        )
    return body


def organization_path_patterns(organization_id: str, targets: Sequence[str]) -> list[str]:
    """`aws:ResourceOrgPaths` patterns for the targeted roots and OUs.

    A path is `o-id/r-root/ou-a/ou-b/`. OU IDs are unique in an organization, so `o-id/*/ou-b/*` names
    ou-b and its descendants wherever it sits, without walking the tree to learn its parents.
    """
    return sorted(
        f"{organization_id}/{target}/*" if target.startswith("r-") else f"{organization_id}/*/{target}/*"
        for target in targets
    )


def organization_assume_role_document(
    partition: str, role_name: str, organization_id: str, targets: Sequence[str], role_path: str = "/"
) -> Document:
    """One statement for any number of accounts: the role by exact name, in any account of the targeted OUs.

    `aws:ResourceOrgID` and `aws:ResourceOrgPaths` are global keys describing the account that owns the
    role; in an Allow, a key missing from the request (an account outside any organization) never matches.
    """
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": ORGANIZATION_GRANT_SID,
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:{partition}:iam::*:role{role_path}{role_name}",
                "Condition": {
                    "StringEquals": {"aws:ResourceOrgID": organization_id},
                    "ForAnyValue:StringLike": {
                        "aws:ResourceOrgPaths": organization_path_patterns(organization_id, targets)
                    },
                },
            }
        ],
    }


def stack_set_parameters(user_arn: str, user_unique_id: str, external_id: str | None) -> dict[str, str]:
    parameters = {USER_ARN: user_arn, USER_UNIQUE_ID: user_unique_id}
    if external_id is not None:
        parameters[EXTERNAL_ID] = external_id
    return parameters
