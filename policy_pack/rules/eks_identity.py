"""How IAM identities reach EKS clusters: access entries, access policies, and aws-auth as the authenticator reads it;
and how IAM roles reach pods (IRSA annotations, add-on pod identities) or compute (node groups, Fargate), rejected.

aws-iam-authenticator (pkg/mapper/configmap) converts `mapRoles` and `mapUsers` from YAML to JSON and decodes them
with Go's encoding/json: keys match case-insensitively (`Groups`, `gRoUpS`), a value of the wrong type is skipped
while the rest of the entry still applies, `!!binary` scalars become strings, and only the first YAML document
is read. It then fills `{{SessionName}}`-style templates in `username` and `groups` from the caller's session
(pkg/server). The checks below read the same way, and reject whatever they would have to guess about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from .kubernetes_rbac import annotations_named, name_problem, shown
from .unknowns import Unknown

VIEW_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
STANDARD = "STANDARD"
NODE_ENTRY_TYPES = frozenset({"EC2", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "HYPERPOD_LINUX"})
AWS_AUTH_KEYS = ("mapRoles", "mapUsers", "mapAccounts")
# Fields of the authenticator's RoleMapping and UserMapping that hold strings (pkg/config/types.go).
STRING_FIELDS = ("rolearn", "userarn", "username", "userid")
ACCOUNT_ID = re.compile(r"\d{12}")
# EKS add-ons hand IAM roles to their pods through these fields (pulumi-aws and aws-native spell them alike).
ADDON_TYPES = frozenset({"aws:eks/addon:Addon", "aws-native:eks:Addon"})
ADDON_ROLE_FIELDS = ("podIdentityAssociations", "serviceAccountRoleArn", "configurationValues")
# An IAM role ARN, or a key setting one (`eks.amazonaws.com/role-arn`, `roleArn`), in an add-on's configuration.
ROLE_SETTING = re.compile(r"arn:aws[a-z-]*:iam::[^:]*:role/|role-?arn", re.IGNORECASE)
# EKS resources that hand an IAM role to compute, or let identities the stack does not show into a cluster.
EKS_REJECTED: dict[str, str] = {
    **dict.fromkeys(
        ("aws:eks/nodeGroup:NodeGroup", "aws-native:eks:Nodegroup"),
        "runs EC2 nodes as its node role, and they join the cluster as system:nodes (able to read the Secrets of "
        "their pods)",
    ),
    **dict.fromkeys(
        ("aws:eks/fargateProfile:FargateProfile", "aws-native:eks:FargateProfile"),
        "runs pods on Fargate with its pod execution role, as nodes of the cluster",
    ),
    **dict.fromkeys(
        ("aws:eks/identityProviderConfig:IdentityProviderConfig", "aws-native:eks:IdentityProviderConfig"),
        "lets an OIDC issuer's tokens into the cluster, under the user names and groups the issuer writes in them",
    ),
    **dict.fromkeys(
        ("aws:eks/capability:Capability", "aws-native:eks:Capability"),
        "runs a managed controller (Argo CD, ACK, kro) with an IAM role, applying what it is pointed at, which the "
        "pack never sees",
    ),
    **dict.fromkeys(
        ("aws:eks/cluster:Cluster", "aws-native:eks:Cluster"),
        "creates a cluster: its creator becomes cluster-admin and its service role is handed to EKS",
    ),
}
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"  # EKS's pod identity webhook reads it off the ServiceAccount
NO_POD_IDENTITY = (
    "the pack cannot see what that role grants, so it cannot be verified; the inventory needs no pod identity: "
    "remove it"
)
NODE_BUDGET = 100_000  # values visited in one aws-auth key; aliases can make a small text enormous
DEPTH_LIMIT = 64


class AwsAuthError(ValueError):
    """aws-auth content the pack cannot read the way the authenticator does."""


def check_names(username: Any, groups: Any, what: str) -> list[str]:
    """A user name and groups that the authenticator (or EKS) fills templates into."""
    problems = []
    if username is not None:
        problems.append(name_problem(username, f"{what} username", templates=True))
    if isinstance(groups, list):
        problems.extend(name_problem(group, f"{what} group", templates=True) for group in groups)
    elif groups is not None and not isinstance(groups, Unknown):
        problems.append(f"{what} groups is {shown(groups)}, not a list of strings")
    return [problem for problem in problems if problem]


def check_access_entry(props: dict[str, Any]) -> list[str]:
    """`aws.eks.AccessEntry` (`userName`) or `aws-native.eks.AccessEntry` (`username`, `accessPolicies`)."""
    problems = []
    entry_type = props.get("type")
    if isinstance(entry_type, str) and entry_type in NODE_ENTRY_TYPES:
        problems.append(
            f"the access entry's type is {entry_type!r}, which makes its principal a node (system:nodes, able to "
            f"read every secret its pods mount and to register nodes); use type {STANDARD!r}"
        )
    elif entry_type not in (None, STANDARD) and not isinstance(entry_type, Unknown):
        problems.append(f"the access entry's type {entry_type!r} is unknown; only {STANDARD!r} is accepted")
    for key in ("userName", "username"):
        problems.extend(check_names(props.get(key), None, "the access entry's"))
    problems.extend(check_names(None, props.get("kubernetesGroups"), "the access entry's"))
    policies = props.get("accessPolicies")
    if isinstance(policies, list):
        for policy in policies:
            if isinstance(policy, dict):
                problems.extend(check_access_policy_association(policy))
            elif not isinstance(policy, Unknown):
                problems.append(f"accessPolicies holds {shown(policy)}, not an object")
    return problems


def check_access_policy_association(props: dict[str, Any]) -> list[str]:
    arn = props.get("policyArn")
    if isinstance(arn, Unknown) or (isinstance(arn, str) and VIEW_POLICY_ARN.fullmatch(arn)):
        return []
    return [
        f"the access policy {shown(arn)} is not AmazonEKSViewPolicy; only the view policy (no secrets) is read-only"
    ]


def check_mapping(props: dict[str, Any]) -> list[str]:
    """The program's own aws-auth mapping (a dynamic resource): the entry it writes, before it writes it."""
    kind = props.get("mapKind")
    problems = []
    if kind not in ("mapUsers", "mapRoles") and not isinstance(kind, Unknown):
        problems.append(f"the aws-auth mapping's mapKind is {shown(kind)}; expected mapUsers or mapRoles")
    username, groups = props.get("username"), props.get("groups")
    if not isinstance(username, (str, Unknown)):
        problems.append(f"the aws-auth mapping's username is {shown(username)}, not a string")
        username = None
    return problems + check_names(username, groups, "the aws-auth mapping's")


