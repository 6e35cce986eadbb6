"""`stacks/schema.json`: generated from the contract, current, and as strict as the program about the same keys."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from automation.stack_file import load_yaml
from automation.stack_schema import schema_file, schema_text
from components.config_validation import parse_stack_config
from components.stack_config import NAMESPACE, ConfigError
from tests.conftest import PROJECT_DIR

VALIDATOR = jsonschema.Draft202012Validator(json.loads(schema_file().read_text()))


def test_the_checked_in_schema_is_the_generated_one():
    """Regenerate with `make schema` after changing components/stack_config.py."""
    assert schema_file().read_text() == schema_text()
    jsonschema.Draft202012Validator.check_schema(json.loads(schema_text()))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_example_stacks_are_valid(stack):
    document = load_yaml((PROJECT_DIR / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    assert not list(VALIDATOR.iter_errors(document))


def schema_paths(document) -> set[str]:
    """Each error as a key path in the program's spelling (`roles.accounts[1].id`)."""
    paths = set()
    for error in VALIDATOR.iter_errors(document):
        path = list(error.absolute_path)[1:]  # below `config`
        if "propertyNames" in error.schema_path:
            path = [error.instance]
        elif error.validator == "additionalProperties":
            path += sorted(set(error.instance) - set(error.schema["properties"]))
        if path:
            path[0] = str(path[0]).removeprefix(f"{NAMESPACE}:")
        paths.add("".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip("."))
    return paths


def program_paths(document, catalog) -> set[str]:
    prefix = f"{NAMESPACE}:"
    raw = {key.removeprefix(prefix): value for key, value in document["config"].items() if key.startswith(prefix)}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, catalog)
    return {re.sub(rf"^{NAMESPACE}:", "", problem).split(": ")[0] for problem in caught.value.problems}


def test_an_unknown_key_a_wrong_type_and_a_bad_account_fail_at_the_paths_the_program_reports(catalog):
    document = load_yaml(
        """
        config:
          aws:region: us-east-1
          axonius-aws-access:rolse: {}
          axonius-aws-access:user:
            nmae: x
            accessKey: yes
          axonius-aws-access:roles:
            maxSessionDuration: "3600"
            accounts:
              - id: "222222222222"
              - id: "12345"
                extId: x
          axonius-aws-access:eks:
            clusters: [{name: c, region: us-east-1, mode: configMap}]
        """.replace("\n        ", "\n")
    )
    expected = {
        "rolse",
        "user.nmae",
        "user.accessKey",
        "roles.maxSessionDuration",
        "roles.accounts[1].id",
        "roles.accounts[1].extId",
        "eks.clusters[0].mode",
    }
    assert schema_paths(document) == expected
    assert program_paths(document, catalog) == expected


def test_secure_values_are_valid_where_the_contract_allows_them():
    document = {
        "config": {
            f"{NAMESPACE}:roles": {"accounts": [{"id": "222222222222", "externalId": {"secure": "v1:abc"}}]},
        }
    }
    assert not list(VALIDATOR.iter_errors(document))
    document["config"][f"{NAMESPACE}:roles"]["accounts"][0]["id"] = {"secure": "v1:abc"}
    assert schema_paths(document) == {"roles.accounts[0].id"}
