"""The stand-in `aws` plugin (`python -m tests.standin.aws`): IAM for real in moto, invokes as the mock engine
answers them, every other type echoed with invented IDs and ARNs.

Environment (set by `tests/standin/cloud.py`):
- `AWS_ENDPOINT_URL`: the moto server. Without it the plugin can still preview (invokes are answered offline, as
  `plan` answers them, for home account `STANDIN_HOME_ACCOUNT`, default 123456789012) but refuses to change anything.
- `STANDIN_CLUSTERS`: JSON `{name: {"endpoint": URL, "authenticationMode": MODE}}`, the clusters the fake Kubernetes
  API servers play; other clusters are answered like the mock engine answers them.
- `STANDIN_ORGANIZATION`: an organization file (`plan --organization`) that answers Organizations calls.

Replacement follows pulumi-aws's ForceNew fields (from the Terraform provider's schema the bridge reads); where the
table below could not be checked against the schema it says "guessed".
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import botocore.exceptions
import pulumi

from automation.mock_engine import AwsMocks
from automation.organization_file import load_organization
from policy_pack.rules import resource_types as types

from .provider import CloudError, Created, Kind, Properties, StandinProvider, provider_list, sdk_plugin_version, serve

DEFAULT_HOME_ACCOUNT = "123456789012"  # moto's default account
USER_POLICY = "aws:iam/userPolicy:UserPolicy"

# ForceNew inputs per type (terraform-provider-aws): names and paths of roles and policies, the user of an access
# key, the two ends of an attachment, an inline policy's owner and name. A user's name and path update in place.
KINDS: Mapping[str, Kind] = {
    types.IAM_USER: Kind(computed=("arn", "uniqueId"), autoname=False, imported=("name", "path")),
    types.IAM_ROLE: Kind(
        replace_on=frozenset({"name", "namePrefix", "path"}),
        computed=("arn", "uniqueId", "createDate"),
        autoname=True,
        imported=("name", "assumeRolePolicy", "maxSessionDuration"),
    ),
    types.IAM_POLICY: Kind(
        replace_on=frozenset({"name", "namePrefix", "path", "description"}),
        computed=("arn", "policyId", "attachmentCount"),
        autoname=True,
        imported=("name", "path", "policy", "description"),
    ),
    types.IAM_ACCESS_KEY: Kind(
        replace_on=frozenset({"user", "pgpKey"}),
        computed=("secret", "createDate", "sesSmtpPasswordV4"),
        imported=("user", "status"),
    ),
    types.USER_POLICY_ATTACHMENT: Kind(replace_on=frozenset({"user", "policyArn"}), imported=("user", "policyArn")),
    types.ROLE_POLICY_ATTACHMENT: Kind(replace_on=frozenset({"role", "policyArn"}), imported=("role", "policyArn")),
    USER_POLICY: Kind(replace_on=frozenset({"user", "name", "namePrefix"}), autoname=True),
    # Guessed from the Terraform schema's shape, not checked: an access entry's cluster, principal and type, and a
    # StackSet's name and permission model, force a new resource; a StackSet instance is replaced on any change of
    # where it deploys.
    types.ACCESS_ENTRY: Kind(
        replace_on=frozenset({"clusterName", "principalArn", "type"}), computed=("accessEntryArn", "createdAt")
    ),
    types.CLOUDFORMATION_STACK_SET: Kind(replace_on=frozenset({"name", "permissionModel"}), computed=("arn",)),
    types.STACK_SET_INSTANCE: Kind(
        replace_on=frozenset({"stackSetName", "accountId", "region", "deploymentTargets", "callAs"}),
        computed=("stackInstanceSummaries",),
    ),
}
ANSWERED_INVOKES = frozenset(
    {
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
        "aws:eks/getCluster:getCluster",
    }
)


class StandinMocks(AwsMocks):
    """The mock engine's answers for this provider instance's account, with the fake clusters' endpoints."""

    def __init__(self, account: str, clusters: Mapping[str, Mapping[str, str]]) -> None:
        organization_file = os.environ.get("STANDIN_ORGANIZATION")
        super().__init__(
            home_account=account, organization=load_organization(Path(organization_file)) if organization_file else None
        )
        self.clusters = clusters

    def account_of(self, provider_reference: str) -> str:
        return self.home_account

    def authentication_mode(self, cluster: str) -> str:
        return self.clusters.get(cluster, {}).get("authenticationMode") or super().authentication_mode(cluster)

    def eks_cluster(self, name: str, region: str, provider_reference: str) -> dict | tuple[dict, list]:
        answer = super().eks_cluster(name, region, provider_reference)
        if name in self.clusters and isinstance(answer, dict):
            answer["endpoint"] = self.clusters[name]["endpoint"]
        return answer