def check_iam_identity_mapping(props: dict[str, Any]) -> list[str]:
    """aws-iam-authenticator's IAMIdentityMapping custom resource (its CRD backend): `spec.username`, `spec.groups`."""
    spec = props.get("spec")
    if isinstance(spec, Unknown):
        return []
    if not isinstance(spec, dict):
        return [f"the IAMIdentityMapping's spec is {shown(spec)}, not an object"]
    return check_names(spec.get("username"), spec.get("groups"), "the IAMIdentityMapping's")


def check_service_account(obj: Any) -> list[str]:
    """IRSA: a ServiceAccount (or a patch of one) annotated with a role hands that role to every pod running as it."""
    found = annotations_named(obj, IRSA_ANNOTATION) if isinstance(obj, dict) else []
    return [
        f"the ServiceAccount's annotation {key!r} hands role {shown(role)} to every pod that runs as the account "
        f"(IRSA); {NO_POD_IDENTITY}"
        for key, role in found
    ]


def check_addon(props: dict[str, Any]) -> list[str]:
    """An EKS add-on whose pods get an IAM role: `podIdentityAssociations` or `serviceAccountRoleArn` (IRSA)."""
    problems = []
    associations = props.get("podIdentityAssociations")
    if associations not in (None, []) and not isinstance(associations, Unknown):
        problems.append(
            f"the add-on's podIdentityAssociations {shown(associations)} hand roles to its pods; {NO_POD_IDENTITY}"
        )
    role = props.get("serviceAccountRoleArn")
    if role not in (None, "") and not isinstance(role, Unknown):
        problems.append(f"the add-on's serviceAccountRoleArn hands role {shown(role)} to its pods; {NO_POD_IDENTITY}")
    return problems + _configuration_roles(props.get("configurationValues"))


