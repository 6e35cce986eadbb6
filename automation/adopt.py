"""`adopt`: take over what the vendor's guide made by hand, under the stack's own names.

The program runs on the mock engine as `plan` runs it, with the home account and partition from STS and every
cluster answered from EKS, so the registrations are exactly what `pulumi up` will register. Each registered
resource that already exists is imported under its URN (`import_file.py`); what would stay outside the
stack's control is reported with its plan, never kept silently; what cannot be adopted safely stops the run
(exit 2) with one line per problem, and nothing is written.

The old grants are detached in a later step, `adopt --detach-unmanaged`, after `pulumi up` attached the
stack's own: the command checks each of the stack's attachments exists in AWS right before it detaches
anything, so the adapter is never without read access, and prints how to put each grant back.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from components.aws_auth import ARN_FIELD, parse_entries
from components.inventory_user import key_resource_name
from policy_pack.rules import resource_types as types

from .adopt_cloud import Cloud, CloudError, Cluster, ClusterObjects, iam_get, iam_list
from .import_file import ImportAs, import_file, parents_only, parents_path
from .mock_engine import AwsMocks, DeclaredResource, MockRun, provider_allowed_accounts, run_program
from .plan import ORGANIZATION_KEY
from .project import PROJECT_DIR
from .stack_file import StackFileError, read_stack_settings, stack_file

FindingKind = Literal["unmanaged", "changed-by-up"]
ActionKind = Literal[
    "detach-user-policy", "detach-role-policy", "delete-user-policy", "delete-role-policy", "remove-from-group"
]


class AdoptError(Exception):
    """Nothing can be adopted as things are: one line per problem. Exit code 2, nothing changed."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Action:
    """One step of `--detach-unmanaged`, and the command that undoes it."""

    kind: ActionKind
    account: str
    identity: str  # the user's or the role's name
    target: str  # policy ARN, inline policy name or group name
    document: str | None = None  # an inline policy's document, to put it back

    def undo(self) -> str:
        command = {
            "detach-user-policy": f"aws iam attach-user-policy --user-name {self.identity} --policy-arn {self.target}",
            "detach-role-policy": f"aws iam attach-role-policy --role-name {self.identity} --policy-arn {self.target}",
            "delete-user-policy": f"aws iam put-user-policy --user-name {self.identity} --policy-name {self.target}",
            "delete-role-policy": f"aws iam put-role-policy --role-name {self.identity} --policy-name {self.target}",
            "remove-from-group": f"aws iam add-user-to-group --user-name {self.identity} --group-name {self.target}",
        }[self.kind]
        if self.document is not None:
            command += f" --policy-document '{self.document}'"
        return f"{command}   # in account {self.account}"


@dataclass(frozen=True)
class Finding:
    """Something that stays outside the stack's control, or that `pulumi up` changes, and the plan for it."""

    kind: FindingKind
    where: str
    what: str
    plan: str
    action: Action | None = None


@dataclass(frozen=True)
class Adopted:
    urn: str
    type: str
    id: str
    where: str


@dataclass
class Discovery:
    """What adopt found for one stack, filled in resource by resource."""

    stack: str
    home_account: str
    run: MockRun
    imports: dict[str, ImportAs] = field(default_factory=dict)
    adopted: list[Adopted] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing_attachments: list[str] = field(default_factory=list)

    def adopt(self, resource: DeclaredResource, how: ImportAs, where: str) -> None:
        self.imports[resource.urn] = how
        self.adopted.append(Adopted(resource.urn, resource.type, how.id, where))

    def import_file(self) -> dict[str, Any]:
        return import_file(self.run.resources, self.imports)

    @property
    def created(self) -> list[DeclaredResource]:
        """Custom resources `pulumi up` creates: declared, not found."""
        return [
            r
            for r in self.run.resources
            if r.custom and not r.type.startswith("pulumi:providers:") and r.urn not in self.imports
        ]

    @property
    def actions(self) -> list[Action]:
        return [finding.action for finding in self.findings if finding.action is not None]


