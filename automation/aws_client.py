"""AWS clients as every command makes them: bounded timeouts, botocore's standard retries, and a plain answer
when the endpoint cannot be reached at all.

Endpoints come from the environment as boto3 reads it (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), so an
emulator or a VPC endpoint is honoured; only the network behaviour is fixed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.config import Config
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

# Errors that mean "nothing answered at this endpoint", as opposed to an answer saying no.
UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)


@dataclass(frozen=True)
class Timeouts:
    """Seconds to connect and to wait for an answer, per attempt, and attempts in all (first try included)."""

    connect: float = 5.0
    read: float = 20.0
    attempts: int = 3

    def config(self) -> Config:
        return Config(
            connect_timeout=self.connect,
            read_timeout=self.read,
            retries={"mode": "standard", "total_max_attempts": self.attempts},
        )


DEFAULT_TIMEOUTS = Timeouts()


def unreachable_message(service: str, endpoint: str, error: Exception) -> str:
    """One line for an endpoint that did not answer: where, and what happened."""
    return f"cannot reach AWS {service} at {endpoint}: {error}"
