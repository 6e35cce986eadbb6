"""python -m automation plan|pack-config|deployer-policy|preview|up|destroy|refresh|verify|adopt --stack NAME
(see README.md).

Exit codes: 0 fine; 1 failed or a mandatory policy violation; 2 usage, configuration or no Pulumi CLI.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from components.policy_documents import MAX_POLICY_CHARS
from components.stack_config import ACCOUNT_ID, IAM_NAME, IAM_NAME_TEXT, ConfigError

from .adopt import add_adopt_command, run_adopt
from .deployer_policy import DeployerPolicyError, deployer_policy
from .mock_engine import DEFAULT_HOME_ACCOUNT
from .operations import (
    OPERATIONS,
    PulumiCliMissingError,
    StackFileMissingError,
    render_result,
    run_operation,
    stack_settings,
)
from .pack_client import PolicyPackError, stack_pack_config
from .plan import PlanError, plan, render_text, to_json
from .project import POLICY_CONFIG, PROJECT_DIR
from .stack_file import StackFileError
from .verify import add_verify_command, run_verify


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m automation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True)
    plan_command = commands.add_parser("plan", help="run the program offline on the mock engine, with the pack")
    plan_command.add_argument("--stack", required=True, help="stack name: reads stacks/Pulumi.<stack>.yaml")
    plan_command.add_argument("--config-file", type=Path, help="read this stack file instead")
    plan_command.add_argument("--json", action="store_true", help="print one JSON object")
    plan_command.add_argument("--role-file", type=Path, help="write the adapter's JSON role file here")
    plan_command.add_argument("--show-secrets", action="store_true", help="print secret values")
    plan_command.add_argument(
        "--organization", type=Path, help="answer AWS Organizations calls from this JSON file (organization mode)"
    )
    plan_command.add_argument(
        "--policy-pack-config", type=Path, help="policy config file (JSON); default policy_pack/policy-config.json"
    )
    plan_command.add_argument(
        "--home-account", default=DEFAULT_HOME_ACCOUNT, help="account ID the mocked credentials belong to"
    )
    pack_config = commands.add_parser(
        "pack-config", help="print the policy config preview and up give the pack for a stack (for plain pulumi)"
    )
    pack_config.add_argument("--stack", required=True, help="stack name: reads stacks/Pulumi.<stack>.yaml")
    pack_config.add_argument("--policy-pack-config", type=Path, help="policy config file (JSON) to start from")
    add_deployer_policy_command(commands)
    for operation in OPERATIONS:
        command = commands.add_parser(operation, help=f"pulumi {operation} through the Automation API (needs the CLI)")
        command.add_argument("--stack", required=True, help="stack name, e.g. dev or org/project/dev")
        command.add_argument("--show-secrets", action="store_true", help="print secret outputs")
        command.add_argument("--no-policy-pack", action="store_true", help="do not attach the policy pack")
        command.add_argument("--policy-pack-config", type=Path, help="policy config file (JSON)")
        command.add_argument(
            "--create", action="store_true", help="run even if stacks/Pulumi.<stack>.yaml does not exist yet"
        )
    add_verify_command(commands)
    add_adopt_command(commands)
    return root


def matching(pattern: str, accepted: str) -> Callable[[str], str]:
    """An argparse type: the value if it matches `pattern`, else a usage error saying what is accepted."""

    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise argparse.ArgumentTypeError(f"{value!r} is not accepted; expected {accepted}")
        return value

    return check


def add_deployer_policy_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "deployer-policy", help="print the least-privilege IAM policy the deploy role needs for a stack"
    )
    command.add_argument("--stack", required=True, help="stack name: reads stacks/Pulumi.<stack>.yaml")
    command.add_argument("--config-file", type=Path, help="read this stack file instead")
    command.add_argument(
        "--home-account",
        required=True,
        type=matching(ACCOUNT_ID, "a 12-digit account ID"),
        help="account ID of the deploying credentials (where the user lives)",
    )
    command.add_argument(
        "--preview-role",
        metavar="NAME",
        type=matching(IAM_NAME, IAM_NAME_TEXT),
        help="print the read-only policy for pull-request previews, which assume role NAME in member accounts",
    )


def run_deployer_policy(args: argparse.Namespace) -> int:
    try:
        result = plan(args.stack, config_file=args.config_file, home_account=args.home_account, policies=False)
        document = deployer_policy(result, preview_role=args.preview_role)
    except (PlanError, DeployerPolicyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    size = len(json.dumps(document, separators=(",", ":")))
    if size > MAX_POLICY_CHARS:
        print(
            f"note: {size:,} characters, more than a managed policy holds ({MAX_POLICY_CHARS:,}); "
            "split its statements over several policies",
            file=sys.stderr,
        )
    print(json.dumps(document, indent=2))
    return 0


def write_role_file(path: Path, content: str) -> None:
    try:
        path.write_text(content + "\n")
    except OSError as error:
        raise PlanError(f"cannot write the role file {path}: {error.strerror}") from None


def run_plan(args: argparse.Namespace) -> int:
    try:
        result = plan(
            args.stack,
            config_file=args.config_file,
            home_account=args.home_account,
            organization_file=args.organization,
            policy_pack_config=args.policy_pack_config,
        )
        if args.role_file:
            write_role_file(args.role_file, result.role_file())
    except PlanError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(to_json(result, args.show_secrets), indent=2))
    else:
        print(render_text(result, args.show_secrets))
        if args.role_file:
            print(f"\nRole file written to {args.role_file}")
    return result.exit_code


def run_deployment(args: argparse.Namespace) -> int:
    try:
        result = run_operation(
            args.command,
            args.stack,
            policy_packs=[] if args.no_policy_pack else None,
            policy_pack_config=args.policy_pack_config,
            show_secrets=args.show_secrets,
            on_output=lambda line: print(line, end="" if line.endswith("\n") else "\n", flush=True),
            create=args.create,
        )
    except (PulumiCliMissingError, StackFileMissingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render_result(result), file=sys.stdout if result.exit_code == 0 else sys.stderr)
    return result.exit_code


def run_pack_config(args: argparse.Namespace) -> int:
    try:
        settings = stack_settings(PROJECT_DIR, args.stack)
        config = stack_pack_config(args.policy_pack_config or PROJECT_DIR / POLICY_CONFIG, settings)
    except (ConfigError, PolicyPackError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(config, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handlers = {
        "plan": run_plan,
        "pack-config": run_pack_config,
        "deployer-policy": run_deployer_policy,
        "verify": run_verify,
        "adopt": run_adopt,
    }
    return handlers.get(args.command, run_deployment)(args)


if __name__ == "__main__":
    sys.exit(main())
