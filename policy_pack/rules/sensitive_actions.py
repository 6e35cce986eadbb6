"""Reads that expose data or credentials rather than inventory.

AWS labels these ``Read``, so they pass the read-only rule; the pack reports them (advisory by default)
and the program's permission sets leave them out. Patterns use IAM's matching.
"""

from __future__ import annotations

from functools import cache

from .iam_actions import ActionCatalog

SENSITIVE_READ_PATTERNS: tuple[str, ...] = (
    # object, item and record contents
    "s3:GetObject",
    "s3:GetObjectVersion",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "kinesis:GetRecords",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "athena:GetQueryResults",
    "codecommit:GetFile",
    "codecommit:GetBlob",
    "macie2:GetSensitiveDataOccurrences",
    # secrets, passwords and credentials
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter*",
    "ec2:GetPasswordData",
    "ec2:GetConsoleOutput",
    "ecr:GetAuthorizationToken",
    "ecr-public:GetAuthorizationToken",
    "codeartifact:GetAuthorizationToken",
    "lightsail:GetInstanceAccessDetails",
    "glue:GetConnection",
    "glue:GetConnections",
    "sts:GetSessionToken",
    "sts:GetFederationToken",
    # code and environment variables
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


@cache
def sensitive_actions(catalog: ActionCatalog) -> frozenset[str]:
    """Canonical names of every action the sensitive patterns match."""
    return frozenset(action.name for pattern in SENSITIVE_READ_PATTERNS for action in catalog.expand(pattern))
