"""A stand-in for the Pulumi CLI: records every command and plays engine events to the Automation API.

It writes events where the API reads them: the `--event-log` file (CLI 3.205 and older) or the gRPC
events server behind `--event-log tcp://...` (newer CLIs).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from pulumi.automation import CommandResult, OnOutput, PulumiCommand
from pulumi.automation.errors import create_command_error
from pulumi.runtime.proto import events_pb2, events_pb2_grpc
from semver import VersionInfo


@dataclass
class Scenario:
    """What the fake engine reports for the next operations."""

    changes: dict[str, int] = field(default_factory=lambda: {"create": 20})
    policy_events: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: frozenset[str] = frozenset()
    fail_with: str | None = None


class FakePulumiCommand(PulumiCommand):
    def __init__(self, scenario: Scenario | None = None, version: str = "3.272.0") -> None:  # no CLI to look up
        self.command = "pulumi"
        self.version = VersionInfo.parse(version)
        self.scenario = scenario or Scenario()
        self.calls: list[dict[str, Any]] = []

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        self.calls.append({"args": list(args), "cwd": cwd, "env": dict(additional_env)})
        operation = next((a for a in args if a in ("preview", "up", "destroy", "refresh")), None)
        if args[:2] == ["stack", "output"]:
            return CommandResult(json.dumps(self._outputs("--show-secrets" in args)), "", 0)
        if args[:2] == ["stack", "history"]:
            return CommandResult(json.dumps([self._last_update()]), "", 0)
        if operation is None:
            return CommandResult("", "", 0)
        if on_output:
            on_output(f"Previewing {operation} (fake engine)\n")
        self._emit(args[args.index("--event-log") + 1], self._events())
        if self.scenario.fail_with:
            raise create_command_error(CommandResult("", self.scenario.fail_with, 255))
        return CommandResult(f"{operation} done\n", "", 0)

    def _last_update(self) -> dict[str, Any]:
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        return {
            "version": len(self.calls),
            "kind": "update",
            "startTime": now,
            "endTime": now,
            "message": "",
            "environment": {},
            "config": {},
            "result": "failed" if self.scenario.fail_with else "succeeded",
            "resourceChanges": self.scenario.changes,
        }

    def _outputs(self, show_secrets: bool) -> dict[str, Any]:
        return {
            name: value if show_secrets or name not in self.scenario.secret_outputs else "[secret]"
            for name, value in self.scenario.outputs.items()
        }

    def _events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [{"preludeEvent": {"config": {}}}]
        events += [{"policyEvent": event} for event in self.scenario.policy_events]
        events.append(
            {
                "summaryEvent": {
                    "maybeCorrupt": False,
                    "durationSeconds": 1,
                    "resourceChanges": self.scenario.changes,
                    "policyPacks": {},
                }
            }
        )
        return [{"sequence": n, "timestamp": int(time.time()), **e} for n, e in enumerate(events)]

    @staticmethod
    def _emit(target: str, events: Sequence[Mapping[str, Any]]) -> None:
        if target.startswith("tcp://"):
            with grpc.insecure_channel(target.removeprefix("tcp://")) as channel:
                stub = events_pb2_grpc.EventsStub(channel)
                stub.StreamEvents(iter([events_pb2.EventRequest(event=json.dumps(e)) for e in events]))
        else:
            with open(target, "a", encoding="utf-8") as log:
                log.writelines(json.dumps(e) + "\n" for e in events)
            time.sleep(0.3)  # the API tails the file every 100 ms
