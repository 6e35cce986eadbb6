"""preview, up, destroy and refresh through the Pulumi Automation API, with the policy pack attached.

The Pulumi CLI does the work; this module picks the project, the stack config in `stacks/`, the
backend and the policy pack, and turns the engine's events into a plain result.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pulumi import automation as auto

from components.stack_config import ConfigError

from .deploying_account import DeployingAccountError
from .display import finding_lines, one_line, output_value
from .pack_client import PolicyPackError, Violation, deploying_user_arn, mandatory, stack_pack_config
from .project import POLICY_CONFIG, PROJECT_DIR
from .stack_file import StackFileError, StackSettings, read_stack_settings, stack_file

Operation = Literal["preview", "up", "destroy", "refresh"]
OPERATIONS: tuple[Operation, ...] = get_args(Operation)
PACK_OPERATIONS: tuple[Operation, ...] = ("preview", "up")  # the operations the engine runs a policy pack in
STATE_DIR = ".pulumi-state"
INSTALL_HINT = (
    "the Pulumi CLI is not installed or not on PATH. Install it (https://www.pulumi.com/docs/install/, "
    "e.g. `curl -fsSL https://get.pulumi.com | sh`) to preview or deploy; "
    "`python -m automation plan --stack <name>` works offline without it."
)
CONFIG_ERROR_MARK = "invalid configuration for stack"


class PulumiCliMissingError(RuntimeError):
    """No usable Pulumi CLI: none on PATH, or the one found cannot be run (`problem` says why)."""

    def __init__(self, problem: str | None = None) -> None:
        super().__init__(
            f"the Pulumi CLI on PATH cannot be run ({problem}): check the folders on PATH and that `pulumi` is "
            "executable; `python -m automation plan --stack <name>` works offline without it"
            if problem
            else INSTALL_HINT
        )


class StackFileMissingError(RuntimeError):
    """No stack file: the stack would run on empty config, i.e. the default user and a key nobody asked for."""

    def __init__(self, stack: str, path: Path) -> None:
        super().__init__(
            f"no stack file for stack {stack!r}: {path} does not exist. Check the stack name; to run a new stack "
            "on the empty configuration (the default user and an access key), pass --create"
        )


class StateDirectoryError(RuntimeError):
    """The default file backend's folder cannot be made (a read-only checkout, say)."""

    def __init__(self, state: Path, error: OSError) -> None:
        super().__init__(
            f"cannot create the state folder {state}: {error.strerror}; point Pulumi at a backend you can write "
            "(PULUMI_BACKEND_URL=file:///a/writable/folder, s3://bucket, or `pulumi login`)"
        )


@dataclass(frozen=True)
class OperationResult:
    operation: Operation
    stack: str
    succeeded: bool
    change_summary: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    violations: tuple[Violation, ...] = ()
    message: str = ""
    config_error: bool = False

    @property
    def mandatory_violations(self) -> tuple[Violation, ...]:
        return mandatory(self.violations)

    @property
    def exit_code(self) -> int:
        if self.config_error:
            return 2
        return 0 if self.succeeded and not self.mandatory_violations else 1


