"""EKS tokens for clusters in other accounts: signed with the deploy role's credentials, assumed from STS."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import botocore.session
import pytest

from components.eks_token import eks_token
from tests.e2e.moto_server import moto_server


@pytest.fixture
def sts_endpoint(monkeypatch):
    with moto_server() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
        yield


def test_a_role_arn_signs_with_the_assumed_roles_credentials(sts_endpoint):
    session = botocore.session.Session()
    session.set_credentials("AKIAHOMEACCOUNT00000", "secret")
    token = eks_token("data-eks", "eu-west-1", "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole", session)
    encoded = token.removeprefix("k8s-aws-v1.")
    query = parse_qs(urlsplit(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()).query)
    credential = query["X-Amz-Credential"][0]
    assert credential.startswith("ASIA") and not credential.startswith("AKIAHOMEACCOUNT")
    assert "X-Amz-Security-Token" in query  # a session token from AssumeRole rides along
