"""EKS tokens in the format `aws eks get-token` produces, signed by botocore."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import botocore.session

from components.eks_token import eks_token


def session() -> botocore.session.Session:
    made = botocore.session.Session()
    made.set_credentials("AKIAEXAMPLEEXAMPLE00", "secret-example")
    return made


def test_the_token_is_a_presigned_get_caller_identity_url_for_the_cluster():
    token = eks_token("prod-eks", "eu-west-1", session=session())
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    encoded = token.removeprefix("k8s-aws-v1.")
    url = urlsplit(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode())
    query = parse_qs(url.query)
    assert url.scheme == "https" and url.netloc == "sts.eu-west-1.amazonaws.com"
    assert query["Action"] == ["GetCallerIdentity"] and query["Version"] == ["2011-06-15"]
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]
    assert query["X-Amz-Credential"][0].startswith("AKIAEXAMPLEEXAMPLE00/")
    assert len(query["X-Amz-Signature"][0]) == 64


def test_tokens_differ_per_cluster():
    assert eks_token("a", "us-east-1", session=session()) != eks_token("b", "us-east-1", session=session())