def backend_environment(project_dir: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """A file backend in the project, unless PULUMI_BACKEND_URL or a `pulumi login` says otherwise."""
    if environ.get("PULUMI_BACKEND_URL"):
        return {}
    home = Path(environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    credentials = home / "credentials.json"
    try:
        if json.loads(credentials.read_text()).get("current"):
            return {}
    except (OSError, ValueError):
        pass
    state = project_dir / STATE_DIR
    try:
        state.mkdir(exist_ok=True)
    except OSError as error:
        raise StateDirectoryError(state, error) from None
    return {"PULUMI_BACKEND_URL": state.as_uri()}


def workspace(
    project_dir: Path = PROJECT_DIR,
    command: auto.PulumiCommand | None = None,
) -> auto.LocalWorkspace:
    """The project's workspace; every config read and write goes through the CLI, which honours `stackConfigDir`.

    LocalWorkspace's own `stack_settings()` / `save_stack_settings()` ignore `stackConfigDir` (they use
    `Pulumi.<stack>.yaml` beside Pulumi.yaml: pulumi/pulumi#10305, open), but the SDK calls them only when a
    workspace is built with `stack_settings=`, which this one never is; we read stack files ourselves
    (`stack_settings` below).
    """
    env = backend_environment(project_dir, os.environ)
    return auto.LocalWorkspace(work_dir=str(project_dir), env_vars=env, pulumi_command=pulumi_command(command))


def pulumi_command(command: auto.PulumiCommand | None = None) -> auto.PulumiCommand:
    """`command`, else the Pulumi CLI on PATH (`PulumiCliMissingError` without one)."""
    try:
        return command or auto.PulumiCommand()
    except FileNotFoundError as error:
        raise PulumiCliMissingError() from error
    except OSError as error:  # e.g. a folder on PATH, or a `pulumi` in one, this user may not execute
        raise PulumiCliMissingError(f"{error.strerror}: {error.filename or 'pulumi'}") from error
    except subprocess.CalledProcessError as error:
        raise PulumiCliMissingError(f"`pulumi version` exited {error.returncode}") from error


def policy_event(event: auto.EngineEvent) -> Violation | None:
    found = event.policy_event
    if found is None:
        return None
    return Violation(
        policy=found.policy_name,
        level=found.enforcement_level,
        urn=found.resource_urn or "",
        message=found.message,
    )


def stack_settings(project_dir: Path, stack: str) -> StackSettings:
    """The stack's settings file in `stacks/` (none yet: an empty config, as the CLI sees a new stack)."""
    path = stack_file(project_dir, stack)
    return read_stack_settings(path) if path.exists() else StackSettings(config={}, secret_keys=[])


def write_pack_config(
    project_dir: Path, stack: str, config_file: Path, directory: Path, home_account: str | None = None
) -> Path:
    """The per-stack policy config (see `stack_pack_config`) as a file for `--policy-pack-config`, trusting the
    user's exact ARN in `home_account`, else in the deploying credentials' account."""
    settings = stack_settings(project_dir, stack)
    config = stack_pack_config(config_file, settings, deploying_user_arn(settings, home_account))
    path = directory / "policy-config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


def run_operation(
    operation: Operation,
    stack: str,
    *,
    project_dir: Path = PROJECT_DIR,
    policy_packs: list[Path] | None = None,
    policy_pack_config: Path | None = None,
    show_secrets: bool = False,
    on_output: Callable[[str], None] | None = None,
    command: auto.PulumiCommand | None = None,
    create: bool = False,
    home_account: str | None = None,
) -> OperationResult:
    """Run one operation on `stack`; the policy pack and its config are attached to preview and up.

    The stack's settings file must exist unless `create`: a mistyped stack name must not deploy defaults.
    The pack trusts the user's exact ARN: in `home_account` when given, else in the account STS names for the
    deploying credentials.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}, not {operation!r}")
    path = stack_file(project_dir, stack)
    if not create and not path.exists():
        raise StackFileMissingError(stack, path)
    command = pulumi_command(command)  # no CLI is said first: nothing else can help then
    packs = [str(p) for p in (policy_packs if policy_packs is not None else [project_dir / "policy_pack"])]
    if operation not in PACK_OPERATIONS or not packs:
        return _run(operation, stack, project_dir, packs, [], show_secrets, on_output, command)
    with tempfile.TemporaryDirectory(prefix="axonius-pack-config-") as scratch:
        config_file = policy_pack_config or project_dir / POLICY_CONFIG
        try:
            config = write_pack_config(project_dir, stack, config_file, Path(scratch), home_account)
        except (ConfigError, PolicyPackError, StackFileError, DeployingAccountError) as error:
            return OperationResult(operation, stack, succeeded=False, message=str(error), config_error=True)
        return _run(operation, stack, project_dir, packs, [str(config)], show_secrets, on_output, command)


def _run(
    operation: Operation,
    stack: str,
    project_dir: Path,
    packs: list[str],
    pack_configs: list[str],
    show_secrets: bool,
    on_output: Callable[[str], None] | None,
    command: auto.PulumiCommand | None,
) -> OperationResult:
    ws = workspace(project_dir, command)
    target = auto.Stack.create_or_select(stack, ws)
    violations: list[Violation] = []

    def on_event(event: auto.EngineEvent) -> None:
        if (violation := policy_event(event)) is not None:
            violations.append(violation)

    summary: auto.OpMap | None
    outputs: dict[str, Any] = {}
    try:
        if operation == "preview":
            summary = target.preview(
                diff=True, policy_packs=packs, policy_pack_configs=pack_configs, on_output=on_output, on_event=on_event
            ).change_summary
        elif operation == "up":
            result = target.up(
                diff=True, policy_packs=packs, policy_pack_configs=pack_configs, on_output=on_output, on_event=on_event
            )
            summary = result.summary.resource_changes
            outputs = {name: output_value(value, show_secrets) for name, value in result.outputs.items()}
        elif operation == "destroy":
            summary = target.destroy(on_output=on_output, on_event=on_event).summary.resource_changes
        else:
            summary = target.refresh(on_output=on_output, on_event=on_event).summary.resource_changes
    except auto.errors.CommandError as error:
        text = str(error)
        return OperationResult(
            operation,
            stack,
            succeeded=False,
            violations=tuple(violations),
            message=text,
            config_error=CONFIG_ERROR_MARK in text,
        )
    return OperationResult(operation, stack, True, _counts(summary), outputs, tuple(violations))


def _counts(changes: auto.OpMap | None) -> dict[str, int]:
    """Resources by operation name: the SDK types the names as OpType, the engine's JSON gives plain strings."""
    return {op.value if isinstance(op, auto.OpType) else op: count for op, count in (changes or {}).items()}


def preview(stack: str, **options: Any) -> OperationResult:
    return run_operation("preview", stack, **options)


def up(stack: str, **options: Any) -> OperationResult:
    return run_operation("up", stack, **options)


def destroy(stack: str, **options: Any) -> OperationResult:
    return run_operation("destroy", stack, **options)


def refresh(stack: str, **options: Any) -> OperationResult:
    return run_operation("refresh", stack, **options)


def render_result(result: OperationResult) -> str:
    status = "succeeded" if result.succeeded else "failed"
    lines = [f"{result.operation} of stack {result.stack} {status}"]
    if result.change_summary:
        changes = ", ".join(f"{count} {op}" for op, count in sorted(result.change_summary.items()))
        lines.append(f"  changes: {changes}")
    for name, value in sorted(result.outputs.items()):
        lines.append(f"  {name}: {one_line(value)}")
    lines.append(f"  policy pack: {len(result.violations)} finding(s), {len(result.mandatory_violations)} mandatory")
    lines.extend(finding_lines(result.violations, "    "))
    if result.message and not result.succeeded:
        lines.append(f"  error: {result.message.strip()}")
    return "\n".join(lines)