def _error(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except botocore.exceptions.ClientError as error:
        raise CloudError(str(error)) from None


def _same_document(stored: Any, ours: str) -> bool:
    """IAM gives documents back re-serialised (URL-encoded, reordered): compare what they mean, as the bridge does."""
    parsed = json.loads(unquote(stored)) if isinstance(stored, str) else stored
    return parsed == json.loads(ours)


def _tag_map(tags: list[dict[str, str]]) -> dict[str, str] | None:
    return {tag["Key"]: tag["Value"] for tag in tags} or None


def _tags(inputs: Properties) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in (inputs.get("tags") or {}).items()]


class AwsCloud:
    kinds = KINDS

    def __init__(self) -> None:
        self.endpoint = os.environ.get("AWS_ENDPOINT_URL")
        self.session: boto3.Session | None = None
        self.account = os.environ.get("STANDIN_HOME_ACCOUNT", DEFAULT_HOME_ACCOUNT)
        self.region = "us-east-1"
        self.mocks = StandinMocks(self.account, json.loads(os.environ.get("STANDIN_CLUSTERS") or "{}"))

    # Configuration: the assumed role decides the account, allowedAccountIds is enforced as the provider does.
    def configure(self, config: Properties) -> None:
        self.region = config.get("region") or self.region
        roles = provider_list(config.get("assumeRoles"))
        role_arn = roles[0].get("roleArn") if roles else None
        if self.endpoint:
            base = boto3.Session(region_name=self.region)
            if role_arn:
                answer = _error(
                    lambda: base.client("sts", endpoint_url=self.endpoint).assume_role(
                        RoleArn=role_arn, RoleSessionName=roles[0].get("sessionName") or "standin"
                    )
                )["Credentials"]
                base = boto3.Session(
                    aws_access_key_id=answer["AccessKeyId"],
                    aws_secret_access_key=answer["SecretAccessKey"],
                    aws_session_token=answer["SessionToken"],
                    region_name=self.region,
                )
            self.session = base
            self.account = _error(lambda: base.client("sts", endpoint_url=self.endpoint).get_caller_identity())[
                "Account"
            ]
        elif role_arn:
            self.account = role_arn.split(":")[4]
        allowed = [str(a) for a in provider_list(config.get("allowedAccountIds"))]
        if allowed and self.account not in allowed:
            raise CloudError(f"AWS account ID not allowed: {self.account} (allowedAccountIds: {', '.join(allowed)})")
        self.mocks.home_account = self.account

    def iam(self) -> Any:
        if self.session is None:
            raise CloudError("the stand-in aws provider changes nothing without a moto server (AWS_ENDPOINT_URL)")
        return self.session.client("iam", endpoint_url=self.endpoint)

    def invented(self, prefix: str, *parts: str) -> str:
        return prefix + hashlib.sha256("/".join((self.account, *parts, str(time.time_ns()))).encode()).hexdigest()[:12]

    # Resources.
    def create(self, type_: str, name: str, inputs: Properties) -> Created:
        iam = self.iam() if type_ in _IAM_CREATE else None
        if iam is None:
            return self.echo(type_, name, inputs)
        return _IAM_CREATE[type_](self, iam, inputs)

    def echo(self, type_: str, name: str, inputs: Properties) -> Created:
        """A type the stand-in does not model: its inputs back, with the ID and ARN a real one would get."""
        module = type_.split(":")[1].split("/")[0]
        id_ = self.invented(f"{name}-")
        arn = f"arn:aws:{module}:{inputs.get('region') or self.region}:{self.account}:{name}/{id_}"
        outputs = {**inputs, "arn": arn, "id": id_}
        if type_ == types.ACCESS_ENTRY:
            outputs["accessEntryArn"] = arn
        return Created(id_, outputs)

    def read(self, type_: str, id_: str, state: Properties) -> Properties | None:
        reader = _IAM_READ.get(type_)
        return state if reader is None else reader(self, self.iam(), id_, state)

    def update(self, type_: str, id_: str, olds: Properties, news: Properties) -> Properties:
        updater = _IAM_UPDATE.get(type_)
        if updater is None:
            return {**olds, **news}
        return updater(self, self.iam(), id_, olds, news)

    def delete(self, type_: str, id_: str, state: Properties) -> None:
        deleter = _IAM_DELETE.get(type_)
        if deleter is not None:
            deleter(self.iam(), id_, state)

    def invoke(self, token: str, args: Properties) -> Properties:
        session = self.session
        if token == "aws:index/getCallerIdentity:getCallerIdentity" and session is not None:
            who = _error(lambda: session.client("sts", endpoint_url=self.endpoint).get_caller_identity())
            return {"accountId": who["Account"], "arn": who["Arn"], "userId": who["UserId"], "id": who["Account"]}
        if token not in ANSWERED_INVOKES and not token.startswith("aws:organizations/"):
            raise CloudError(f"the stand-in aws provider does not answer {token}")
        answer = self.mocks.call(pulumi.runtime.MockCallArgs(token, args, ""))
        if isinstance(answer, tuple):
            result, failures = answer
            if failures:
                raise CloudError("; ".join(reason for _, reason in failures))
            return result
        return answer


