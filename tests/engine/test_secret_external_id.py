"""A `secure:` external ID, set with `pulumi config set --secret` as the README says: it reaches the role's trust
policy in the member account, and the role file output that carries it stays secret."""

from __future__ import annotations

import json

from .harness import Engine, account_session

EXTERNAL_ID = "engine-suite-external-id-7f3a"
MEMBER = "222222222222"
ROLE = "Axonius-Readonly-Dev-Role"


def test_a_secret_external_id_reaches_the_trust_policy_and_stays_secret(engine: Engine) -> None:
    engine.pulumi("stack", "select", "dev", "--create")
    key = "axonius-aws-access:roles.accounts[0].externalId"
    engine.pulumi("config", "set", "--secret", "--path", key, EXTERNAL_ID, "-s", "dev")
    stack_file = (engine.project / "stacks" / "Pulumi.dev.yaml").read_text()
    assert "secure:" in stack_file and EXTERNAL_ID not in stack_file

    engine.pulumi("up", "-s", "dev", "--yes", *engine.with_pack("dev"))
    try:
        iam = account_session(engine.cloud, MEMBER).client("iam", endpoint_url=engine.cloud.endpoint)
        trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
        conditions = [statement.get("Condition", {}) for statement in trust["Statement"]]
        assert {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}} in conditions, trust

        hidden = engine.pulumi("stack", "output", "-s", "dev", "roleArnFileJson").stdout
        assert EXTERNAL_ID not in hidden and "secret" in hidden
        shown = json.loads(engine.pulumi("stack", "output", "-s", "dev", "roleArnFileJson", "--show-secrets").stdout)
        assert shown == [{"arn": f"arn:aws:iam::{MEMBER}:role/{ROLE}", "external_id": EXTERNAL_ID}]
        assert EXTERNAL_ID not in engine.pulumi("stack", "export", "-s", "dev").stdout  # encrypted in the state
    finally:
        engine.pulumi("destroy", "-s", "dev", "--yes")
