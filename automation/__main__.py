"""python -m automation plan|preview|up|destroy|refresh|verify --stack NAME (see README.md).

Exit codes: 0 fine; 1 failed or a mandatory policy violation; 2 usage, configuration or no Pulumi CLI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .mock_engine import DEFAULT_HOME_ACCOUNT
from .operations import OPERATIONS, PulumiCliMissingError, render_result, run_operation
from .plan import PlanError, plan, render_text, to_json
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
        "--home-account", default=DEFAULT_HOME_ACCOUNT, help="account ID the mocked credentials belong to"
    )
    for operation in OPERATIONS:
        command = commands.add_parser(operation, help=f"pulumi {operation} through the Automation API (needs the CLI)")
        command.add_argument("--stack", required=True, help="stack name, e.g. dev or org/project/dev")
        command.add_argument("--show-secrets", action="store_true", help="print secret outputs")
        command.add_argument("--no-policy-pack", action="store_true", help="do not attach the policy pack")
        command.add_argument("--policy-pack-config", type=Path, help="policy config file (JSON)")
    add_verify_command(commands)
    return root


def run_plan(args: argparse.Namespace) -> int:
    try:
        result = plan(args.stack, config_file=args.config_file, home_account=args.home_account)
    except PlanError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.role_file:
        args.role_file.write_text(result.role_file() + "\n")
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
        )
    except PulumiCliMissingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render_result(result), file=sys.stdout if result.exit_code == 0 else sys.stderr)
    return result.exit_code


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "verify":
        return run_verify(args)
    return run_plan(args) if args.command == "plan" else run_deployment(args)


if __name__ == "__main__":
    sys.exit(main())
