"""`AxoniusAccess` served as a Pulumi plugin: the component package in `component_provider/`."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.errors import InputPropertyError
from pulumi.provider import main
from pulumi.provider.experimental.analyzer import ComponentDefinition, TypeDefinition
from pulumi.provider.experimental.component import ComponentProvider

from policy_pack.rules.iam_actions import default_catalog

from .axonius_access import AxoniusAccess
from .component_arguments import config_tree, outputs_in
from .config_validation import parse_stack_config

PACKAGE = "axonius-aws-access"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def package_version() -> str:
    """The release this checkout is: `project.version` of pyproject.toml, the one place it is written."""
    with PYPROJECT.open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


class AxoniusAccessProvider(ComponentProvider):
    """The SDK's component provider, except that an object argument arriving as one output is kept.

    The engine sends an object argument as one output when it holds a secret or depends on another resource
    (`roles` with an external ID from a secret, `eks` with a cluster name from a cluster) and the program's
    SDK does not send output values; the SDK maps such a value to `{}`, silently dropping every key of it.
    Mapped inside an apply instead, the component resolves it as it resolves any other output.
    """

    def map_inputs(self, inputs: Any, component_def: ComponentDefinition) -> Any:
        whole = {
            key: value
            for key, value in inputs.items()
            if isinstance(value, pulumi.Output) and key in component_def.inputs and component_def.inputs[key].ref
        }
        try:
            mapped = dict(super().map_inputs({k: v for k, v in inputs.items() if k not in whole}, component_def))
        except InputPropertyError:
            _refuse_as_stack_files_do(inputs)
            raise
        for key, output in whole.items():
            type_def = self.get_type_definition(component_def.inputs[key])
            mapped[component_def.inputs_mapping[key]] = (
                output
                if type_def is None or type_def.enum
                else output.apply(self._mapper(type_def, component_def, key))
            )
        return mapped

    def _mapper(self, type_def: TypeDefinition, component_def: ComponentDefinition, key: str) -> Callable[[Any], Any]:
        def mapped(value: Any) -> Any:
            properties, names = type_def.properties, type_def.properties_mapping
            return self.map_input_properties(value or {}, properties, names, component_def.name, key)

        return mapped


def _refuse_as_stack_files_do(inputs: Mapping[str, Any]) -> None:
    """The SDK refuses an enum value or a missing key in its own words (and no key path): ours, when it can say."""
    tree = config_tree({key: value for key, value in inputs.items() if key != "externalIds"})
    if not outputs_in(tree):
        parse_stack_config(tree, default_catalog(), region=aws.config.region)


def provider() -> AxoniusAccessProvider:
    return AxoniusAccessProvider([AxoniusAccess], PACKAGE, version=package_version())


def serve() -> None:
    """Answer the engine on the port printed first (`<plugin dir> <engine address>` are the arguments)."""
    main(provider(), sys.argv[1:])
