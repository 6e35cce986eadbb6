"""EKS bearer tokens, as `aws eks get-token` makes them: a presigned STS GetCallerIdentity URL.

The URL is signed for the cluster (header `x-k8s-aws-id`), valid 60 seconds, base64url-encoded
without padding behind `k8s-aws-v1.`. No shelling out: botocore signs it.
"""

from __future__ import annotations

import base64

import botocore.session
from botocore.credentials import Credentials
from botocore.signers import RequestSigner

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
URL_LIFETIME_SECONDS = 60


def assumed_credentials(session: botocore.session.Session, role_arn: str, region: str) -> Credentials:
    """Credentials for `role_arn`, assumed with the session's own."""
    sts = session.create_client("sts", region_name=region)
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName="axonius-aws-access-aws-auth")["Credentials"]
    return Credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])


def eks_token(
    cluster_name: str,
    region: str,
    role_arn: str | None = None,
    session: botocore.session.Session | None = None,
) -> str:
    session = session or botocore.session.get_session()
    credentials = assumed_credentials(session, role_arn, region) if role_arn else session.get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials found to sign an EKS token")
    sts = session.create_client("sts", region_name=region)
    signer = RequestSigner(
        sts.meta.service_model.service_id, region, "sts", "v4", credentials, session.get_component("event_emitter")
    )
    url = signer.generate_presigned_url(
        {
            "method": "GET",
            "url": f"https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
            "body": {},
            "headers": {CLUSTER_HEADER: cluster_name},
            "context": {},
        },
        region_name=region,
        expires_in=URL_LIFETIME_SECONDS,
        operation_name="",
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
