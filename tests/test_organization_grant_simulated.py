"""The org-scoped grant and the template's trust evaluated together by an independent IAM evaluator.

@cloud-copilot/iam-simulate (test-only, AGPL, never shipped) is driven through tests/node/simulate.mjs, the
harness the proofs suite adds; without it in the tree (node_modules installed) these tests skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from components.organization_template import organization_assume_role_document
from components.policy_documents import trust_document
from tests.conftest import PROJECT_DIR

HARNESS = PROJECT_DIR / "tests" / "node" / "simulate.mjs"
pytestmark = pytest.mark.skipif(
    not (HARNESS.exists() and (HARNESS.parent / "node_modules").exists() and shutil.which("node")),
    reason="the iam-simulate harness (tests/node) is not installed in this tree",
)
USER = "arn:aws:iam::111111111111:user/Axonius-Readonly"
ORGANIZATION = "o-exampleorg1"
IN_PRODUCTION = f"{ORGANIZATION}/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"
CONTEXT = {"aws:ResourceOrgID": ORGANIZATION, "aws:ResourceOrgPaths": [IN_PRODUCTION], "sts:ExternalId": "ORG-ID"}


def request(name: str, context: dict, role: str = "Axonius-Readonly-Role") -> dict:
    return {
        "id": name,
        "principal": USER,
        "action": "sts:AssumeRole",
        "resource": f"arn:aws:iam::333333333333:role/{role}",
        "resourceAccount": "333333333333",
        "identityPolicies": [
            organization_assume_role_document("aws", "Axonius-Readonly-Role", ORGANIZATION, ["ou-ab12-11111111"])
        ],
        "resourcePolicy": trust_document(USER, "AIDAEXAMPLE", "ORG-ID"),
        "context": context,
    }


def verdicts(requests: list[dict]) -> dict[str, str]:
    done = subprocess.run(
        ["node", str(HARNESS)], input=json.dumps(requests), capture_output=True, text=True, check=True
    )
    return {verdict["id"]: verdict["result"] for verdict in json.loads(done.stdout)}


def without(*keys: str) -> dict:
    return {key: value for key, value in CONTEXT.items() if key not in keys}


def test_the_grant_reaches_the_role_only_inside_the_targeted_ous_with_the_external_id():
    found = verdicts(
        [
            request("nested OU of a target", CONTEXT),
            request("another organization", {**CONTEXT, "aws:ResourceOrgID": "o-otherorg12"}),
            request("account in no organization", without("aws:ResourceOrgID", "aws:ResourceOrgPaths")),
            request(
                "OU not targeted", {**CONTEXT, "aws:ResourceOrgPaths": [f"{ORGANIZATION}/r-ab12/ou-ab12-33333333/"]}
            ),
            request("wrong external ID", {**CONTEXT, "sts:ExternalId": "WRONG"}),
            request("no external ID", without("sts:ExternalId")),
            request("another role name", CONTEXT, role="OrganizationAccountAccessRole"),
        ]
    )
    assert found.pop("nested OU of a target") == "Allowed"
    assert set(found.values()) == {"ImplicitlyDenied"}, found
