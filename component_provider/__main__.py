"""The Pulumi plugin serving `AxoniusAccess` to programs in any language (schema inferred from its arguments).

The engine runs `venv/bin/python <this folder> <engine address>` here. The project is the checkout around this
folder, not an installed package (`requirements.txt` installs only its pins): its root goes first on the path,
as the policy pack's entry does, so the plugin always serves its own checkout's code.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.component_host import serve

if __name__ == "__main__":
    serve()
