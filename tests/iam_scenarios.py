"""Cross-account IAM scenarios built from `plan --json --show-secrets` output, judged by an independent evaluator.

The evaluator is `@cloud-copilot/iam-simulate` (npm, AGPL-3.0: a test-only tool in tests/node/, never
imported by the product). `tests/node/simulate.mjs` reads every request of a run on stdin and prints the
verdicts, so one node process judges a whole test module.

A stack is read into a `StackModel` (user, its attached documents, each role's trust and attached
documents, the external IDs of the role file) from the plan's resources only; nothing here rewrites a
document the program declares, except the named controls, which change one thing to show that a denial
depends on it. An organization-mode stack becomes one more `StackModel` when its roles can be read from
the plan (the StackSet's template): `stack_models` is the one place to add it.

`venv/bin/python -m tests.iam_scenarios` prints the table of scenarios and verdicts for dev and prod.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from components.config_validation import parse_stack_config
from components.permission_sets import select_actions
from components.stack_config import NAMESPACE
from policy_pack.rules.iam_actions import default_catalog
from tests.plan_runs import plan_json, run

PROJECT_DIR = Path(__file__).resolve().parent.parent
NODE_DIR = PROJECT_DIR / "tests" / "node"
SIMULATE = NODE_DIR / "simulate.mjs"
STACKS = ("dev", "prod")
OUTSIDE_ACCOUNT = "999999999999"  # an account no stack names
SESSION_NAME = "axonius-adapter"
REGION = "us-east-1"

Document = dict[str, Any]
Expected = Literal["Allowed", "Denied"]
# Groups scenarios into tests: a control changes one thing the stack declares and must flip a denial.
Kind = Literal["assume-allowed", "assume-denied", "session-allowed", "session-denied", "control"]


@dataclass(frozen=True)
class Role:
    account: str
    name: str
    arn: str
    trust: Document
    documents: tuple[Document, ...]
    external_id: str | None


@dataclass(frozen=True)
class StackModel:
    stack: str
    home_account: str
    user_arn: str
    user_documents: tuple[Document, ...]
    roles: tuple[Role, ...]
    actions: tuple[str, ...]  # what the stack file selects: every one must be allowed


@dataclass(frozen=True)
class Request:
    principal: str
    action: str
    resource: str
    resource_account: str
    identity_policies: tuple[Document, ...]
    resource_policy: Document | None = None
    context: Mapping[str, str] | None = None

    def wire(self, id_: str) -> dict[str, Any]:
        return {
            "id": id_,
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "resourceAccount": self.resource_account,
            "identityPolicies": list(self.identity_policies),
            "resourcePolicy": self.resource_policy,
            "context": dict(self.context or {}),
        }


@dataclass(frozen=True)
class Scenario:
    stack: str
    kind: Kind
    description: str
    expected: Expected
    requests: tuple[Request, ...]


@dataclass(frozen=True)
class Verdict:
    result: str  # Allowed, ImplicitlyDenied, ExplicitlyDenied or Error
    detail: str

    @property
    def outcome(self) -> str:
        return "Denied" if self.result.endswith("Denied") else self.result


# ---- reading the plan ---------------------------------------------------------------------------------


def selected_actions(stack: str) -> tuple[str, ...]:
    """The actions the stack file's `permissions` select, read by the program's own config parser."""
    stack_file = yaml.safe_load((PROJECT_DIR / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    raw = {"permissions": stack_file["config"].get(f"{NAMESPACE}:permissions", {})}
    catalog = default_catalog()
    permissions = parse_stack_config(raw, catalog).permissions
    return select_actions(permissions.sets, permissions.extra_actions, permissions.exclude_actions, catalog)


def split_arn(arn: str) -> tuple[str, str]:
    """The account and the last path segment of an IAM ARN (`arn:aws:iam::ACCOUNT:policy/path/NAME`)."""
    parts = arn.split(":")
    return parts[4], parts[5].rsplit("/", 1)[-1]


def stack_model(stack: str, plan: Mapping[str, Any]) -> StackModel:
    resources = plan["resources"]
    outputs = plan["outputs"]
    home_account, _ = split_arn(outputs["userArn"])
    provider_accounts = {
        # provider config is on the wire as JSON text, as the engine passes it to the plugin
        resource["urn"]: json.loads(resource["inputs"]["allowedAccountIds"])[0]
        for resource in resources
        if resource["type"] == "pulumi:providers:aws"
    }

    def of_type(type_: str) -> list[Mapping[str, Any]]:
        return [resource for resource in resources if resource["type"] == type_]

    def account_of(resource: Mapping[str, Any]) -> str:
        provider = resource["provider"].rsplit("::", 1)[0] if resource["provider"] else ""
        return provider_accounts.get(provider, home_account)

    documents = {
        (account_of(policy), policy["inputs"]["name"]): json.loads(policy["inputs"]["policy"])
        for policy in of_type("aws:iam/policy:Policy")
    }
    external_ids = {entry["arn"]: entry.get("external_id") for entry in json.loads(outputs["roleArnFileJson"])}
    roles = []
    for role in of_type("aws:iam/role:Role"):
        account, name = account_of(role), role["inputs"]["name"]
        arn = f"arn:aws:iam::{account}:role{role['inputs'].get('path', '/')}{name}"
        attached = [
            documents[split_arn(attachment["inputs"]["policyArn"])]
            for attachment in of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if account_of(attachment) == account and attachment["inputs"]["role"] == name
        ]
        trust = json.loads(role["inputs"]["assumeRolePolicy"])
        roles.append(Role(account, name, arn, trust, tuple(attached), external_ids[arn]))
    user_documents = tuple(
        documents[split_arn(attachment["inputs"]["policyArn"])]
        for attachment in of_type("aws:iam/userPolicyAttachment:UserPolicyAttachment")
    )
    return StackModel(stack, home_account, outputs["userArn"], user_documents, tuple(roles), selected_actions(stack))


def stack_models(stacks: Iterable[str] = STACKS) -> list[StackModel]:
    """Every stack's model; the plans run side by side (each is its own process)."""
    names = list(stacks)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        plans = list(pool.map(plan_json, names))
    return [stack_model(name, plan) for name, plan in zip(names, plans, strict=True)]