def _configuration_roles(text: Any) -> list[str]:
    """Role settings in an add-on's `configurationValues` (JSON or YAML), e.g. a service account's IRSA annotation."""
    if text is None or isinstance(text, Unknown):
        return []
    if not isinstance(text, str):
        return [f"the add-on's configurationValues is {shown(text)}, not JSON text"]
    try:
        strings = list(_strings_of(go_document(text)))
    except AwsAuthError:
        return [
            "the add-on's configurationValues cannot be read as JSON or YAML, so the roles it may set cannot be "
            "checked; write plain JSON"
        ]
    if found := sorted({value for value in strings if ROLE_SETTING.search(value)}):
        return [
            f"the add-on's configurationValues set an IAM role for its pods ({', '.join(found)}); {NO_POD_IDENTITY}"
        ]
    return []


def _strings_of(value: Any) -> Iterator[str]:
    """Every key and string value in `value` (already bounded by `_as_go`)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings_of(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings_of(item)


def is_aws_auth(obj: dict[str, Any]) -> bool:
    """`kube-system/aws-auth`; no namespace means the provider's default, which may be kube-system.

    A name or namespace not known yet counts as aws-auth, so its data is checked anyway.
    """
    metadata = obj.get("metadata")
    if isinstance(metadata, Unknown):
        return True
    if not isinstance(metadata, dict):
        return False
    name, namespace = metadata.get("name"), metadata.get("namespace")
    named = name == "aws-auth" or isinstance(name, Unknown)
    return named and (namespace in (None, "kube-system") or isinstance(namespace, Unknown))


def check_aws_auth_data(data: Any) -> list[str]:
    """Every entry a declared `kube-system/aws-auth` ConfigMap (or patch) would hold."""
    if data is None or isinstance(data, Unknown):
        return []
    if not isinstance(data, dict):
        return [f"aws-auth data is {shown(data)}, not an object"]
    problems = []
    for key, value in data.items():
        # The authenticator reads the exact keys; a differently cased one is checked too rather than trusted.
        canonical = next((k for k in AWS_AUTH_KEYS if k.lower() == str(key).lower()), None)
        if canonical is None or isinstance(value, Unknown):
            continue
        if not isinstance(value, str):
            problems.append(f"aws-auth {key}: {shown(value)} is not a string; the ConfigMap holds YAML text")
            continue
        try:
            entries = parse_aws_auth(value)
        except AwsAuthError as error:
            problems.append(
                f"aws-auth {key} cannot be read as aws-iam-authenticator reads it ({error}), so what it grants "
                "cannot be checked; write it as one YAML list of entries"
            )
            continue
        check = check_accounts if canonical == "mapAccounts" else check_entries
        problems.extend(f"aws-auth {key}: {problem}" for problem in check(entries))
    return problems


def aws_auth_groups(data: Any) -> list[Any]:
    """Every group the `mapRoles` and `mapUsers` entries of aws-auth data map into (what can be read of them)."""
    if not isinstance(data, dict):
        return []
    groups: list[Any] = []
    for key, value in data.items():
        if str(key).lower() not in ("maproles", "mapusers"):
            continue
        if isinstance(value, Unknown):
            groups.append(value)
            continue
        try:
            entries = parse_aws_auth(value) if isinstance(value, str) else []
        except AwsAuthError:
            continue  # rejected on its own by eks-identity-mappings
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("groups"), list):
                groups.extend(entry["groups"])
    return groups


def check_entries(entries: list[Any]) -> Iterator[str]:
    for index, entry in enumerate(entries):
        label = f"entry #{index}"
        if not isinstance(entry, dict):
            yield f"{label} is {shown(entry)}, not a mapping"
            continue
        for field in STRING_FIELDS:
            if field in entry and not isinstance(entry[field], str):
                yield f"{label} {field} is {shown(entry[field])}, not a string; quote it"
        sso = entry.get("sso")
        if "sso" in entry and not (isinstance(sso, dict) and all(isinstance(v, str) for v in sso.values())):
            yield f"{label} sso is {shown(sso)}, not a mapping of strings"
        groups = entry.get("groups")
        if "groups" in entry and not isinstance(groups, list):
            yield f"{label} groups is {shown(groups)}, not a list of strings"
            groups = None
        username = entry.get("username")
        yield from check_names(username if isinstance(username, str) else None, groups, label)


def check_accounts(accounts: list[Any]) -> Iterator[str]:
    """mapAccounts: every IAM identity of each account is let in, with its ARN as user name and no groups."""
    for index, account in enumerate(accounts):
        if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
            yield f"entry #{index} {shown(account)} is not a quoted 12-digit account ID"


def _skippable(text: str) -> bool:
    """As the authenticator's isSkippable: nothing to read."""
    return text.strip() in ("", "``", '""')


