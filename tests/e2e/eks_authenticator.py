"""The EKS side of a token, for tests: what aws-iam-authenticator does with STS, done against moto in-process.

EKS hands the presigned `sts:GetCallerIdentity` URL inside the token to STS, which checks the signature and
answers who signed it. moto's server does not accept query-string (presigned) signatures, so this module
checks the SigV4 query signature itself with botocore, using the secret moto holds for that access key, and
answers the caller's ARN, with an assumed-role session turned into its role's ARN as the authenticator does.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from botocore.auth import SIGV4_TIMESTAMP, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from moto.iam.access_control import CreateAccessKeyFailure, create_access_key
from moto.iam.models import get_account_id_from

from components.eks_token import CLUSTER_HEADER, TOKEN_PREFIX, URL_LIFETIME_SECONDS


def presigned_url(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    encoded = token.removeprefix(TOKEN_PREFIX)
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return None


def caller_arn(token: str, cluster_name: str) -> str | None:
    """The IAM identity that signed `token` for `cluster_name`, or None when it is not a valid token for it."""
    url = presigned_url(token)
    if url is None:
        return None
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    signed_headers = query.get("X-Amz-SignedHeaders", "").split(";")
    if query.get("Action") != "GetCallerIdentity" or CLUSTER_HEADER not in signed_headers:
        return None
    key_id, _, region, service, _ = query.get("X-Amz-Credential", "////").split("/")
    headers = {"X-Amz-Security-Token": query["X-Amz-Security-Token"]} if "X-Amz-Security-Token" in query else {}
    try:
        key = create_access_key(get_account_id_from(key_id), "aws", key_id, headers)
    except CreateAccessKeyFailure:
        return None
    signed_at = datetime.strptime(query.get("X-Amz-Date", ""), SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    if datetime.now(UTC) > signed_at + timedelta(seconds=int(query.get("X-Amz-Expires", "0"))):
        return None  # expired, as STS would answer
    unsigned = [(name, value) for name, value in parse_qsl(parts.query) if name != "X-Amz-Signature"]
    request = AWSRequest(
        method="GET",
        url=f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(unsigned)}",
        headers={"host": parts.netloc, CLUSTER_HEADER: cluster_name},
    )
    request.context["timestamp"] = query["X-Amz-Date"]
    # The signature for the token's own time and query (add_auth would sign anew for the current time).
    signer = SigV4QueryAuth(key.create_credentials(), service, region, expires=URL_LIFETIME_SECONDS)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if expected != query.get("X-Amz-Signature"):
        return None
    return iam_identity(key.arn)


def iam_identity(arn: str) -> str:
    """`arn:aws:sts::A:assumed-role/R/session` is role R of A to EKS; a user is itself."""
    prefix, _, resource = arn.partition(":assumed-role/")
    if not resource:
        return arn
    return f"{prefix.replace(':sts::', ':iam::')}:role/{resource.split('/')[0]}"


def authenticator(cluster_name: str, groups_of: dict[str, list[str]]) -> Callable[[str], list[str] | None]:
    """Token to the Kubernetes groups of its identity (as an access entry or aws-auth maps it), None if unknown."""

    def authenticate(token: str) -> list[str] | None:
        arn = caller_arn(token, cluster_name)
        return None if arn is None or arn not in groups_of else groups_of[arn]

    return authenticate
