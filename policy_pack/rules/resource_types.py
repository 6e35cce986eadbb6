"""Every resource type token the pack knows, in one place.

A policy that names a token the engine never sends checks nothing, silently; `tests/test_resource_types.py`
checks each token here against the SDK's own spelling (pulumi_aws and pulumi_kubernetes class metadata; the
aws-native tokens against that provider's published SDK source, since its SDK is not installed here).
"""

from __future__ import annotations


def _aws(module: str, *kinds: str) -> frozenset[str]:
    """`aws:<module>/<camelName>:<Name>` for each Name, as pulumi-aws spells its tokens."""
    return frozenset(f"aws:{module}/{kind[0].lower()}{kind[1:]}:{kind}" for kind in kinds)


def _native(module: str, *kinds: str) -> frozenset[str]:
    """`aws-native:<module>:<Name>`, as pulumi-aws-native spells its tokens."""
    return frozenset(f"aws-native:{module}:{kind}" for kind in kinds)


# IAM identity documents (a JSON string in `policy`).
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE = "aws:iam/role:Role"
IAM_USER = "aws:iam/user:User"
IAM_ACCESS_KEY = "aws:iam/accessKey:AccessKey"
INLINE_POLICY_TYPES = _aws("iam", "UserPolicy", "RolePolicy", "GroupPolicy")

# Attachments of managed policies: one ARN in `policyArn`, or a list in `policyArns`.
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ATTACHMENT_TYPES = frozenset({USER_POLICY_ATTACHMENT, ROLE_POLICY_ATTACHMENT}) | _aws(
    "iam", "GroupPolicyAttachment", "PolicyAttachment"
)
EXCLUSIVE_ATTACHMENT_TYPES = _aws(
    "iam", "UserPolicyAttachmentsExclusive", "RolePolicyAttachmentsExclusive", "GroupPolicyAttachmentsExclusive"
)

# Group memberships: the user gets whatever the group's policies grant.
GROUP_MEMBERSHIP_TYPES = _aws("iam", "GroupMembership", "UserGroupMembership")

# Credentials for a user: `user` names the user they sign in as.
USER_CREDENTIAL_TYPES = frozenset({IAM_ACCESS_KEY}) | _aws(
    "iam", "UserLoginProfile", "ServiceSpecificCredential", "SigningCertificate", "SshKey"
)

# aws-native IAM: the same documents as objects, in camelCase fields of CloudFormation's schema.
NATIVE_ROLE = "aws-native:iam:Role"
NATIVE_USER = "aws-native:iam:User"
NATIVE_GROUP = "aws-native:iam:Group"
NATIVE_MANAGED_POLICY = "aws-native:iam:ManagedPolicy"
NATIVE_POLICY_DOCUMENT_TYPES = _native("iam", "ManagedPolicy", "UserPolicy", "RolePolicy", "GroupPolicy")
NATIVE_IDENTITY_TYPES = frozenset({NATIVE_ROLE, NATIVE_USER, NATIVE_GROUP})
NATIVE_GROUP_MEMBERSHIP = "aws-native:iam:UserToGroupAddition"
NATIVE_ACCESS_KEY = "aws-native:iam:AccessKey"

# IAM Identity Center (SSO) permission sets: what each assigned person gets in each account.
SSO_INLINE_POLICY = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
SSO_MANAGED_ATTACHMENT = "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
SSO_MANAGED_ATTACHMENTS_EXCLUSIVE = "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive"
SSO_CUSTOMER_ATTACHMENT_TYPES = _aws(
    "ssoadmin", "CustomerManagedPolicyAttachment", "CustomerManagedPolicyAttachmentsExclusive"
)
SSO_ACCOUNT_ASSIGNMENT = "aws:ssoadmin/accountAssignment:AccountAssignment"
SSO_PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
NATIVE_PERMISSION_SET = "aws-native:sso:PermissionSet"
NATIVE_SSO_ASSIGNMENT = "aws-native:sso:Assignment"

# CloudFormation templates the pack reads (cloudformation.py), and the StackSet instances that override parameters.
CLOUDFORMATION_STACK = "aws:cloudformation/stack:Stack"
CLOUDFORMATION_STACK_SET = "aws:cloudformation/stackSet:StackSet"
CLOUDFORMATION_TEMPLATE_TYPES = frozenset({CLOUDFORMATION_STACK, CLOUDFORMATION_STACK_SET})
STACK_SET_INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
# Templates and charts whose contents the pack never sees.
NATIVE_CLOUDFORMATION_TYPES = frozenset({"aws-native:cloudformation:Stack", "aws-native:cloudformation:StackSet"})
HELM_TYPES = frozenset({"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"})

# Run code at deploy time, with the deployer's credentials (`command:*` is rejected as a whole package).
DEPLOY_TIME_CODE_TYPES = frozenset(
    {"aws:lambda/invocation:Invocation", "aws:ssm/association:Association", "aws-native:ssm:Association"}
)