class DiscoveryMocks(AwsMocks):
    """The mock engine answering as this AWS does: the real home account, and clusters as EKS describes them.

    It records the deploy role each account's provider assumes, so the cloud reads reach each account the way
    the program does.
    """

    def __init__(self, cloud: Cloud) -> None:
        account, partition = cloud.home()
        super().__init__(account, partition)
        self.cloud = cloud
        self.clusters: list[Cluster] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        if args.typ == types.AWS_PROVIDER and args.inputs.get("assumeRoles"):
            role = json.loads(args.inputs["assumeRoles"])[0]["roleArn"]
            for account in provider_allowed_accounts(args.inputs):
                self.cloud.deploy_roles[account] = role
        return super().new_resource(args)

    def eks_cluster(self, name: str, region: str, provider_reference: str) -> dict | tuple[dict, list]:
        account = self.account_of(provider_reference) if provider_reference else self.home_account
        found = self.cloud.cluster(account, region, name)
        if found is None:
            return {}, [("name", f"ResourceNotFoundException: no cluster {name} in {region} of account {account}")]
        self.clusters.append(found)
        answer = super().eks_cluster(name, region, provider_reference)
        assert isinstance(answer, dict)  # the parent answers every cluster
        return {
            **answer,
            "endpoint": found.endpoint,
            "certificateAuthorities": [{"data": found.certificate_authority}],
            "accessConfigs": [{"authenticationMode": found.authentication_mode or "CONFIG_MAP"}],
        }


def run_stack(stack: str, config_file: Path | None, cloud: Cloud, project_dir: Path) -> tuple[MockRun, DiscoveryMocks]:
    path = config_file or stack_file(project_dir, stack)
    try:
        settings = read_stack_settings(path)
    except StackFileError as error:
        raise AdoptError([str(error)]) from None
    if ORGANIZATION_KEY in settings.config:
        raise AdoptError(
            [
                f"{path}: organization mode is not adopted: its roles come from a StackSet, which cannot take over "
                "roles made by hand; adopt with roles.accounts, or delete the hand-made roles first"
            ]
        )
    mocks = DiscoveryMocks(cloud)
    try:
        return run_program(project_dir, stack, settings.config, settings.secret_keys, mocks), mocks
    except pulumi.RunError as error:
        raise AdoptError([str(error)]) from None


def discover(
    stack: str,
    cloud: Cloud,
    *,
    config_file: Path | None = None,
    adapter_key_id: str | None = None,
    project_dir: Path = PROJECT_DIR,
    keys: bool = True,
) -> Discovery:
    """Find what the stack declares that exists, and what would stay outside its control. AdoptError when
    adopting would change someone's access silently or the existing setup cannot be read."""
    try:
        run, mocks = run_stack(stack, config_file, cloud, project_dir)
        found = Discovery(stack, mocks.home_account, run)
        by_urn = {r.urn: r for r in run.resources}
        declared_policies = {_policy_arn(mocks, r) for r in run.resources if r.type == types.IAM_POLICY}
        for resource in run.resources:
            account = mocks.account_of(resource.provider) if resource.provider else mocks.home_account
            if resource.type == types.IAM_USER:
                _user(found, resource, cloud.iam(account), account, declared_policies)
                if keys:
                    _access_key(found, resource, by_urn, cloud.iam(account), account, adapter_key_id)
            elif resource.type == types.IAM_ROLE:
                _role(found, resource, run, cloud.iam(account), account, declared_policies)
            elif resource.type == types.IAM_POLICY:
                _policy(found, resource, mocks, cloud.iam(account), account)
            elif resource.type in (types.USER_POLICY_ATTACHMENT, types.ROLE_POLICY_ATTACHMENT):
                _attachment(found, resource, cloud.iam(account), account)
        _clusters(found, run, mocks, cloud)
    except CloudError as error:
        raise AdoptError([str(error)]) from None
    if found.problems:
        raise AdoptError(found.problems)
    return found


