"""Provider plugin processes the real engine starts, counted during a real `pulumi preview` (needs `make engine`).

    venv/bin/python benchmarks/providers.py [--accounts 30] [--json]

Two stacks: explicit mode with N role accounts (one `aws.Provider` per account) and organization mode (the
project's org stack: one StackSet through one admin-account provider). The CLI runs with `.engine/env` and the
stand-in plugins answering offline (no cloud is needed for a preview). `/proc` is sampled every 50 ms for the
plugin processes under the CLI; it prints how many were started, the most alive at once and their peak memory.
The plan's own estimate (`providerProcesses` in `plan --json`) is printed beside the count. Memory is the
stand-in's (a Python process); the real pulumi-aws is reported at 170-430 MB a process (README, Organization mode).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENGINE_ENV = PROJECT_DIR / ".engine" / "env"
PLUGINS = {"aws": "tests.standin.aws", "kubernetes": "tests.standin.kubernetes"}


@dataclass(frozen=True)
class Count:
    started: dict[str, int]
    most_at_once: int
    peak_rss_mb: float
    seconds: float


def engine_env() -> dict[str, str]:
    env = dict(os.environ)
    for line in ENGINE_ENV.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip('"').replace("$PATH", os.environ.get("PATH", ""))
    for name in ("AWS_ENDPOINT_URL", "STANDIN_CLUSTERS"):
        env.pop(name, None)
    return env


def plugin_processes(root: int) -> dict[int, tuple[str, float]]:
    """PID to (plugin name, RSS in MB) of every stand-in plugin process now alive under process `root` (other
    people's runs on the same machine are not counted)."""
    parents: dict[int, int] = {}
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        for name, module in PLUGINS.items():
            if module.encode() in command:
                rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
                found[int(entry.name)] = (name, rss / 1024)

    def under_root(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 0)
        return False

    return {pid: found[pid] for pid in found if under_root(pid)}


def count_during(command: list[str], cwd: Path, env: dict[str, str]) -> Count:
    seen: dict[int, str] = {}
    most, peak = 0, 0.0
    done = threading.Event()

    def sample(root: int) -> None:
        nonlocal most, peak
        while not done.is_set():
            alive = plugin_processes(root)
            seen.update({pid: name for pid, (name, _) in alive.items()})
            most = max(most, len(alive))
            peak = max(peak, sum(rss for _, rss in alive.values()))
            time.sleep(0.05)

    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = threading.Thread(target=sample, args=(process.pid,), daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stdout}\n{stderr}")
    by_name = {name: sum(1 for n in seen.values() if n == name) for name in PLUGINS}
    return Count(by_name, most, round(peak, 1), round(time.perf_counter() - started, 1))


def explicit_stack(accounts: int) -> str:
    ids = "\n".join(f'      - id: "{100000000000 + i:012d}"' for i in range(1, accounts + 1))
    return (
        "config:\n  aws:region: us-east-1\n  axonius-aws-access:user:\n    name: Axonius-Bench\n"
        f"  axonius-aws-access:roles:\n    name: Axonius-Bench-Role\n    accounts:\n{ids}\n"
    )


def measure(project: Path, stack: str, env: dict[str, str], plan_args: list[str]) -> dict[str, Any]:
    subprocess.run(
        ["pulumi", "stack", "select", stack, "--create"], cwd=project, env=env, check=True, capture_output=True
    )
    count = count_during(["pulumi", "preview", "-s", stack], project, env)
    plan = subprocess.run(
        [str(project / "venv" / "bin" / "python"), "-m", "automation", "plan", "--stack", stack, "--json", *plan_args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return {"stack": stack, **count.__dict__, "planEstimate": json.loads(plan.stdout)["providerProcesses"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not ENGINE_ENV.is_file():
        raise SystemExit(f"needs the built engine: run make engine ({ENGINE_ENV} is missing)")
    with tempfile.TemporaryDirectory(prefix="providers-bench-") as scratch:
        project = Path(scratch, "project")
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True).stdout
        for name in filter(None, listed.decode().split("\0")):
            if (PROJECT_DIR / name).is_file():
                (project / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(PROJECT_DIR / name, project / name)
        (project / "venv").symlink_to(PROJECT_DIR / "venv")
        (project / "stacks" / "Pulumi.bench.yaml").write_text(explicit_stack(args.accounts))
        organization = project / "stacks" / "organization.org.json"
        env = {
            **engine_env(),
            "PULUMI_BACKEND_URL": Path(scratch, "state").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": "bench",
            "STANDIN_ORGANIZATION": str(organization),
        }
        Path(scratch, "state").mkdir()
        rows = [
            {"mode": f"explicit, {args.accounts} accounts", **measure(project, "bench", env, [])},
            {"mode": "organization", **measure(project, "org", env, ["--organization", str(organization)])},
        ]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for row in rows:
        print(
            f"{row['mode']}: {row['started']['aws']} aws + {row['started']['kubernetes']} kubernetes plugin "
            f"processes started (plan estimates {row['planEstimate']}), {row['most_at_once']} alive at once, "
            f"{row['peak_rss_mb']} MB at peak (stand-in), preview {row['seconds']} s"
        )


if __name__ == "__main__":
    main()
