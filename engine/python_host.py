"""`pulumi-language-python` for `make engine`: the Python language host the CLI starts for a Python program, pack or
plugin.

The Go module proxy serves the CLI (`pkg/v3`) but not upstream's language hosts, so this one speaks the same
LanguageRuntime protocol. It does what upstream's host does for the calls the CLI makes here, and nothing else:
the program itself runs under upstream's own `pulumi-language-python-exec` (shipped in the `sdk/v3` Go module), in
the virtualenv the project's runtime options name, with the stack's config in `PULUMI_CONFIG`.

Run as `python python_host.py EXEC_SCRIPT ENGINE_ADDRESS`; prints the port it listens on, as every plugin does.
"""

# ruff: noqa: N802 (the method names are the protocol's RPC names)

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

# The exec script's code for "the program already told the user what is wrong": the engine then bails quietly.
USER_ACTIONABLE_EXIT = 32

# Read every installed distribution's pulumi-plugin.json, as upstream's GetRequiredPackages does, in the program's
# own interpreter (its venv, not this host's).
_LIST_PLUGINS = """
import importlib.metadata, json
found = []
for dist in importlib.metadata.distributions():
    for file in dist.files or []:
        if file.name == "pulumi-plugin.json" and len(file.parts) == 2:
            data = json.loads(file.read_text())
            if data.get("resource", True):
                found.append({"name": data.get("name") or dist.metadata["Name"].removeprefix("pulumi-"),
                              "version": data.get("version") or dist.version, "server": data.get("server", "")})
print(json.dumps(found))
"""


@dataclass(frozen=True)
class Toolchain:
    """The interpreter of a program's virtualenv and the environment to run it in (upstream's pip toolchain)."""

    python: str
    env: dict[str, str]


def toolchain(info: language_pb2.ProgramInfo, default_venv: str | None) -> Toolchain:
    options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
    toolchain_name = options.get("toolchain", "pip")
    if toolchain_name != "pip":
        raise ValueError(f"runtime option toolchain is {toolchain_name!r}; this host supports only 'pip'")
    venv = options.get("virtualenv") or default_venv
    env = dict(os.environ)
    if not venv:
        return Toolchain(env.get("PULUMI_PYTHON_CMD", "python3"), env)
    root = Path(venv) if Path(venv).is_absolute() else Path(info.root_directory, venv)
    python = root / "bin" / "python"
    if not python.is_file():
        raise FileNotFoundError(
            f"the 'virtualenv' option is {venv!r}, but {python} does not exist: create it (make setup in this project)"
        )
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(root)
    env.pop("PYTHONHOME", None)
    return Toolchain(str(python), env)


def run_arguments(request: language_pb2.RunRequest, engine: str) -> list[str]:
    """The exec script's command line, flag for flag as upstream's host builds it."""
    flags = {
        "monitor": request.monitor_address,
        "engine": engine,
        "project": request.project,
        "root_directory": request.info.root_directory,
        "stack": request.stack,
        "pwd": request.pwd,
        "dry_run": "true" if request.dryRun else "false",
        "parallel": str(request.parallel),
        "organization": request.organization,
    }
    args = [item for key, value in flags.items() if value for item in (f"--{key}", value)]
    return [*args, request.info.entry_point or ".", *request.args]


class PythonHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, exec_script: str, engine: str) -> None:
        self._exec = exec_script
        self._engine = engine

    def Handshake(self, request: Any, context: Any) -> language_pb2.LanguageHandshakeResponse:
        self._engine = request.engine_address or self._engine
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=os.environ.get("PULUMI_ENGINE_VERSION", "3.274.0"))

    def GetRequiredPackages(self, request: Any, context: Any) -> language_pb2.GetRequiredPackagesResponse:
        tc = toolchain(request.info, None)
        listed = subprocess.run(
            [tc.python, "-c", _LIST_PLUGINS], env=tc.env, capture_output=True, text=True, check=True
        ).stdout
        packages = [
            plugin_pb2.PackageDependency(
                name=p["name"], kind="resource", version="v" + p["version"].removeprefix("v"), server=p["server"]
            )
            for p in json.loads(listed)
        ]
        return language_pb2.GetRequiredPackagesResponse(packages=packages)

    def Run(self, request: Any, context: Any) -> language_pb2.RunResponse:
        try:
            tc = toolchain(request.info, None)
        except (FileNotFoundError, ValueError) as error:
            return language_pb2.RunResponse(error=str(error))
        env = dict(tc.env)
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        # The program's output goes where this host's goes: the engine shows it.
        code = subprocess.run([tc.python, "-u", self._exec, *run_arguments(request, self._engine)], env=env).returncode
        if code == 0:
            return language_pb2.RunResponse()
        if code == USER_ACTIONABLE_EXIT:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")

    def RunPlugin(self, request: Any, context: Any) -> Iterator[language_pb2.RunPluginResponse]:
        """A policy pack or a component package: `python <its folder> ARGS` in its own venv (default `venv`)."""
        tc = toolchain(request.info, "venv")
        env = dict(tc.env)
        env.update(item.split("=", 1) for item in request.env if "=" in item)
        process = subprocess.Popen(
            [tc.python, request.info.program_directory, *request.args],
            cwd=request.pwd or None,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        yield from _streamed(process)

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[language_pb2.InstallDependenciesResponse]:
        """Creates the virtualenv from requirements.txt when it is missing, as upstream's pip toolchain does."""
        try:
            toolchain(request.info, "venv" if request.is_plugin else None)
            yield language_pb2.InstallDependenciesResponse(stdout=b"Dependencies are installed\n")
            return
        except FileNotFoundError:
            pass
        options = json_format.MessageToDict(request.info.options) if request.info.HasField("options") else {}
        venv = Path(request.info.root_directory, options.get("virtualenv", "venv"))
        requirements = Path(request.info.program_directory, "requirements.txt")
        for command in (
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-r", str(requirements)],
        ):
            done = subprocess.run(command, capture_output=True)
            yield language_pb2.InstallDependenciesResponse(stdout=done.stdout, stderr=done.stderr)
            if done.returncode:
                context.abort(grpc.StatusCode.UNKNOWN, f"{' '.join(command)} failed with exit code {done.returncode}")


def _streamed(process: subprocess.Popen[bytes]) -> Iterator[language_pb2.RunPluginResponse]:
    """The plugin's stdout and stderr as they come (the engine reads the port from the first stdout line)."""
    chunks: list[language_pb2.RunPluginResponse | None] = []
    ready = threading.Condition()

    def pump(stream: Any, field: str) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            with ready:
                chunks.append(language_pb2.RunPluginResponse(**{field: chunk}))
                ready.notify()
        with ready:
            chunks.append(None)
            ready.notify()

    for stream, field in ((process.stdout, "stdout"), (process.stderr, "stderr")):
        threading.Thread(target=pump, args=(stream, field), daemon=True).start()
    closed = 0
    while closed < 2:
        with ready:
            ready.wait_for(lambda: bool(chunks))
            pending, chunks[:] = list(chunks), []
        for item in pending:
            if item is None:
                closed += 1
            else:
                yield item
    yield language_pb2.RunPluginResponse(exitcode=process.wait())


def main() -> None:
    # The engine passes its address last.
    exec_script, engine = sys.argv[1], (sys.argv[-1] if len(sys.argv) > 2 else "")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(PythonHost(exec_script, engine), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    # The engine ends its plugins with SIGINT when it is done: that is a normal end, not an error to show.
    signal.signal(signal.SIGINT, lambda *_: server.stop(0))
    server.wait_for_termination()


if __name__ == "__main__":
    main()