def _policy_arn(mocks: AwsMocks, resource: DeclaredResource) -> str:
    account = mocks.account_of(resource.provider) if resource.provider else mocks.home_account
    return mocks.iam_arn(account, "policy", resource.inputs.get("path", "/"), resource.inputs["name"])


def _user(found: Discovery, resource: DeclaredResource, iam: Any, account: str, declared: set[str]) -> None:
    name = resource.inputs["name"]
    user = iam_get(iam, "get_user", "User", UserName=name)
    if user is None:
        return
    where = f"user {name} (account {account})"
    found.adopt(resource, ImportAs(name), where)
    if user.get("Path", "/") != resource.inputs.get("path", "/"):
        found.findings.append(
            Finding("changed-by-up", where, f"path {user['Path']}", f"moved to {resource.inputs.get('path', '/')}")
        )
    attached = iam_list(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)
    inline = iam_list(iam, "list_user_policies", "PolicyNames", UserName=name)
    groups = iam_list(iam, "list_groups_for_user", "Groups", UserName=name)
    found.findings += unmanaged_policies(where, account, "user", name, attached, declared)
    for policy in inline:
        document = iam.get_user_policy(UserName=name, PolicyName=policy)["PolicyDocument"]
        found.findings.append(_inline(where, account, "user", name, policy, document))
    for group in groups:
        found.findings.append(
            Finding(
                "unmanaged",
                where,
                f"member of group {group['GroupName']} (whatever its policies grant)",
                "removed from the group by `adopt --detach-unmanaged`",
                Action("remove-from-group", account, name, group["GroupName"]),
            )
        )


def unmanaged_policies(
    where: str,
    account: str,
    kind: Literal["user", "role"],
    name: str,
    attached: Iterable[Mapping[str, str]],
    declared: set[str],
) -> list[Finding]:
    """Managed policies attached to the user or a role that the stack does not declare (the guide's own)."""
    detach: ActionKind = "detach-user-policy" if kind == "user" else "detach-role-policy"
    return [
        Finding(
            "unmanaged",
            where,
            f"managed policy {policy['PolicyName']} ({policy['PolicyArn']})",
            "stays attached until the stack's own policies are attached; then `adopt --detach-unmanaged` detaches it",
            Action(detach, account, name, policy["PolicyArn"]),
        )
        for policy in attached
        if policy["PolicyArn"] not in declared
    ]


def _inline(where: str, account: str, kind: str, name: str, policy: str, document: Any) -> Finding:
    text = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
    return Finding(
        "unmanaged",
        where,
        f"inline policy {policy}",
        "deleted by `adopt --detach-unmanaged`, which prints its document to put it back",
        Action("delete-user-policy" if kind == "user" else "delete-role-policy", account, name, policy, text),
    )


