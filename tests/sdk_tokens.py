"""Resource tokens and input documentation of the installed Pulumi SDKs, read from their source (nothing imported).

Each generated Python SDK registers its resource classes in its `__init__.py` (`_utilities.register(
resource_modules=...)`, a JSON list of {fqn, classes: {token: class}}); each class's inputs are the keyword
arguments of `<Class>Args.__init__`, documented by its docstring's `:param` lines.

`python -m tests.sdk_tokens` rewrites `tests/data/sdk_resource_tokens.json`, the tokens the type table was last
reviewed against: an SDK upgrade that brings new tokens fails `tests/test_type_table.py` until it is regenerated
(and the new tokens' placements read in the diff).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import re
from functools import cache
from pathlib import Path

from tests.conftest import PROJECT_DIR

# The SDKs a stack may mix in (the program uses the first two; the rest are test-only, in requirements-dev.txt).
SDKS = {
    "pulumi_aws": "pulumi-aws",
    "pulumi_kubernetes": "pulumi-kubernetes",
    "pulumi_aws_native": "pulumi-aws-native",
    "pulumi_command": "pulumi-command",
    "pulumi_random": "pulumi-random",
    "pulumi_tls": "pulumi-tls",
    "pulumi_std": "pulumi-std",
}
RECORDED = PROJECT_DIR / "tests" / "data" / "sdk_resource_tokens.json"
REGISTRATION = re.compile(r'resource_modules="""(.*?)"""', re.S)
PARAM = re.compile(r":param [^\n]*? (\w+): (.*?)(?=\n\s*:param |\Z)", re.S)


def _source(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, f"{module} is not installed"
    return Path(spec.origin)


@cache
def classes(sdk: str) -> dict[str, tuple[str, str]]:
    """token -> (module, class) for every resource class `sdk` registers (std registers none: functions only)."""
    found = REGISTRATION.search(_source(sdk).read_text())
    modules = json.loads(found.group(1)) if found else []
    return {token: (entry["fqn"], name) for entry in modules for token, name in entry["classes"].items()}


def all_tokens() -> dict[str, list[str]]:
    return {sdk: sorted(classes(sdk)) for sdk in SDKS}


@cache
def _args_classes(folder: Path) -> dict[str, ast.ClassDef]:
    """`<Name>Args` class definitions in one SDK module folder, by name."""
    found: dict[str, ast.ClassDef] = {}
    for path in folder.glob("*.py"):
        text = path.read_text()
        if "Args:" not in text:
            continue
        for node in ast.parse(text).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Args"):
                found[node.name] = node
    return found


def inputs(sdk: str, token: str) -> dict[str, str]:
    """A resource's inputs (snake_case names) and each one's documentation, from `<Class>Args.__init__`."""
    module, name = classes(sdk)[token]
    args = _args_classes(_source(module).parent).get(f"{name}Args")
    assert args is not None, f"{token}: no {name}Args in {module}"
    init = next(node for node in args.body if isinstance(node, ast.FunctionDef) and node.name == "__init__")
    documented = dict(PARAM.findall(ast.get_docstring(init) or ""))
    return {arg.arg: documented.get(arg.arg, "") for arg in init.args.kwonlyargs}


def recorded() -> dict[str, object]:
    return json.loads(RECORDED.read_text())


def versions() -> dict[str, str]:
    return {sdk: importlib.metadata.version(distribution) for sdk, distribution in SDKS.items()}


if __name__ == "__main__":
    RECORDED.write_text(json.dumps({"versions": versions(), "tokens": all_tokens()}, indent=1) + "\n")
    print(f"wrote {RECORDED.relative_to(PROJECT_DIR)}: {sum(map(len, all_tokens().values()))} tokens")
