"""Write `stacks/schema.json`, the JSON Schema of stack files, from the config contract (`make schema`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from components.config_schema import stack_file_schema

from .plan import PROJECT_DIR
from .stack_file import stack_config_dir


def schema_file(project_dir: Path = PROJECT_DIR) -> Path:
    """Beside the stack files, whose first line names it `./schema.json` for the YAML language server."""
    return stack_config_dir(project_dir) / "schema.json"


def schema_text() -> str:
    return json.dumps(stack_file_schema(), indent=2) + "\n"


def write_schema(path: Path) -> int:
    """Write the schema; a checkout that cannot be written is one line and exit 1, not a traceback."""
    try:
        path.write_text(schema_text())
    except OSError as error:
        print(f"error: cannot write {path}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(write_schema(schema_file()))
