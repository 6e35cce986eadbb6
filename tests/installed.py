"""A fresh venv with the project's pins, as `pip install -r component_provider/requirements.txt` makes it.

Copying 440 MB of pinned dependencies per test run is not needed to show the point: the venv's `.pth` adds the
shared venv's site-packages (the same pins) and, unless asked not to, the project root (what `PYTHONPATH=<checkout>`
adds). Nothing runs from the project directory: the caller picks the working directory.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import PROJECT_DIR


def installed_venv(folder: Path, *, project_on_path: bool = True) -> Path:
    """Create `folder` as a venv with the pins (and the project root on its path); return its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next((folder / "lib").glob("python3*/site-packages"))
    shared = sysconfig.get_paths()["purelib"]
    root = f"{PROJECT_DIR}\n" if project_on_path else ""
    (site / "axonius-aws-access.pth").write_text(f"import site; site.addsitedir({shared!r})\n{root}")
    return folder / "bin" / "python"
