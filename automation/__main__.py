"""python -m automation plan|pack-config|deployer-policy|preview|up|destroy|refresh|verify|adopt --stack NAME
(see README.md).

Exit codes: 0 fine; 1 failed or a mandatory policy violation; 2 usage, configuration or no Pulumi CLI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from components.policy_documents import MAX_POLICY_CHARS
from components.stack_config import ACCOUNT_ID, IAM_NAME, IAM_NAME_TEXT, ConfigError

from .adopt import add_adopt_command, run_adopt
from .arguments import matching, stack_name
from .deployer_policy import DeployerPolicyError, deployer_policy
from .deploying_account import DeployingAccountError
from .mock_engine import DEFAULT_HOME_ACCOUNT
from .operations import (
    OPERATIONS,
    PACK_OPERATIONS,
    PulumiCliMissingError,
    StackFileMissingError,
    StateDirectoryError,
    render_result,
    run_operation,
)
from .organization_file import OrganizationFileError, load_organization
from .pack_client import PolicyPackError, deploying_user_arn, stack_pack_config
from .plan import PlanError, plan, render_text, to_json
from .project import POLICY_CONFIG, PROJECT_DIR
from .stack_file import StackFileError, read_stack_settings, stack_file
from .verify import add_verify_command, run_verify


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line naming the option (exit 2); `--help` still shows the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def add_stack(command: argparse.ArgumentParser, help_text: str, *, config_file: bool = True) -> None:
    command.add_argument("--stack", required=True, type=stack_name, help=help_text)
    if config_file:
        command.add_argument("--config-file", type=Path, help="read this stack file instead")


def add_home_account(command: argparse.ArgumentParser, help_text: str, *, required: bool = False) -> None:
    command.add_argument(
        "--home-account", required=required, type=matching(ACCOUNT_ID, "a 12-digit account ID"), help=help_text
    )


STACK_HELP = "stack name: reads stacks/Pulumi.<stack>.yaml"
ORGANIZATION_HELP = "answer AWS Organizations calls from this JSON file (organization mode)"


def parser() -> argparse.ArgumentParser:
    root = OneLineParser(
        prog="python -m automation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True)
    plan_command = commands.add_parser("plan", help="run the program offline on the mock engine, with the pack")
    add_stack(plan_command, STACK_HELP)
    plan_command.add_argument("--json", action="store_true", help="print one JSON object")
    plan_command.add_argument("--role-file", type=Path, help="write the adapter's JSON role file here")
    plan_command.add_argument("--show-secrets", action="store_true", help="print secret values")
    plan_command.add_argument("--organization", type=Path, help=ORGANIZATION_HELP)
    plan_command.add_argument(
        "--policy-pack-config", type=Path, help="policy config file (JSON); default policy_pack/policy-config.json"
    )
    add_home_account(plan_command, f"account ID the mocked credentials belong to (default {DEFAULT_HOME_ACCOUNT})")
    pack_config = commands.add_parser(
        "pack-config", help="print the policy config preview and up give the pack for a stack (for plain pulumi)"
    )
    add_stack(pack_config, STACK_HELP)
    pack_config.add_argument("--policy-pack-config", type=Path, help="policy config file (JSON) to start from")
    add_home_account(pack_config, "the deploying account (default: ask STS with the deploying credentials)")
    add_deployer_policy_command(commands)
    for operation in OPERATIONS:
        command = commands.add_parser(operation, help=f"pulumi {operation} through the Automation API (needs the CLI)")
        add_stack(command, "stack name, e.g. dev or org/project/dev", config_file=False)
        command.add_argument("--show-secrets", action="store_true", help="print secret outputs")
        command.add_argument(
            "--create", action="store_true", help="run even if stacks/Pulumi.<stack>.yaml does not exist yet"
        )
        if operation in PACK_OPERATIONS:  # destroy and refresh run no policy pack: no options for one
            pack = command.add_mutually_exclusive_group()
            pack.add_argument("--no-policy-pack", action="store_true", help="do not attach the policy pack")
            pack.add_argument("--policy-pack-config", type=Path, help="policy config file (JSON)")
            add_home_account(command, "the deploying account (default: ask STS with the deploying credentials)")
    add_verify_command(commands)
    add_adopt_command(commands)
    return root


def add_deployer_policy_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "deployer-policy", help="print the least-privilege IAM policy the deploy role needs for a stack"
    )
    add_stack(command, STACK_HELP)
    add_home_account(command, "account ID of the deploying credentials (where the user lives)", required=True)
    command.add_argument("--organization", type=Path, help=ORGANIZATION_HELP)
    command.add_argument(
        "--preview-role",
        metavar="NAME",
        type=matching(IAM_NAME, IAM_NAME_TEXT),
        help="print the read-only policy for pull-request previews, which assume role NAME in member accounts",
    )


def run_deployer_policy(args: argparse.Namespace) -> int:
    try:
        result = plan(
            args.stack,
            config_file=args.config_file,
            home_account=args.home_account,
            organization_file=args.organization,
            policies=False,
        )
        require_region(args.stack, args.config_file)
        organization = load_organization(args.organization) if args.organization else None
        document = deployer_policy(result, preview_role=args.preview_role, organization=organization)
    except (PlanError, DeployerPolicyError, OrganizationFileError) as error:
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


def require_region(stack: str, config_file: Path | None) -> None:
    """A real preview needs `aws:region`; offline its absence would pass unnoticed. Checked after a plan, whose
    errors say more about a stack file that cannot be read."""
    if not read_stack_settings(config_file or stack_file(PROJECT_DIR, stack)).config.get("aws:region"):
        raise PlanError(
            f"stack {stack} sets no aws:region, which the AWS provider needs to preview or deploy: "
            f"`pulumi config set aws:region us-east-1 -s {stack}`"
        )


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
            home_account=args.home_account or DEFAULT_HOME_ACCOUNT,
            organization_file=args.organization,
            policy_pack_config=args.policy_pack_config,
        )
        require_region(args.stack, args.config_file)
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
    with_pack = args.command in PACK_OPERATIONS
    if with_pack and args.no_policy_pack and args.home_account:
        print(
            "error: --home-account places the pack's trusted user; with --no-policy-pack there is no pack",
            file=sys.stderr,
        )
        return 2
    try:
        result = run_operation(
            args.command,
            args.stack,
            policy_packs=[] if with_pack and args.no_policy_pack else None,
            policy_pack_config=args.policy_pack_config if with_pack else None,
            show_secrets=args.show_secrets,
            on_output=lambda line: print(line, end="" if line.endswith("\n") else "\n", flush=True),
            create=args.create,
            home_account=args.home_account if with_pack else None,
        )
    except (PulumiCliMissingError, StackFileMissingError, StateDirectoryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render_result(result), file=sys.stdout if result.exit_code == 0 else sys.stderr)
    return result.exit_code


def run_pack_config(args: argparse.Namespace) -> int:
    """What preview and up give the pack; the user's exact ARN needs the deploying account (STS, or given)."""
    path = args.config_file or stack_file(PROJECT_DIR, args.stack)
    try:
        if not path.exists():
            raise StackFileError(f"no stack file for --stack {args.stack!r}: {path} does not exist")
        settings = read_stack_settings(path)
        user_arn = deploying_user_arn(settings, args.home_account)
        config = stack_pack_config(args.policy_pack_config or PROJECT_DIR / POLICY_CONFIG, settings, user_arn)
    except (ConfigError, PolicyPackError, StackFileError, DeployingAccountError) as error:
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