# Hands an IAM role to the pods of a service account.
POD_IDENTITY_TYPES = frozenset(
    {"aws:eks/podIdentityAssociation:PodIdentityAssociation", "aws-native:eks:PodIdentityAssociation"}
)

# Sharing with other accounts: what the shared snapshot, image or resource exposes is not in the stack.
SHARING_TYPES = (
    _aws("ram", "PrincipalAssociation", "ResourceAssociation", "ResourceShareAssociationsExclusive")
    | _aws("ec2", "SnapshotCreateVolumePermission", "AmiLaunchPermission")
    | _aws("organizations", "DelegatedAdministrator")
)

# Resource-based policies: the field holding the document, per type. Any principal an Allow statement names
# gets what it allows, so the same rule applies as to identity policies: List/Read only.
RESOURCE_POLICY_FIELDS: dict[str, str] = {
    **dict.fromkeys(_aws("s3", "BucketPolicy", "Bucket", "BucketV2", "AccessPoint"), "policy"),
    **dict.fromkeys(_aws("s3control", "BucketPolicy", "AccessPointPolicy"), "policy"),
    **dict.fromkeys(_aws("kms", "Key", "KeyPolicy", "ReplicaKey", "ExternalKey", "ReplicaExternalKey"), "policy"),
    **dict.fromkeys(_aws("secretsmanager", "SecretPolicy", "Secret"), "policy"),
    **dict.fromkeys(_aws("sqs", "QueuePolicy", "Queue"), "policy"),
    **dict.fromkeys(_aws("sns", "TopicPolicy", "Topic"), "policy"),
    **dict.fromkeys(_aws("ecr", "RepositoryPolicy", "RegistryPolicy"), "policy"),
    **dict.fromkeys(_aws("ecrpublic", "RepositoryPolicy"), "policy"),
    **dict.fromkeys(_aws("apigateway", "RestApiPolicy", "RestApi"), "policy"),
    **dict.fromkeys(_aws("dynamodb", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("kinesis", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("glue", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("backup", "VaultPolicy"), "policy"),
    **dict.fromkeys(_aws("efs", "FileSystemPolicy"), "policy"),
    **dict.fromkeys(_aws("cloudwatch", "EventBusPolicy"), "policy"),
    **dict.fromkeys(_aws("codebuild", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("sesv2", "EmailIdentityPolicy"), "policy"),
    "aws-native:s3:BucketPolicy": "policyDocument",
    "aws-native:kms:Key": "keyPolicy",
    "aws-native:secretsmanager:ResourcePolicy": "resourcePolicy",
    "aws-native:sqs:QueuePolicy": "policyDocument",
    "aws-native:sns:TopicPolicy": "policyDocument",
}
KMS_GRANT = "aws:kms/grant:Grant"
# S3 access control lists: canned `acl` names and `grants` give other accounts (or everyone) access too.
S3_ACL_TYPES = _aws("s3", "BucketAcl", "BucketAclV2", "Bucket", "BucketV2")
LAMBDA_PERMISSION_TYPES = frozenset({"aws:lambda/permission:Permission", "aws-native:lambda:Permission"})

# Explicit providers: one per account (assuming the deploy role there) and one per cluster.
AWS_PROVIDER = "pulumi:providers:aws"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"

# Kubernetes RBAC and EKS identity (checked in kubernetes_rbac.py and eks_identity.py). Kubernetes resources are
# recognised by the group and kind in their type token, whatever its version or spelling.
KUBERNETES_PREFIX = "kubernetes:"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
K8S_ROLE_TYPES = frozenset(f"{RBAC}:{kind}" for kind in ("ClusterRole", "Role", "ClusterRolePatch", "RolePatch"))
K8S_BINDING_TYPES = frozenset(
    f"{RBAC}:{kind}" for kind in ("ClusterRoleBinding", "RoleBinding", "ClusterRoleBindingPatch", "RoleBindingPatch")
)
CONFIG_MAP_TYPES = frozenset({"kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch"})
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_ENTRY_TYPES = frozenset({ACCESS_ENTRY, "aws-native:eks:AccessEntry"})
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
# Our aws-auth mapping (a dynamic resource); any other dynamic resource carrying the same props is checked too.
DYNAMIC_PREFIX = "pulumi-python:dynamic"
AWS_AUTH_MAPPING = f"{DYNAMIC_PREFIX}/eks:AwsAuthMapping"
DYNAMIC_TYPES = frozenset({AWS_AUTH_MAPPING, f"{DYNAMIC_PREFIX}:Resource"})


def all_types() -> frozenset[str]:
    """Every token above: what the token test checks against the SDKs."""
    tokens: set[str] = set()
    for value in globals().values():
        if isinstance(value, str) and _is_token(value):
            tokens.add(value)
        elif isinstance(value, (frozenset, dict)):
            tokens.update(token for token in value if isinstance(token, str) and _is_token(token))
    return frozenset(tokens)


def _is_token(value: str) -> bool:
    """`<package>:<module>:<Name>`; a prefix such as `kubernetes:` is not one."""
    parts = value.split(":")
    return len(parts) == 3 and all(parts)
