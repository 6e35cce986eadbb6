"""Write `stacks/schema.json`, the JSON Schema of stack files, from the config contract (`make schema`)."""

from __future__ import annotations

import json
from pathlib import Path

from components.stack_config import stack_file_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "stacks" / "schema.json"


def schema_text() -> str:
    return json.dumps(stack_file_schema(), indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(schema_text())
    print(f"wrote {SCHEMA_FILE}")
