"""Run the program as users do: offline `plan`, and the Pulumi CLI's preview/up/destroy/refresh.

`from automation import plan, preview, up, destroy, refresh` gives the functions. `plan` raises `PlanError`
(bad config or stack file) and returns a `PlanResult`; the others raise `PulumiCliMissingError` without the
CLI and return an `OperationResult`.
"""

from .operations import (
    OperationResult,
    PulumiCliMissingError,
    StackFileMissingError,
    StateDirectoryError,
    destroy,
    preview,
    refresh,
    up,
)
from .plan import PlanError, PlanResult, plan

__all__ = [
    "OperationResult",
    "PlanError",
    "PlanResult",
    "PulumiCliMissingError",
    "StackFileMissingError",
    "StateDirectoryError",
    "destroy",
    "plan",
    "preview",
    "refresh",
    "up",
]
