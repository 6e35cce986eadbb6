"""The JSON Schema of the configuration contract: of its objects, and of a whole stack file (`stacks/schema.json`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic.alias_generators import to_camel

from .stack_config import NAMESPACE, STACK_CONFIG, KeyPath, StackConfig, contract_classes, nullable


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the config objects by their stack-file (camelCase) names; null only where it is default."""
    schema = STACK_CONFIG.json_schema(by_alias=True)
    for contract in contract_classes(StackConfig):
        properties = schema["$defs"].get(contract.__name__, schema)["properties"]
        for name, field in contract.__pydantic_fields__.items():
            node = properties[to_camel(name)]
            if not nullable(field) and "anyOf" in node:
                options = [option for option in node.pop("anyOf") if option != {"type": "null"}]
                node.update(options[0] if len(options) == 1 else {"anyOf": options})
    return schema


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a stack file (`stacks/schema.json`): our keys from the contract, other namespaces open.

    Keys of our namespace other than the contract's are refused, with or without the `axonius-aws-access:`
    prefix (the CLI adds it to bare keys). Near-miss namespaces are reported by the program, not here.
    """
    schema = config_schema()
    definitions = schema.pop("$defs")
    _secure_allowed(definitions)
    keys = {}
    for key, node in schema["properties"].items():
        keys[f"{NAMESPACE}:{key}"] = keys[key] = node
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Pulumi stack settings of {NAMESPACE}",
        "description": "Generated from components/stack_config.py by python -m automation.stack_schema.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": keys,
                "propertyNames": {
                    # NAMESPACE is letters and hyphens, written unescaped: re.escape's `\-` is refused by ECMA-262's
                    # unicode mode, which JSON Schema validators (check-jsonschema by default) use.
                    "anyOf": [{"enum": list(keys)}, {"pattern": f"^(?!{NAMESPACE}:)[^:]+:."}],
                    "description": "a key of the contract, or a key of another namespace such as aws:region",
                },
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "additionalProperties": False,
        "$defs": {**definitions, "Secure": SECURE_VALUE},
    }


SECURE_VALUE = {
    "type": "object",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
    "description": "a value encrypted by pulumi config set --secret",
}


def _secure_allowed(definitions: Mapping[str, Any]) -> None:
    """Properties marked MAY_BE_SECURE also accept `{secure: ...}`."""
    for definition in definitions.values():
        for name, node in definition.get("properties", {}).items():
            if node.pop("maySecure", False):
                definition["properties"][name] = {"anyOf": [node, {"$ref": "#/$defs/Secure"}]}


def schema_node(schema: Mapping[str, Any], path: KeyPath) -> Mapping[str, Any]:
    """The JSON Schema node of a key path (through $ref, anyOf and items)."""
    definitions = schema.get("$defs", {})

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        if "$ref" in node:
            return resolve(
                {**definitions[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
            )
        for option in node.get("anyOf", ()):
            if option.get("type") != "null":
                return {**resolve(option), **{k: v for k, v in node.items() if k != "anyOf"}}
        return node

    node = resolve(schema)
    for part in path:
        child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        if child is None:
            return {}
        node = resolve(child)
    return node
