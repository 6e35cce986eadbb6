"""The Pulumi plugin serving `AxoniusAccess` to programs in any language (schema inferred from its arguments).

The engine runs `venv/bin/python <this folder> <engine address>` here; `requirements.txt` installs the project
(`..`) into that venv, so `components` is an installed package, not a path.
"""

from pulumi.provider.experimental import component_provider_host

from components.axonius_access import AxoniusAccess

if __name__ == "__main__":
    component_provider_host(components=[AxoniusAccess], name="axonius-aws-access")
