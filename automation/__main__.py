"""`python -m automation plan --stack NAME`: see README.md. Exit 0 fine, 1 mandatory violation, 2 usage or config."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .plan import PlanError, plan, render_text, to_json


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m automation", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    plan_command = commands.add_parser("plan", help="run the program offline on the mock engine, with the pack")
    plan_command.add_argument("--stack", required=True, help="stack name: reads stacks/Pulumi.<stack>.yaml")
    plan_command.add_argument("--config-file", type=Path, help="read this stack file instead")
    plan_command.add_argument("--json", action="store_true", help="print one JSON object")
    plan_command.add_argument("--role-file", type=Path, help="write the adapter's JSON role file here")
    plan_command.add_argument("--show-secrets", action="store_true", help="print secret values")
    plan_command.add_argument(
        "--home-account", default="111111111111", help="account ID the mocked credentials belong to"
    )
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


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return run_plan(args)


if __name__ == "__main__":
    sys.exit(main())