# ---- scenarios -----------------------------------------------------------------------------------------


def statements_of(document: Document) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def grants(document: Document, action: str) -> bool:
    for statement in statements_of(document):
        actions = statement.get("Action", [])
        if statement.get("Effect") == "Allow" and action in ([actions] if isinstance(actions, str) else actions):
            return True
    return False


def without_conditions(document: Document) -> Document:
    statements = [{key: value for key, value in s.items() if key != "Condition"} for s in statements_of(document)]
    return {**document, "Statement": statements}


def trusting(document: Document, account_principal: str) -> Document:
    """The trust document with every statement's principal replaced by `arn:aws:iam::<account_principal>`."""
    principal = {"AWS": f"arn:aws:iam::{account_principal}"}
    return {**document, "Statement": [{**statement, "Principal": principal} for statement in statements_of(document)]}


def grant_assume_role(resource: str) -> Document:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


EC2_STAR: Document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}


def writes(account: str) -> dict[str, str]:
    """A sample of writes, each on a concrete resource of `account`."""
    return {
        "iam:CreateUser": f"arn:aws:iam::{account}:user/intruder",
        "iam:CreateAccessKey": f"arn:aws:iam::{account}:user/admin",
        "iam:AttachRolePolicy": f"arn:aws:iam::{account}:role/Axonius-Readonly-Role",
        "iam:PassRole": f"arn:aws:iam::{account}:role/admin",
        "sts:AssumeRole": f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        "ec2:TerminateInstances": f"arn:aws:ec2:{REGION}:{account}:instance/i-0123456789abcdef0",
        "ec2:CreateSnapshot": f"arn:aws:ec2:{REGION}::snapshot/snap-0123456789abcdef0",
        "ec2:AuthorizeSecurityGroupIngress": f"arn:aws:ec2:{REGION}:{account}:security-group/sg-0123456789abcdef0",
        "s3:PutObject": "arn:aws:s3:::inventory-data/report.csv",
        "s3:DeleteBucket": "arn:aws:s3:::inventory-data",
        "lambda:UpdateFunctionCode": f"arn:aws:lambda:{REGION}:{account}:function:billing",
        "eks:CreateAccessEntry": f"arn:aws:eks:{REGION}:{account}:cluster/prod-eks",
    }


