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
# Both deploy a StackSet's template into accounts, with parameter overrides (the stack policy re-checks them).
STACK_INSTANCE_TYPES = frozenset({STACK_SET_INSTANCE, "aws:cloudformation/stackInstances:StackInstances"})
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

# --- (rules-aws, issue 18) More resource-based policies in the IAM policy language, per type and field, found by
# scanning pulumi-aws for inputs that hold a policy document; merged into RESOURCE_POLICY_FIELDS below.
SERVICE_RESOURCE_POLICY_FIELDS: dict[str, str] = {
    **dict.fromkeys(_aws("acmpca", "Policy"), "policy"),
    **dict.fromkeys(_aws("amp", "ResourcePolicy"), "policyDocument"),
    **dict.fromkeys(_aws("apigateway", "DomainName"), "policy"),
    **dict.fromkeys(_aws("bedrock", "AgentcoreResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("cloudsearch", "DomainServiceAccessPolicy"), "accessPolicy"),
    **dict.fromkeys(_aws("cloudwatch", "LogDestinationPolicy"), "accessPolicy"),
    **dict.fromkeys(_aws("cloudwatch", "LogDeliveryDestinationPolicy"), "deliveryDestinationPolicy"),
    **dict.fromkeys(_aws("cloudwatch", "LogResourcePolicy"), "policyDocument"),
    **dict.fromkeys(_aws("codeartifact", "DomainPermissions", "RepositoryPermissionsPolicy"), "policyDocument"),
    **dict.fromkeys(_aws("dsql", "ClusterPolicy"), "policy"),
    **dict.fromkeys(_aws("ec2", "VpcEndpoint", "VpcEndpointPolicy"), "policy"),
    **dict.fromkeys(_aws("ecr", "RepositoryCreationTemplate"), "repositoryPolicy"),
    **dict.fromkeys(_aws("elasticsearch", "Domain", "DomainPolicy"), "accessPolicies"),
    **dict.fromkeys(_aws("opensearch", "Domain", "DomainPolicy"), "accessPolicies"),
    **dict.fromkeys(_aws("glacier", "Vault"), "accessPolicy"),
    **dict.fromkeys(_aws("glacier", "VaultLock"), "policy"),
    **dict.fromkeys(_aws("iot", "Policy"), "policy"),
    **dict.fromkeys(_aws("lambda", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("mediastore", "ContainerPolicy"), "policy"),
    **dict.fromkeys(_aws("msk", "ClusterPolicy"), "policy"),
    **dict.fromkeys(_aws("networkfirewall", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("oam", "SinkPolicy"), "policy"),
    **dict.fromkeys(_aws("opensearchingest", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("organizations", "ResourcePolicy"), "content"),
    **dict.fromkeys(_aws("pinpoint", "Smsvoicev2ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("redshift", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("redshiftserverless", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("s3", "FilesFileSystemPolicy", "VectorsVectorBucketPolicy"), "policy"),
    **dict.fromkeys(_aws("s3control", "AccessGrantsInstanceResourcePolicy", "ObjectLambdaAccessPointPolicy"), "policy"),
    **dict.fromkeys(_aws("s3tables", "TableBucketPolicy", "TablePolicy"), "resourcePolicy"),
    **dict.fromkeys(_aws("sagemaker", "ModelPackageGroupPolicy"), "resourcePolicy"),
    **dict.fromkeys(_aws("schemas", "RegistryPolicy"), "policy"),
    **dict.fromkeys(_aws("ses", "IdentityPolicy"), "policy"),
    **dict.fromkeys(_aws("transfer", "Access", "User"), "policy"),
    **dict.fromkeys(_aws("vpclattice", "AuthPolicy", "ResourcePolicy"), "policy"),
    **dict.fromkeys(_aws("xray", "ResourcePolicy"), "policyDocument"),
}

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
    **SERVICE_RESOURCE_POLICY_FIELDS,
}
KMS_GRANT = "aws:kms/grant:Grant"
# Key policies: KMS's default statement, written out, passes for the key's own account (kms_default.py).
KMS_KEY_TYPES = _aws("kms", "Key", "KeyPolicy", "ReplicaKey", "ExternalKey", "ReplicaExternalKey") | {
    "aws-native:kms:Key"
}
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


# --- Resource policies, shares, delegations and role hand-offs (rules-aws, issue 18) -----------------------------

# Grants whose effect the pack cannot see from the stack: what the shared resource, delegated service, assigned
# group, attached identity or handed-off role can do lives elsewhere (shares.py rejects each with why).
SHARED_WITH_OTHERS = (
    _aws("cloudwatch", "EventPermission")
    | _aws("s3control", "AccessGrant", "AccessGrantsLocation")
    | _aws("lambda", "LayerVersionPermission")
    | _aws("signer", "SigningProfilePermission")
    | _aws("acmpca", "Permission")
    | _aws("servicecatalog", "PortfolioShare", "PrincipalPortfolioAssociation")
    | _aws("redshift", "DataShareAuthorization", "EndpointAuthorization")
    | _aws("ec2", "VpcEndpointServiceAllowedPrinciple", "NetworkInterfacePermission")
    | _aws("globalaccelerator", "CrossAccountAttachment")
    | _aws("licensemanager", "LicenseGrant")
    | _aws("directoryservice", "SharedDirectory")
    | _aws("opensearch", "AuthorizeVpcEndpointAccess", "ServerlessAccessPolicy")
    | _aws("verifiedaccess", "Endpoint", "Group")
    | _aws("ram", "ResourceShare", "Permission")
    | _aws("securitylake", "Subscriber")
    | _aws("auditmanager", "FrameworkShare")
    | _aws("cloud9", "EnvironmentMembership")
    | _aws("lightsail", "BucketResourceAccess", "BucketAccessKey")
)
DELEGATED_ADMIN_TYPES = (
    _aws("guardduty", "OrganizationAdminAccount")
    | _aws("securityhub", "OrganizationAdminAccount")
    | _aws("macie2", "OrganizationAdminAccount")
    | _aws("inspector2", "DelegatedAdminAccount")
    | _aws("detective", "OrganizationAdminAccount")
    | _aws("fms", "AdminAccount")
    | _aws("auditmanager", "OrganizationAdminAccountRegistration")
    | _aws("cloudtrail", "OrganizationDelegatedAdminAccount")
    | _aws("ec2", "VpcIpamOrganizationAdminAccount")
    | _aws("auditmanager", "AccountRegistration")
    # Accepting an invitation makes the inviting account the administrator of this account's findings.
    | _aws("guardduty", "InviteAccepter")
    | _aws("securityhub", "InviteAccepter")
    | _aws("macie2", "InvitationAccepter")
    | _aws("detective", "InvitationAccepter")
    # Trusted access: the service may create roles and act in every account of the organization.
    | _aws("organizations", "AwsServiceAccess")
)
# Hands roles or policies to people or machines outside IAM's own identities.
IDENTITY_HAND_OFF_TYPES = (
    _aws("identitystore", "GroupMembership")
    | _aws("cognito", "IdentityPoolRoleAttachment")
    | _aws("rolesanywhere", "Profile", "TrustAnchor")
    | _aws("iot", "PolicyAttachment", "ThingPrincipalAttachment")
    | _aws("quicksight", "IamPolicyAssignment")
    | _aws("emr", "StudioSessionMapping")
    | _aws("lakeformation", "DataLakeSettings")
    | _aws("ssoadmin", "ApplicationAssignment")
    | _aws("quicksight", "GroupMembership")
    | _aws("iot", "ThingGroupMembership")
    | _aws("cognito", "IdentityPoolProviderPrincipalTag")
    | _aws("datazone", "PolicyGrant")
)
# Types that share only when a field says so: the field, and whether a value shares (a list with entries, or true).
SHARING_FIELDS: dict[str, str] = {
    **dict.fromkeys(
        _aws("rds", "Snapshot", "SnapshotCopy", "ClusterSnapshot", "ClusterSnapshotCopy"), "sharedAccounts"
    ),
    **dict.fromkeys(_aws("ec2", "Ami", "AmiCopy", "AmiFromInstance"), "public"),
    "aws:ssm/document:Document": "permissions",
    "aws:ec2/vpcEndpointService:VpcEndpointService": "allowedPrincipals",
}
LAKE_FORMATION_PERMISSIONS = "aws:lakeformation/permissions:Permissions"

# IAM groups: a member gets what the group's policies grant, so a membership passes only for declared groups.
IAM_GROUP = "aws:iam/group:Group"
# Instance profiles hand their role to EC2 instances; role_hand_offs.py lists every type that runs as a role.
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"


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
