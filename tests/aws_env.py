"""The environment boto3 reads credentials and endpoints from, set for a test: moto's, or none at all."""

from __future__ import annotations

from pathlib import Path

import pytest

# moto answers GetCallerIdentity for any key with this account.
MOTO_ACCOUNT = "123456789012"
CREDENTIAL_VARIABLES = ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def use_moto(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Deploying credentials that STS at `url` (moto) accepts."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def use_no_credentials(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No credentials anywhere boto3 looks: variables, files, instance metadata."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(folder / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