def sensitive_reads(account: str) -> dict[str, str]:
    """A sample of reads that expose data or credentials."""
    return {
        "s3:GetObject": "arn:aws:s3:::inventory-data/report.csv",
        "secretsmanager:GetSecretValue": f"arn:aws:secretsmanager:{REGION}:{account}:secret:db-password-AbCdEf",
        "ssm:GetParameter": f"arn:aws:ssm:{REGION}:{account}:parameter/db/password",
        "ec2:GetPasswordData": f"arn:aws:ec2:{REGION}:{account}:instance/i-0123456789abcdef0",
        "ecr:GetAuthorizationToken": "*",
        "lambda:GetFunction": f"arn:aws:lambda:{REGION}:{account}:function:billing",
        "macie2:GetSensitiveDataOccurrences": "*",
        "dynamodb:GetItem": f"arn:aws:dynamodb:{REGION}:{account}:table/users",
        "sqs:ReceiveMessage": f"arn:aws:sqs:{REGION}:{account}:jobs",
    }


def assume_role_scenarios(model: StackModel) -> list[Scenario]:
    user = model.user_arn
    without_grant = tuple(doc for doc in model.user_documents if not grants(doc, "sts:AssumeRole"))
    other_principal = f"arn:aws:iam::{model.home_account}:user/Someone-Else"
    scenarios = []

    def assume(role: Role, principal: str = user, **changes: Any) -> Request:
        context = {"sts:ExternalId": role.external_id} if role.external_id else {}
        base = Request(principal, "sts:AssumeRole", role.arn, role.account, model.user_documents, role.trust, context)
        return replace(base, **changes)

    def add(kind: Kind, description: str, expected: Expected, *requests: Request) -> None:
        scenarios.append(Scenario(model.stack, kind, description, expected, requests))

    for role in model.roles:
        named = role.arn
        id_text = "with its external ID" if role.external_id else "(no external ID configured)"
        add("assume-allowed", f"user assumes {named} {id_text}", "Allowed", assume(role))
        if role.external_id:
            add(
                "assume-denied",
                f"user assumes {named} with a wrong external ID",
                "Denied",
                assume(role, context={"sts:ExternalId": f"{role.external_id}-wrong"}),
            )
            add("assume-denied", f"user assumes {named} without an external ID", "Denied", assume(role, context={}))
            add(
                "control",
                f"control: trust of {named} without its ExternalId condition, no ID",
                "Allowed",
                assume(role, resource_policy=without_conditions(role.trust), context={}),
            )
        add(
            "assume-denied",
            f"{other_principal} (same policies) assumes {named}",
            "Denied",
            assume(role, principal=other_principal),
        )
        add(
            "assume-denied",
            f"user without its assume-role grant assumes {named}",
            "Denied",
            assume(role, identity_policies=without_grant),
        )
        add(
            "control",
            f"control: a trust of {named} naming the account root lets {other_principal} in",
            "Allowed",
            assume(role, principal=other_principal, resource_policy=trusting(role.trust, f"{model.home_account}:root")),
        )
    if model.roles:
        role = model.roles[0]
        outside = f"arn:aws:iam::{OUTSIDE_ACCOUNT}:role/{role.name}"
        add(
            "assume-denied",
            f"user assumes {outside} (outside the stack; trusts the user)",
            "Denied",
            assume(role, resource=outside, resource_account=OUTSIDE_ACCOUNT),
        )
        every_account = grant_assume_role(f"arn:aws:iam::*:role/{role.name}")
        add(
            "control",
            f"control: with a grant on arn:aws:iam::*:role/{role.name}, the user assumes {outside}",
            "Allowed",
            assume(
                role,
                resource=outside,
                resource_account=OUTSIDE_ACCOUNT,
                identity_policies=(*model.user_documents, every_account),
            ),
        )
    return scenarios


@dataclass(frozen=True)
class Session:
    """Who the adapter is in one account: the user in its own, each role's session in the role's."""

    label: str
    account: str
    principal: str
    documents: tuple[Document, ...]

    def requests(self, actions: Mapping[str, str], extra: tuple[Document, ...] = ()) -> tuple[Request, ...]:
        policies = (*self.documents, *extra)
        return tuple(Request(self.principal, action, arn, self.account, policies) for action, arn in actions.items())