# IAM in moto, one function per type and operation. Outputs carry the inputs plus what AWS computes.
def _create_user(cloud: AwsCloud, iam: Any, inputs: Properties) -> Created:
    user = _error(lambda: iam.create_user(UserName=inputs["name"], Path=inputs.get("path") or "/", Tags=_tags(inputs)))[
        "User"
    ]
    return Created(
        user["UserName"],
        {**inputs, "path": user["Path"], "arn": user["Arn"], "uniqueId": user["UserId"], "tagsAll": inputs.get("tags")},
    )


def _read_user(cloud: AwsCloud, iam: Any, id_: str, state: Properties) -> Properties | None:
    try:
        user = iam.get_user(UserName=id_)["User"]
    except iam.exceptions.NoSuchEntityException:
        return None
    tags = _tag_map(iam.list_user_tags(UserName=id_)["Tags"])
    return {**state, "name": user["UserName"], "path": user["Path"], "arn": user["Arn"], "uniqueId": user["UserId"],
            "tags": tags or state.get("tags"), "tagsAll": tags or state.get("tagsAll")}  # fmt: skip


def _update_user(cloud: AwsCloud, iam: Any, id_: str, olds: Properties, news: Properties) -> Properties:
    if (news["name"], news.get("path") or "/") != (olds["name"], olds.get("path") or "/"):
        _error(lambda: iam.update_user(UserName=id_, NewUserName=news["name"], NewPath=news.get("path") or "/"))
    if news.get("tags") != olds.get("tags"):
        _error(lambda: iam.tag_user(UserName=news["name"], Tags=_tags(news)))
    user = _error(lambda: iam.get_user(UserName=news["name"]))["User"]
    return {**news, "arn": user["Arn"], "uniqueId": user["UserId"], "tagsAll": news.get("tags")}


def _delete_user(iam: Any, id_: str, state: Properties) -> None:
    _error(lambda: iam.delete_user(UserName=id_))


