"""Reads that hand out credentials, data or secrets, or that act, rather than describe the inventory.

AWS labels these List or Read, so they pass the read-only rule; the pack reports them (`iam-no-sensitive-reads`,
advisory by default) and the program's permission sets leave them out, except where the README says why.
Each entry is an exact action name; a test checks that each exists in the IAM data at a List or Read level.
"""

from __future__ import annotations

from functools import cache

from .iam_actions import ActionCatalog

SENSITIVE_READS: dict[str, tuple[str, ...]] = {
    # The caller walks away with credentials or tokens for something else.
    "credential and token vending": (
        "cognito-identity:GetCredentialsForIdentity",
        "cognito-identity:GetOpenIdToken",
        "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
        "eks-auth:AssumeRoleForPodIdentity",
        "ecr:GetAuthorizationToken",
        "ecr-public:GetAuthorizationToken",
        "codeartifact:GetAuthorizationToken",
        "sts:GetSessionToken",
        "sts:GetServiceBearerToken",
        "ec2:GetPasswordData",
    ),
    # The contents of objects, items, records, messages, logs, blocks, code and images.
    "data contents": (
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectTorrent",
        "s3-object-lambda:GetObject",
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:PartiQLSelect",
        "dynamodb:GetRecords",
        "kinesis:GetRecords",
        "kinesisvideo:GetMedia",
        "kafka-cluster:ReadData",
        "timestream:Select",
        "sdb:Select",
        "sdb:GetAttributes",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
        "logs:StartLiveTail",
        "logs:GetQueryResults",
        "logs:Unmask",
        "athena:GetQueryResults",
        "athena:GetQueryResultsStream",
        "glacier:GetJobOutput",
        "ebs:GetSnapshotBlock",
        "rds:DownloadDBLogFilePortion",
        "rds:DownloadCompleteDBLogFile",
        "macie2:GetSensitiveDataOccurrences",
        "codecommit:GitPull",
        "codecommit:GetFile",
        "codecommit:GetBlob",
        "codecommit:GetFolder",
        "codeartifact:ReadFromRepository",
        "codeartifact:GetPackageVersionAsset",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "lambda:GetFunction",
        "lambda:GetLayerVersion",
        "ec2:GetConsoleOutput",
        "ec2:GetConsoleScreenshot",
        "ssm:GetCommandInvocation",
        "workdocs:GetDocument",
    ),
    # Secrets, passwords and environment variables kept in resources' configuration.
    "secrets in configuration": (
        "secretsmanager:GetSecretValue",
        "secretsmanager:BatchGetSecretValue",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "ssm:GetParameterHistory",
        "glue:GetConnection",
        "glue:GetConnections",
        "lambda:GetFunctionConfiguration",
        "ec2:DescribeInstanceAttribute",
        "apigateway:GET",
        "ecs:DescribeTaskDefinition",
        "batch:DescribeJobDefinitions",
        "codebuild:BatchGetProjects",
        "amplify:GetApp",
        "elasticbeanstalk:DescribeConfigurationSettings",
        "cloudformation:GetTemplate",
    ),
    # Reads that do something: take messages from other consumers, run a model or a query (and bill for it).
    "side effects": (
        "sqs:ReceiveMessage",
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
        "logs:StartQuery",
    ),
}

# Sensitive reads the program still grants, because the adapter cannot inventory without them: API Gateway's
# management API has one read action for every resource, apigateway:GET, API keys included.
# policy_pack/policy-config.json allows them by name (a test keeps the two in step).
KEPT_FOR_THE_ADAPTER = frozenset({"apigateway:GET"})


@cache
def sensitive_actions(catalog: ActionCatalog) -> frozenset[str]:
    """Canonical names of every catalogued action present in the IAM data."""
    return frozenset(
        found.name
        for names in SENSITIVE_READS.values()
        for name in names
        if (found := catalog.lookup(name)) is not None
    )