def sessions(model: StackModel) -> list[Session]:
    return [Session("user", model.home_account, model.user_arn, model.user_documents)] + [
        Session(
            "role session",
            role.account,
            f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{SESSION_NAME}",
            role.documents,
        )
        for role in model.roles
    ]


def session_scenarios(model: StackModel) -> list[Scenario]:
    scenarios = []
    every = dict.fromkeys(model.actions, "*")
    for session in sessions(model):
        where = f"{session.label} in {session.account}"
        sample_writes, sample_reads = writes(session.account), sensitive_reads(session.account)
        ec2_samples = {
            action: arn for action, arn in (*sample_writes.items(), *sample_reads.items()) if action.startswith("ec2:")
        }
        scenarios += [
            Scenario(
                model.stack,
                "session-allowed",
                f"{where}: each of the {len(every)} selected actions",
                "Allowed",
                session.requests(every),
            ),
            Scenario(
                model.stack,
                "session-denied",
                f"{where}: {len(sample_writes)} writes ({', '.join(sample_writes)})",
                "Denied",
                session.requests(sample_writes),
            ),
            Scenario(
                model.stack,
                "session-denied",
                f"{where}: {len(sample_reads)} sensitive reads ({', '.join(sample_reads)})",
                "Denied",
                session.requests(sample_reads),
            ),
            Scenario(
                model.stack,
                "control",
                f"control: {where} with an extra ec2:* policy: the ec2 samples above ({', '.join(ec2_samples)})",
                "Allowed",
                session.requests(ec2_samples, (EC2_STAR,)),
            ),
        ]
    return scenarios


def scenarios_of(models: Iterable[StackModel]) -> list[Scenario]:
    return [scenario for model in models for scenario in (*assume_role_scenarios(model), *session_scenarios(model))]


# ---- the evaluator -------------------------------------------------------------------------------------


def evaluate(scenarios: Sequence[Scenario]) -> dict[tuple[int, int], Verdict]:
    """Every request of every scenario in one node process; keys are (scenario index, request index)."""
    if not (NODE_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise RuntimeError("the IAM evaluator is not installed: run `make setup` (npm ci --prefix tests/node)")
    wire = [
        request.wire(f"{s}/{r}") for s, scenario in enumerate(scenarios) for r, request in enumerate(scenario.requests)
    ]
    verdicts = {}
    for answer in json.loads(run(["node", str(SIMULATE)], NODE_DIR, json.dumps(wire))):
        scenario, request = answer["id"].split("/")
        verdicts[int(scenario), int(request)] = Verdict(answer["result"], answer["detail"])
    return verdicts


@dataclass(frozen=True)
class Judged:
    scenario: Scenario
    verdicts: tuple[Verdict, ...]

    def mismatches(self, tolerated: frozenset[str] = frozenset()) -> list[str]:
        """`action: outcome (detail)` for each request judged otherwise than expected, except tolerated actions."""
        return [
            f"{request.action}: {verdict.outcome} ({verdict.detail})"
            for request, verdict in zip(self.scenario.requests, self.verdicts, strict=True)
            if verdict.outcome != self.scenario.expected and request.action not in tolerated
        ]

    def summary(self) -> str:
        outcomes: dict[str, int] = {}
        for verdict in self.verdicts:
            outcomes[verdict.outcome] = outcomes.get(verdict.outcome, 0) + 1
        if len(self.verdicts) == 1:
            return next(iter(outcomes))
        return ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items()))


def judge(scenarios: Sequence[Scenario]) -> list[Judged]:
    verdicts = evaluate(scenarios)
    return [
        Judged(scenario, tuple(verdicts[s, r] for r in range(len(scenario.requests))))
        for s, scenario in enumerate(scenarios)
    ]


def table(judged: Iterable[Judged]) -> str:
    rows = ["| stack | scenario | expected | verdict |", "|---|---|---|---|"]
    rows += [
        f"| {j.scenario.stack} | {j.scenario.description} | {j.scenario.expected} | {j.summary()} |" for j in judged
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(judge(scenarios_of(stack_models()))))