class _Pairs(tuple[tuple[Any, Any], ...]):
    """A YAML mapping as all of its (key, value) pairs, merged ones included, so that duplicates stay visible."""


# libyaml's parser when PyYAML has it (about 10x faster on a large aws-auth), with PyYAML's safe constructors.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _AuthenticatorLoader(_SafeLoader):  # type: ignore[misc,valid-type]  # a base chosen at run time
    pass


def _construct_pairs(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Pairs:
    loader.flatten_mapping(node)  # `<<` merges become ordinary pairs; Go's yaml.v2 applies them in another order
    return _Pairs(
        (loader.construct_object(key, deep=True), loader.construct_object(value, deep=True))
        for key, value in node.value
    )


_AuthenticatorLoader.add_constructor("tag:yaml.org,2002:map", _construct_pairs)


def parse_aws_auth(text: str) -> list[Any]:
    """A `mapRoles`, `mapUsers` or `mapAccounts` text as the authenticator sees it: a list, keys folded."""
    if _skippable(text):
        return []
    value = go_document(text)
    if value is None:
        return []
    if not isinstance(value, list):
        raise AwsAuthError(f"a {type(value).__name__}, not a list")
    return value


def go_document(text: str) -> Any:
    """YAML (or JSON) text as a Go program decoding it into structs holds it: keys folded, duplicates refused,
    aliases bounded. Raises AwsAuthError with the reason when it cannot be read that way."""
    try:
        document = yaml.load(text, Loader=_AuthenticatorLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        raise AwsAuthError(f"not one valid YAML document: {' '.join(str(error).split())}") from None
    except RecursionError:
        raise AwsAuthError("nested too deeply") from None
    return _as_go(document, [0], set(), 0)


def _text(value: Any) -> Any:
    """Go decodes `!!binary` into a string (invalid UTF-8 becomes U+FFFD once encoded as JSON)."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _key(key: Any) -> str:
    key = _text(key)
    if isinstance(key, bool):
        return str(key).lower()
    return key if isinstance(key, str) else str(key)


def _as_go(value: Any, budget: list[int], active: set[int], depth: int) -> Any:
    """`value` as Go holds it: strings for `!!binary`, mappings with case-folded keys; duplicates are errors."""
    budget[0] += 1
    if budget[0] > NODE_BUDGET or depth > DEPTH_LIMIT:
        raise AwsAuthError("too large or too deeply nested once its aliases are expanded")
    if not isinstance(value, (list, _Pairs)):
        return _text(value)
    if id(value) in active:
        raise AwsAuthError("an alias refers to a value that contains it")
    active.add(id(value))
    try:
        if isinstance(value, list):
            return [_as_go(item, budget, active, depth + 1) for item in value]
        mapping: dict[str, Any] = {}
        spelled: dict[str, str] = {}
        for raw_key, item in value:
            key = _key(raw_key)
            folded = key.casefold()  # Go's encoding/json matches field names by Unicode case folding
            if folded in mapping:
                raise AwsAuthError(
                    f"key {key!r} appears more than once (as {spelled[folded]!r}; keys are case-insensitive and "
                    "merges count), and the authenticator keeps only one of them"
                )
            mapping[folded], spelled[folded] = _as_go(item, budget, active, depth + 1), key
        return mapping
    finally:
        active.discard(id(value))