def _access_key(
    found: Discovery,
    user: DeclaredResource,
    by_urn: Mapping[str, DeclaredResource],
    iam: Any,
    account: str,
    adapter_key_id: str | None,
) -> None:
    """The key Axonius holds goes into the active slot; any other key is reported."""
    name = user.inputs["name"]
    active = found.run.outputs.get("activeKey")
    if active is None or not found.imports.get(user.urn):
        return
    component = by_urn[user.parent]
    slot_name = key_resource_name(component.name, int(active.value))
    slot = next(r for r in found.run.resources if r.type == types.IAM_ACCESS_KEY and r.name == slot_name)
    keys = iam_list(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
    chosen = choose_key(keys, adapter_key_id, name)
    if chosen is None:
        return
    where = f"user {name} (account {account})"
    found.adopt(
        slot, ImportAs(chosen["AccessKeyId"]), f"access key {chosen['AccessKeyId']} of {where}, slot {active.value}"
    )
    if chosen["Status"] != "Active":
        found.findings.append(
            Finding(
                "changed-by-up",
                where,
                f"access key {chosen['AccessKeyId']} is {chosen['Status']}",
                "made Active by pulumi up (the active slot is always Active)",
            )
        )
    for other in keys:
        if other["AccessKeyId"] != chosen["AccessKeyId"]:
            found.findings.append(
                Finding(
                    "unmanaged",
                    where,
                    f"access key {other['AccessKeyId']} ({other['Status']}), not the adapter's",
                    "not imported: deactivate it, then delete it once nothing uses it "
                    f"(aws iam update-access-key --user-name {name} --access-key-id {other['AccessKeyId']} "
                    "--status Inactive)",
                )
            )


def choose_key(keys: Sequence[Mapping[str, str]], adapter_key_id: str | None, user: str) -> Mapping[str, str] | None:
    """The key the adapter holds: the one the user names, or the only one."""
    ids = [key["AccessKeyId"] for key in keys]
    if adapter_key_id is not None:
        if adapter_key_id not in ids:
            raise AdoptError([f"--adapter-key-id {adapter_key_id!r} is not a key of user {user}; its keys: {ids}"])
        return next(key for key in keys if key["AccessKeyId"] == adapter_key_id)
    if len(keys) > 1:
        raise AdoptError(
            [
                f"user {user} has {len(keys)} access keys ({', '.join(ids)}); name the one Axonius holds with "
                "--adapter-key-id"
            ]
        )
    return keys[0] if keys else None


def _role(
    found: Discovery, resource: DeclaredResource, run: MockRun, iam: Any, account: str, declared: set[str]
) -> None:
    name = resource.inputs["name"]
    role = iam_get(iam, "get_role", "Role", RoleName=name)
    if role is None:
        return
    where = f"role {name} (account {account})"
    ours = json.loads(_plain(resource.inputs["assumeRolePolicy"]))
    user_ids = _user_identities(run, found)
    broader, beyond = trust_differences(_document(role["AssumeRolePolicyDocument"]), ours, user_ids)
    found.problems += [
        f"{where}: its trust policy lets in {principal}, which the stack's trust does not (it trusts only the "
        "inventory user); adopting would cut that principal off: remove it from the trust policy, or leave this "
        "role out of roles.accounts"
        for principal in broader
    ]
    found.findings += [
        Finding("changed-by-up", where, f"trust statement {text}", "replaced by the stack's trust policy at pulumi up")
        for text in beyond
    ]
    wanted = int(resource.inputs.get("maxSessionDuration", 3600))
    if role.get("MaxSessionDuration", 3600) != wanted:
        found.findings.append(
            Finding("changed-by-up", where, f"maximum session {role.get('MaxSessionDuration')} s", f"set to {wanted} s")
        )
    found.adopt(resource, ImportAs(name), where)
    attached = iam_list(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    found.findings += unmanaged_policies(where, account, "role", name, attached, declared)
    for policy in iam_list(iam, "list_role_policies", "PolicyNames", RoleName=name):
        document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        found.findings.append(_inline(where, account, "role", name, policy, document))


def _user_identities(run: MockRun, found: Discovery) -> set[str]:
    """The user's ARN as the stack declares it (the program's own output)."""
    return {run.outputs["userArn"].value}


def _plain(value: Any) -> Any:
    return unwrap_rpc_secret(value) if is_rpc_secret(value) else value


def _document(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def trust_differences(
    existing: Mapping[str, Any], ours: Mapping[str, Any], user_ids: set[str]
) -> tuple[list[str], list[str]]:
    """(principals the existing trust lets in that ours does not; its other statements that ours drops).

    A statement is ours in substance when it allows only the inventory user (by ARN, or by the unique ID AWS
    shows for it) to `sts:AssumeRole` with the condition ours has; anything else it allows that user is
    replaced at `up`, and any other principal it lets in is broader than ours.
    """
    our_statement = _as_list(ours.get("Statement", []))[0]
    broader: list[str] = []
    beyond: list[str] = []
    for statement in _as_list(existing.get("Statement", [])):
        if not isinstance(statement, dict):
            broader.append(f"an unreadable statement {statement!r}")
            continue
        if statement.get("Effect") != "Allow":
            beyond.append(f"{statement.get('Sid') or statement.get('Effect')} (a {statement.get('Effect')})")
            continue
        if "NotPrincipal" in statement or statement.get("Principal") == "*":
            broader.append("everyone (Principal '*' or NotPrincipal)")
            continue
        principal = statement.get("Principal") or {}
        for kind, values in principal.items() if isinstance(principal, dict) else [("AWS", principal)]:
            broader += [f"{kind} {value}" for value in _as_list(values) if kind != "AWS" or value not in user_ids]
        actions = sorted(set(_as_list(statement.get("Action", []))) - {our_statement["Action"]})
        if actions:
            beyond.append(f"allowing the user {', '.join(actions)}")
        if statement.get("Condition") != our_statement.get("Condition"):
            beyond.append(
                f"condition {json.dumps(statement.get('Condition'))} instead of the stack's "
                f"{json.dumps(our_statement.get('Condition'))} (give Axonius the stack's role file first)"
            )
    return broader, beyond


def _policy(found: Discovery, resource: DeclaredResource, mocks: AwsMocks, iam: Any, account: str) -> None:
    arn = _policy_arn(mocks, resource)
    if iam_get(iam, "get_policy", "Policy", PolicyArn=arn) is not None:
        found.adopt(resource, ImportAs(arn), f"policy {arn}")


def _attachment(found: Discovery, resource: DeclaredResource, iam: Any, account: str) -> None:
    kind = "user" if resource.type == types.USER_POLICY_ATTACHMENT else "role"
    identity, arn = resource.inputs[kind], resource.inputs["policyArn"]
    listing = "list_attached_user_policies" if kind == "user" else "list_attached_role_policies"
    try:
        attached = iam_list(iam, listing, "AttachedPolicies", **{f"{kind.capitalize()}Name": identity})
    except iam.exceptions.NoSuchEntityException:
        attached = []
    if any(policy["PolicyArn"] == arn for policy in attached):
        found.adopt(resource, ImportAs(f"{identity}/{arn}"), f"{arn} attached to {kind} {identity} ({account})")
    else:
        found.missing_attachments.append(f"{arn} to {kind} {identity} in account {account}")


def _clusters(found: Discovery, run: MockRun, mocks: DiscoveryMocks, cloud: Cloud) -> None:
    """Per cluster: the ClusterRole, the binding, and the identity mapping (access entry or aws-auth entry)."""
    components = [r for r in run.resources if r.type == "axonius-aws-access:eks_access:EksReadOnlyAccess"]
    for component in components:
        children = [r for r in run.resources if r.parent == component.urn]
        cluster = _cluster_of(children, mocks.clusters)
        where = f"cluster {cluster.name} ({cluster.region}, account {cluster.account})"
        for child in children:
            if child.type == types.ACCESS_ENTRY:
                principal = child.inputs["principalArn"]
                entry = cloud.access_entry(cluster, principal)
                if entry is not None:
                    found.adopt(
                        child, ImportAs(f"{cluster.name}:{principal}"), f"access entry of {principal} in {where}"
                    )
                    found.findings += access_entry_differences(where, entry, child.inputs)
        with cloud.kubernetes(cluster) as objects:
            _cluster_objects(found, children, objects, where)


def _cluster_of(children: Sequence[DeclaredResource], clusters: Sequence[Cluster]) -> Cluster:
    """The cluster a component's Kubernetes provider signs in to (its kubeconfig, as the program wrote it)."""
    provider = next(r for r in children if r.type == types.KUBERNETES_PROVIDER)
    kubeconfig = json.loads(_plain(provider.inputs["kubeconfig"]))
    server = kubeconfig["clusters"][0]["cluster"]["server"]
    name = kubeconfig["clusters"][0]["name"]
    return next(c for c in clusters if c.name == name and c.endpoint == server)


def access_entry_differences(where: str, entry: Mapping[str, Any], inputs: Mapping[str, Any]) -> list[Finding]:
    groups = sorted(entry.get("kubernetesGroups") or [])
    wanted = sorted(inputs.get("kubernetesGroups") or [])
    if groups == wanted:
        return []
    return [Finding("changed-by-up", where, f"access entry groups {groups}", f"set to the stack's {wanted}")]


def _cluster_objects(
    found: Discovery, children: Sequence[DeclaredResource], objects: ClusterObjects, where: str
) -> None:
    for child in children:
        if child.type == f"{types.RBAC}:ClusterRole":
            name = child.inputs["metadata"]["name"]
            role = objects.cluster_role(name)
            if role is not None:
                found.adopt(child, ImportAs(name), f"ClusterRole {name} in {where}")
                if _rules(role.get("rules")) != _rules(child.inputs.get("rules")):
                    found.findings.append(
                        Finding(
                            "changed-by-up",
                            where,
                            f"ClusterRole {name} rules {json.dumps(role.get('rules'))}",
                            "replaced by the stack's rules",
                        )
                    )
        elif child.type == f"{types.RBAC}:ClusterRoleBinding":
            _binding(found, child, objects, where)
        elif child.type == types.AWS_AUTH_MAPPING:
            _aws_auth(found, child, objects, where)


def _rules(rules: Any) -> list[tuple[tuple[str, ...], ...]]:
    """RBAC rules compared as sets, whatever the spelling of their keys (Kubernetes JSON or the SDK's inputs)."""
    normal = []
    for rule in rules or []:
        fields = {key.replace("_", "").lower(): value for key, value in rule.items()}
        normal.append(tuple(tuple(sorted(fields.get(key) or [])) for key in ("apigroups", "resources", "verbs")))
    return sorted(normal)


def _binding(found: Discovery, child: DeclaredResource, objects: ClusterObjects, where: str) -> None:
    name = child.inputs["metadata"]["name"]
    binding = objects.cluster_role_binding(name)
    if binding is None:
        return
    role_ref = binding.get("roleRef") or {}
    ours = child.inputs["roleRef"]
    if (role_ref.get("kind"), role_ref.get("name")) != (ours["kind"], ours["name"]):
        found.problems.append(
            f"{where}: ClusterRoleBinding {name} refers to {role_ref.get('kind')} {role_ref.get('name')}, the "
            f"stack's to {ours['kind']} {ours['name']}; a binding's roleRef cannot change, so pulumi up would "
            "replace it: delete the binding or set eks.clusterRoleBinding to another name"
        )
        return
    found.adopt(child, ImportAs(name), f"ClusterRoleBinding {name} in {where}")
    wanted = {(s["kind"], s["name"]) for s in child.inputs["subjects"]}
    for subject in binding.get("subjects") or []:
        if (subject.get("kind"), subject.get("name")) not in wanted:
            found.findings.append(
                Finding(
                    "changed-by-up",
                    where,
                    f"ClusterRoleBinding {name} also binds {subject.get('kind')} {subject.get('name')}",
                    "dropped from the binding by pulumi up (the stack binds only its group)",
                )
            )


AwsAuthVerdict = Literal["absent", "identical", "different"]


def aws_auth_verdict(
    data: Mapping[str, str] | None, kind: str, arn: str, username: str, groups: Sequence[str]
) -> tuple[AwsAuthVerdict, str]:
    """Whether aws-auth holds our entry as the mapping writes it. ValueError when the list cannot be parsed.

    The mapping's create keeps an identical entry in place (`add_mapping` updates by ARN): adopted, no
    duplicate. A different one would be overwritten silently: that is for the user to decide.
    """
    field_ = ARN_FIELD[kind]  # type: ignore[index]  # kind is the mapping's own mapKind
    matches = [e for e in parse_entries(data, kind) if isinstance(e, dict) and e.get(field_) == arn]
    if not matches:
        return "absent", ""
    if len(matches) > 1:
        return "different", f"{len(matches)} entries for {arn}"
    entry = matches[0]
    differences = []
    if entry.get("username") != username:
        differences.append(f"username {entry.get('username')!r} instead of {username!r}")
    theirs = entry.get("groups") or []
    if sorted(theirs) != sorted(groups):
        extra = sorted(set(theirs) - set(groups))
        differences.append(
            f"groups {theirs}" + (f" (beyond ours: {extra})" if extra else "") + f" instead of {list(groups)}"
        )
    other_keys = sorted(set(entry) - {field_, "username", "groups"})
    if other_keys:
        differences.append(f"other keys {other_keys}")
    return ("different", "; ".join(differences)) if differences else ("identical", "")


def _aws_auth(found: Discovery, child: DeclaredResource, objects: ClusterObjects, where: str) -> None:
    props = child.inputs
    data = objects.aws_auth()
    try:
        verdict, detail = aws_auth_verdict(data, props["mapKind"], props["arn"], props["username"], props["groups"])
    except ValueError as error:
        found.problems.append(f"{where}: {error}")
        return
    if verdict == "different":
        found.problems.append(
            f"{where}: kube-system/aws-auth {props['mapKind']} has an entry for {props['arn']} that is not the "
            f"stack's: {detail}; pulumi up would overwrite it. Decide: edit that entry to the stack's (username "
            f"{props['username']!r}, groups {props['groups']}), or set eks.username/eks.group to what it grants"
        )
    elif verdict == "identical":
        entry_id = f"{props['clusterName']}/{props['mapKind']}/{props['arn']}"
        found.adopt(
            child, ImportAs(entry_id, state=props), f"aws-auth {props['mapKind']} entry {props['arn']} in {where}"
        )


def nothing_found(found: Discovery) -> list[str]:
    if found.adopted:
        return []
    names = sorted(
        {
            f"{r.type.rsplit(':', 1)[-1]} {r.inputs.get('name') or r.inputs.get('metadata', {}).get('name') or r.name}"
            for r in found.run.resources
            if r.type in (types.IAM_USER, types.IAM_ROLE, f"{types.RBAC}:ClusterRole")
        }
    )
    return [
        f"stack {found.stack}: nothing it declares exists under its names in account {found.home_account} or the "
        f"accounts and clusters it reaches ({', '.join(names)}); check --stack, --config-file (user.name, "
        "roles.name, eks.clusterRole) and the credentials' account"
    ]


def detach(found: Discovery, cloud: Cloud) -> list[Action]:
    """Detach the unmanaged grants, once every attachment the stack declares exists: never a moment without
    the stack's read access. AdoptError (nothing detached) otherwise."""
    if found.missing_attachments:
        raise AdoptError(
            [
                f"the stack's own policy {missing} is not attached yet: run pulumi up first; nothing was detached"
                for missing in found.missing_attachments
            ]
        )
    for action in found.actions:
        iam = cloud.iam(action.account)
        if action.kind == "detach-user-policy":
            iam.detach_user_policy(UserName=action.identity, PolicyArn=action.target)
        elif action.kind == "detach-role-policy":
            iam.detach_role_policy(RoleName=action.identity, PolicyArn=action.target)
        elif action.kind == "delete-user-policy":
            iam.delete_user_policy(UserName=action.identity, PolicyName=action.target)
        elif action.kind == "delete-role-policy":
            iam.delete_role_policy(RoleName=action.identity, PolicyName=action.target)
        else:
            iam.remove_user_from_group(UserName=action.identity, GroupName=action.target)
    return found.actions


def report_json(found: Discovery, out: Path | None, detached: Sequence[Action] | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "stack": found.stack,
        "homeAccount": found.home_account,
        "importFiles": [str(parents_path(out)), str(out)] if out else [],
        "adopted": [asdict(a) for a in found.adopted],
        "createdByUp": [{"urn": r.urn, "type": r.type} for r in found.created],
        "findings": [
            {"kind": f.kind, "where": f.where, "what": f.what, "plan": f.plan}
            | ({"undo": f.action.undo()} if f.action else {})
            for f in found.findings
        ],
    }
    if detached is not None:
        report["detached"] = [{"what": f"{a.kind} {a.target} from {a.identity}", "undo": a.undo()} for a in detached]
    return report


def render_text(found: Discovery, out: Path | None, detached: Sequence[Action] | None = None) -> str:
    lines = [f"Stack {found.stack}, home account {found.home_account}"]
    if detached is not None:
        lines.append(f"\nDetached {len(detached)} grant(s) outside the stack; to put one back:")
        lines += [f"  {action.undo()}" for action in detached]
        return "\n".join(lines)
    lines.append(f"\nAdopted: {len(found.adopted)} resource(s) exist under the stack's names")
    lines += [f"  {a.type:<52} {a.id}\n      {a.where}" for a in found.adopted]
    lines.append(f"\nCreated by pulumi up: {len(found.created)} resource(s)")
    lines += [f"  {r.type:<52} {r.name}" for r in found.created]
    unmanaged = [f for f in found.findings if f.kind == "unmanaged"]
    changed = [f for f in found.findings if f.kind == "changed-by-up"]
    lines.append(f"\nOutside the stack's control: {len(unmanaged)}")
    lines += [f"  {f.where}: {f.what}\n      plan: {f.plan}" for f in unmanaged]
    lines.append(f"\nChanged by pulumi up: {len(changed)}")
    lines += [f"  {f.where}: {f.what}\n      plan: {f.plan}" for f in changed]
    if out:
        flags = f"-s {found.stack} --protect=false --generate-code=false --yes"
        lines.append(
            f"\nImport files written: {parents_path(out)} (our components) and {out}. Next (README: Adopting an "
            f"existing setup):\n  pulumi import --file {parents_path(out)} {flags}\n"
            f"  pulumi import --file {out} {flags}\n"
            f"  pulumi up -s {found.stack}\n"
            f"  venv/bin/python -m automation adopt --stack {found.stack} --detach-unmanaged"
        )
    return "\n".join(lines)


def add_adopt_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "adopt", help="find what a manual setup made under the stack's names; write a `pulumi import --file` file"
    )
    command.add_argument("--stack", required=True, help="stack name: reads stacks/Pulumi.<stack>.yaml")
    command.add_argument("--config-file", type=Path, help="read this stack file instead")
    command.add_argument("--out", type=Path, help="write the import file here (required unless --detach-unmanaged)")
    command.add_argument("--adapter-key-id", help="the access key Axonius holds, when the user has two")
    command.add_argument(
        "--detach-unmanaged",
        action="store_true",
        help="after pulumi up: detach the grants outside the stack, once the stack's own are attached",
    )
    command.add_argument("--json", action="store_true", help="print one JSON object")


def run_adopt(args: argparse.Namespace, cloud: Cloud | None = None) -> int:
    if not args.detach_unmanaged and args.out is None:
        print(
            "error: --out FILE is required (where to write the import file), unless --detach-unmanaged", file=sys.stderr
        )
        return 2
    cloud = cloud or Cloud()
    detached: list[Action] | None = None
    try:
        found = discover(
            args.stack,
            cloud,
            config_file=args.config_file,
            adapter_key_id=args.adapter_key_id,
            keys=not args.detach_unmanaged,
        )
        if args.detach_unmanaged:
            detached = detach(found, cloud)
        elif problems := nothing_found(found):
            raise AdoptError(problems)
        else:
            full = found.import_file()
            parents_path(args.out).write_text(json.dumps(parents_only(full), indent=2) + "\n")
            args.out.write_text(json.dumps(full, indent=2) + "\n")
    except AdoptError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        print("nothing was changed", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write the import file {args.out}: {error.strerror}; nothing was changed", file=sys.stderr)
        return 2
    out = None if args.detach_unmanaged else args.out
    print(json.dumps(report_json(found, out, detached), indent=2) if args.json else render_text(found, out, detached))
    return 0