def _create_role(cloud: AwsCloud, iam: Any, inputs: Properties) -> Created:
    extra = {"Description": inputs["description"]} if inputs.get("description") else {}
    role = _error(
        lambda: iam.create_role(
            RoleName=inputs["name"],
            Path=inputs.get("path") or "/",
            AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
            MaxSessionDuration=int(inputs.get("maxSessionDuration") or 3600),
            Tags=_tags(inputs),
            **extra,
        )
    )["Role"]
    return Created(
        role["RoleName"],
        {
            **inputs,
            "path": role["Path"],
            "arn": role["Arn"],
            "uniqueId": role["RoleId"],
            "createDate": role["CreateDate"].isoformat(),
            "tagsAll": inputs.get("tags"),
        },
    )


def _read_role(cloud: AwsCloud, iam: Any, id_: str, state: Properties) -> Properties | None:
    try:
        role = iam.get_role(RoleName=id_)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return None
    trust = state.get("assumeRolePolicy", "{}")
    if not _same_document(role["AssumeRolePolicyDocument"], trust):
        trust = json.dumps(role["AssumeRolePolicyDocument"])
    tags = _tag_map(role.get("Tags", []))
    return {**state, "name": role["RoleName"], "path": role["Path"], "arn": role["Arn"], "uniqueId": role["RoleId"],
            "assumeRolePolicy": trust, "maxSessionDuration": role.get("MaxSessionDuration", 3600),
            "description": role.get("Description") or state.get("description"),
            "tags": tags or state.get("tags"), "tagsAll": tags or state.get("tagsAll")}  # fmt: skip


def _update_role(cloud: AwsCloud, iam: Any, id_: str, olds: Properties, news: Properties) -> Properties:
    if news.get("assumeRolePolicy") != olds.get("assumeRolePolicy"):
        _error(lambda: iam.update_assume_role_policy(RoleName=id_, PolicyDocument=news["assumeRolePolicy"]))
    if (news.get("maxSessionDuration"), news.get("description")) != (
        olds.get("maxSessionDuration"),
        olds.get("description"),
    ):
        _error(
            lambda: iam.update_role(
                RoleName=id_,
                MaxSessionDuration=int(news.get("maxSessionDuration") or 3600),
                Description=news.get("description") or "",
            )
        )
    return {**olds, **news, "tagsAll": news.get("tags")}


def _delete_role(iam: Any, id_: str, state: Properties) -> None:
    _error(lambda: iam.delete_role(RoleName=id_))


def _create_policy(cloud: AwsCloud, iam: Any, inputs: Properties) -> Created:
    extra = {"Description": inputs["description"]} if inputs.get("description") else {}
    policy = _error(
        lambda: iam.create_policy(
            PolicyName=inputs["name"],
            Path=inputs.get("path") or "/",
            PolicyDocument=inputs["policy"],
            Tags=_tags(inputs),
            **extra,
        )
    )["Policy"]
    return Created(
        policy["Arn"],
        {**inputs, "arn": policy["Arn"], "policyId": policy["PolicyId"], "attachmentCount": 0,
         "path": policy["Path"], "tagsAll": inputs.get("tags")},
    )  # fmt: skip


