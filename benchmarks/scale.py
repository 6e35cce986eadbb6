"""Plan time for N role accounts, against Pulumi's bare mock engine registering as many resources.

    venv/bin/python benchmarks/scale.py --accounts 300 [--json]
    venv/bin/python benchmarks/scale.py --organization --accounts 100 1000 5000 [--json]

`overhead_ratio` is our program's run on the mock engine divided by a bare program that registers the
same resources (same SDK classes, names and inputs, replayed flat from our run) on the same engine in
the same process: what our config parsing, permission sets, document packing and components add to the
SDK's own registration cost. `trivial_ratio` compares with as many one-input resources instead, and
`pack_seconds` is every resource through the policy pack over gRPC.

`--organization` plans organization mode instead: N accounts in nested OUs under one targeted OU (1 in 50
suspended), Organizations answered from a generated file; it prints the plan time, resources and provider
processes a real run starts, beside explicit mode's for the same N (its plan time when its grants fit the
user's 10 managed policies, and always its provider-process count, one per account plus the default).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pulumi

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from automation.mock_engine import AwsMocks, MockRun, run_program  # noqa: E402
from automation.organization_file import parse_organization  # noqa: E402
from automation.pack_client import evaluate_stack  # noqa: E402

# A short role name keeps 1,000 role ARNs within the user's 10 managed policies.
ROLE_NAME = "Axonius"


class BareMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        return {}, []


def stack_config(accounts: int) -> dict[str, str]:
    roles = {"name": ROLE_NAME, "accounts": [{"id": f"{100000000000 + n}"} for n in range(accounts)]}
    return {"aws:region": "us-east-1", "axonius-aws-access:roles": json.dumps(roles)}


REPLAY = """import json
import re
import pulumi
import pulumi_aws

def snake(value):
    if isinstance(value, dict):
        return {{re.sub("([A-Z])", r"_\\1", k).lower(): snake(v) for k, v in value.items()}}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value

def sdk_class(type_):
    if type_ == "pulumi:providers:aws":
        return pulumi_aws.Provider
    package, module_path, name = type_.split(":")
    return getattr(getattr(pulumi_aws, module_path.split("/")[0]), name)

for number, (type_, name, custom, inputs) in enumerate(json.load(open({path!r}))):
    if not custom:
        pulumi.ComponentResource(type_, f"{{number}}-{{name}}")
        continue
    if type_ == "pulumi:providers:aws":
        inputs = {{k: json.loads(v) if k in ("assumeRoles", "allowedAccountIds") else v for k, v in inputs.items()}}
    sdk_class(type_)(f"{{number}}-{{name}}", **snake(inputs))
"""
TRIVIAL = """import pulumi
for number in range({count}):
    pulumi.CustomResource("bench:index:Thing", f"thing-{{number}}", {{"value": str(number)}})
