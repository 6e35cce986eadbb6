"""A fresh venv in which this project is installed, as `pip install -r component_provider/requirements.txt` installs it.

Copying 440 MB of pinned dependencies per test run is not needed to show the point: the venv's `.pth` adds the
shared venv's site-packages (the same pins) and the project root (what an editable install of `..` adds).
Nothing runs from the project directory: the caller picks the working directory.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import PROJECT_DIR


def installed_venv(folder: Path) -> Path:
    """Create `folder` as a venv with the project installed; return its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next((folder / "lib").glob("python3*/site-packages"))
    shared = sysconfig.get_paths()["purelib"]
    (site / "axonius-aws-access.pth").write_text(f"import site; site.addsitedir({shared!r})\n{PROJECT_DIR}\n")
    return folder / "bin" / "python"