def _read_policy(cloud: AwsCloud, iam: Any, id_: str, state: Properties) -> Properties | None:
    try:
        policy = iam.get_policy(PolicyArn=id_)["Policy"]
    except iam.exceptions.NoSuchEntityException:
        return None
    version = iam.get_policy_version(PolicyArn=id_, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    document = state.get("policy", "{}")
    if not _same_document(version["Document"], document):
        document = json.dumps(version["Document"])
    tags = _tag_map(policy.get("Tags", []))
    return {**state, "name": policy["PolicyName"], "path": policy["Path"], "arn": policy["Arn"],
            "policyId": policy["PolicyId"], "policy": document, "attachmentCount": policy.get("AttachmentCount", 0),
            "description": policy.get("Description") or state.get("description"),
            "tags": tags or state.get("tags"), "tagsAll": tags or state.get("tagsAll")}  # fmt: skip


def _update_policy(cloud: AwsCloud, iam: Any, id_: str, olds: Properties, news: Properties) -> Properties:
    if news.get("policy") != olds.get("policy"):
        # As the provider does: a new default version, the oldest other one deleted first when five exist.
        versions = _error(lambda: iam.list_policy_versions(PolicyArn=id_))["Versions"]
        if len(versions) >= 5:
            oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
            _error(lambda: iam.delete_policy_version(PolicyArn=id_, VersionId=oldest["VersionId"]))
        _error(lambda: iam.create_policy_version(PolicyArn=id_, PolicyDocument=news["policy"], SetAsDefault=True))
    return {**olds, **news, "tagsAll": news.get("tags")}


def _delete_policy(iam: Any, id_: str, state: Properties) -> None:
    for version in _error(lambda: iam.list_policy_versions(PolicyArn=id_))["Versions"]:
        if not version["IsDefaultVersion"]:
            version_id = version["VersionId"]
            _error(lambda: iam.delete_policy_version(PolicyArn=id_, VersionId=version_id))  # noqa: B023 (called now)
    _error(lambda: iam.delete_policy(PolicyArn=id_))


def _create_access_key(cloud: AwsCloud, iam: Any, inputs: Properties) -> Created:
    key = _error(lambda: iam.create_access_key(UserName=inputs["user"]))["AccessKey"]
    status = inputs.get("status") or "Active"
    if status != "Active":
        _error(lambda: iam.update_access_key(UserName=inputs["user"], AccessKeyId=key["AccessKeyId"], Status=status))
    return Created(
        key["AccessKeyId"],
        {**inputs, "secret": key["SecretAccessKey"], "status": status, "createDate": key["CreateDate"].isoformat()},
    )


def _read_access_key(cloud: AwsCloud, iam: Any, id_: str, state: Properties) -> Properties | None:
    try:
        # An import knows only the key's ID: IAM says whose it is.
        user = state.get("user") or iam.get_access_key_last_used(AccessKeyId=id_)["UserName"]
        keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    except iam.exceptions.NoSuchEntityException:
        return None
    found = [k for k in keys if k["AccessKeyId"] == id_]
    return {**state, "user": user, "status": found[0]["Status"]} if found else None


def _update_access_key(cloud: AwsCloud, iam: Any, id_: str, olds: Properties, news: Properties) -> Properties:
    status = news.get("status") or "Active"
    if status != olds.get("status"):
        _error(lambda: iam.update_access_key(UserName=news["user"], AccessKeyId=id_, Status=status))
    return {**olds, **news, "status": status}


def _delete_access_key(iam: Any, id_: str, state: Properties) -> None:
    _error(lambda: iam.delete_access_key(UserName=state["user"], AccessKeyId=id_))


def _attachment(kind: str) -> tuple[Callable[..., Created], Callable[..., Properties | None], Callable[..., None]]:
    """Create/read/delete of a user or role attachment; the ID is `<name>-<timestamp>`, as the provider's."""
    noun = kind.capitalize()

    def create(cloud: AwsCloud, iam: Any, inputs: Properties) -> Created:
        call = getattr(iam, f"attach_{kind}_policy")
        _error(lambda: call(**{f"{noun}Name": inputs[kind], "PolicyArn": inputs["policyArn"]}))
        return Created(f"{inputs[kind]}-{time.strftime('%Y%m%d%H%M%S')}{time.time_ns() % 10**8:08d}", dict(inputs))

    def read(cloud: AwsCloud, iam: Any, id_: str, state: Properties) -> Properties | None:
        if kind not in state:  # an import: the ID is `<user or role>/<policy ARN>`, as pulumi-aws imports it
            name, _, arn = id_.partition("/")
            state = {kind: name, "policyArn": arn}
        lister = getattr(iam, f"list_attached_{kind}_policies")
        try:
            attached = lister(**{f"{noun}Name": state[kind]})["AttachedPolicies"]
        except iam.exceptions.NoSuchEntityException:
            return None
        return state if any(p["PolicyArn"] == state["policyArn"] for p in attached) else None

    def delete(iam: Any, id_: str, state: Properties) -> None:
        call = getattr(iam, f"detach_{kind}_policy")
        _error(lambda: call(**{f"{noun}Name": state[kind], "PolicyArn": state["policyArn"]}))

    return create, read, delete


def _create_user_policy(cloud: AwsCloud, iam: Any, inputs: Properties) -> Created:
    _error(
        lambda: iam.put_user_policy(UserName=inputs["user"], PolicyName=inputs["name"], PolicyDocument=inputs["policy"])
    )
    return Created(f"{inputs['user']}:{inputs['name']}", dict(inputs))


def _read_user_policy(cloud: AwsCloud, iam: Any, id_: str, state: Properties) -> Properties | None:
    try:
        found = iam.get_user_policy(UserName=state["user"], PolicyName=state["name"])
    except iam.exceptions.NoSuchEntityException:
        return None
    document = state.get("policy", "{}")
    if not _same_document(found["PolicyDocument"], document):
        document = json.dumps(found["PolicyDocument"])
    return {**state, "policy": document}


def _update_user_policy(cloud: AwsCloud, iam: Any, id_: str, olds: Properties, news: Properties) -> Properties:
    _error(lambda: iam.put_user_policy(UserName=news["user"], PolicyName=news["name"], PolicyDocument=news["policy"]))
    return {**olds, **news}


def _delete_user_policy(iam: Any, id_: str, state: Properties) -> None:
    _error(lambda: iam.delete_user_policy(UserName=state["user"], PolicyName=state["name"]))


_user_attach, _user_attached, _user_detach = _attachment("user")
_role_attach, _role_attached, _role_detach = _attachment("role")

_IAM_CREATE: dict[str, Callable[[AwsCloud, Any, Properties], Created]] = {
    types.IAM_USER: _create_user,
    types.IAM_ROLE: _create_role,
    types.IAM_POLICY: _create_policy,
    types.IAM_ACCESS_KEY: _create_access_key,
    types.USER_POLICY_ATTACHMENT: _user_attach,
    types.ROLE_POLICY_ATTACHMENT: _role_attach,
    USER_POLICY: _create_user_policy,
}
_IAM_READ: dict[str, Callable[[AwsCloud, Any, str, Properties], Properties | None]] = {
    types.IAM_USER: _read_user,
    types.IAM_ROLE: _read_role,
    types.IAM_POLICY: _read_policy,
    types.IAM_ACCESS_KEY: _read_access_key,
    types.USER_POLICY_ATTACHMENT: _user_attached,
    types.ROLE_POLICY_ATTACHMENT: _role_attached,
    USER_POLICY: _read_user_policy,
}
_IAM_UPDATE: dict[str, Callable[[AwsCloud, Any, str, Properties, Properties], Properties]] = {
    types.IAM_USER: _update_user,
    types.IAM_ROLE: _update_role,
    types.IAM_POLICY: _update_policy,
    types.IAM_ACCESS_KEY: _update_access_key,
    USER_POLICY: _update_user_policy,
}
_IAM_DELETE: dict[str, Callable[[Any, str, Properties], None]] = {
    types.IAM_USER: _delete_user,
    types.IAM_ROLE: _delete_role,
    types.IAM_POLICY: _delete_policy,
    types.IAM_ACCESS_KEY: _delete_access_key,
    types.USER_POLICY_ATTACHMENT: _user_detach,
    types.ROLE_POLICY_ATTACHMENT: _role_detach,
    USER_POLICY: _delete_user_policy,
}


def main() -> None:
    serve(StandinProvider("aws", sdk_plugin_version("pulumi_aws"), AwsCloud()))


if __name__ == "__main__":
    main()