"""


def bare_program(workdir: Path, source: str) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "__main__.py").write_text(source)
    return workdir


def replay_program(run: MockRun, workdir: Path) -> Path:
    registrations = [(r.type, r.name, r.custom, r.inputs) for r in run.resources]
    data = workdir / "registrations.json"
    workdir.mkdir(parents=True, exist_ok=True)
    data.write_text(json.dumps(registrations))
    return bare_program(workdir, REPLAY.format(path=str(data)))


def timed(program_dir: Path, config: dict[str, str], mocks: pulumi.runtime.Mocks) -> tuple[float, MockRun]:
    started = time.perf_counter()
    run = run_program(program_dir, "bench", config, [], mocks)
    return time.perf_counter() - started, run


def measure(accounts: int, repeats: int, workdir: Path) -> dict[str, float | int]:
    config = stack_config(accounts)
    ours, replayed, trivial = [], [], []
    for _ in range(repeats):
        seconds, run = timed(PROJECT_DIR, config, AwsMocks())
        ours.append(seconds)
        replayed.append(timed(replay_program(run, workdir / "replay"), {}, BareMocks())[0])
        trivial_dir = bare_program(workdir / "trivial", TRIVIAL.format(count=len(run.resources)))
        trivial.append(timed(trivial_dir, {}, BareMocks())[0])
    started = time.perf_counter()
    violations = evaluate_stack(PROJECT_DIR / "policy_pack", "bench", run.resources)
    pack_seconds = time.perf_counter() - started
    program = statistics.median(ours)
    return {
        "accounts": accounts,
        "resources": len(run.resources),
        "program_seconds": round(program, 3),
        "bare_seconds": round(statistics.median(replayed), 3),
        "overhead_ratio": round(program / statistics.median(replayed), 3),
        "trivial_ratio": round(program / statistics.median(trivial), 3),
        "pack_seconds": round(pack_seconds, 3),
        "violations": len(violations),
    }


TARGET_OU = "ou-bnch-00000001"
CHILD_OUS = 10


def organization_tree(accounts: int) -> dict:
    """One targeted OU with ten child OUs holding the accounts; every 50th account is suspended."""
    children = [f"ou-bnch-{n:08d}" for n in range(2, CHILD_OUS + 2)]
    return {
        "id": "o-benchmark01",
        "rootId": "r-bnch",
        "managementAccountId": "999999999999",
        "units": [{"id": TARGET_OU, "parentId": "r-bnch", "name": "Workloads"}]
        + [{"id": child, "parentId": TARGET_OU, "name": child} for child in children],
        "accounts": [
            {
                "id": f"{100000000000 + n}",
                "parentId": children[n % CHILD_OUS],
                "status": "SUSPENDED" if n % 50 == 49 else "ACTIVE",
                "name": f"account-{n}",
            }
            for n in range(accounts)
        ],
    }


def organization_config() -> dict[str, str]:
    organization = {"organizationalUnits": [TARGET_OU], "adminAccount": "999999999999", "externalId": "BENCH-ID"}
    return {"aws:region": "us-east-1", "axonius-aws-access:organization": json.dumps(organization)}


def provider_processes(run: MockRun) -> int:
    """One plugin process per explicit provider, and the default AWS provider's."""
    return sum(1 for r in run.resources if r.type.startswith("pulumi:providers:")) + 1


def measure_organization(accounts: int, repeats: int) -> dict[str, float | int | str]:
    mocks = AwsMocks(organization=parse_organization(organization_tree(accounts)))
    seconds = []
    for _ in range(repeats):
        elapsed, run = timed(PROJECT_DIR, organization_config(), mocks)
        seconds.append(elapsed)
    started = time.perf_counter()
    violations = evaluate_stack(PROJECT_DIR / "policy_pack", "bench", run.resources)
    pack_seconds = time.perf_counter() - started
    row: dict[str, float | int | str] = {
        "accounts": accounts,
        "roles": len(run.outputs["roleArns"].value),
        "org_resources": len(run.resources),
        "org_provider_processes": provider_processes(run),
        "org_seconds": round(statistics.median(seconds), 3),
        "org_pack_seconds": round(pack_seconds, 3),
        "org_violations": len(violations),
        "explicit_provider_processes": accounts + 1,
    }
    try:
        elapsed, explicit = timed(PROJECT_DIR, stack_config(accounts), AwsMocks())
        row.update(explicit_resources=len(explicit.resources), explicit_seconds=round(elapsed, 3))
    except pulumi.RunError as error:  # the user's grants no longer fit its managed policies
        row.update(explicit_resources="-", explicit_seconds=str(error).splitlines()[-1].split(";")[0])
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, nargs="+", default=[30, 300, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--organization", action="store_true", help="organization mode beside explicit mode")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.organization:
        return report([measure_organization(n, args.repeats) for n in args.accounts], args.json)
    with tempfile.TemporaryDirectory() as workdir:
        rows = [measure(n, args.repeats, Path(workdir)) for n in args.accounts]
    return report(rows, args.json)


def report(rows: list[dict], as_json: bool) -> int:
    if as_json:
        print(json.dumps(rows if len(rows) > 1 else rows[0]))
    else:
        columns = list(rows[0])
        print("  ".join(f"{c:>15}" for c in columns))
        for row in rows:
            print("  ".join(f"{row[c]!s:>15}" for c in columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
