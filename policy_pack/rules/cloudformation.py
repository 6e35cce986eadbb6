"""What a CloudFormation template (a StackSet's or a Stack's) would grant, read as the pack reads Pulumi resources.

Pure: template text, parameters and instance overrides in, IAM documents and problems out. `Ref`, `Fn::Sub`
and `Fn::Join` are resolved from the parameters (an override wins, then the given value, then the template's
default); anything else that shapes an action, an effect or a principal cannot be seen before AWS deploys
it, so it is a problem. So are a template the pack cannot read (`templateUrl`, a `Transform`) and resource
types other than the IAM ones it checks: this pack guards read-only access, and our template has nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from .iam_documents import DuplicateKeyError, as_list, statements, unique_keys
from .managed_policies import managed_policy_name

DOCUMENT_TYPES = frozenset(
    {
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Policy",
        "AWS::IAM::RolePolicy",
        "AWS::IAM::UserPolicy",
        "AWS::IAM::GroupPolicy",
    }
)
IDENTITY_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"})
# A member gets what the group's policies grant: only groups of this template (whose policies are checked here).
MEMBERSHIP = "AWS::IAM::UserToGroupAddition"
GROUP = "AWS::IAM::Group"
CHECKED_TYPES = DOCUMENT_TYPES | IDENTITY_TYPES | {MEMBERSHIP}
UNRESOLVED = "{{unresolved:"
# Values CloudFormation fetches at deployment: dynamic references in strings, and parameters whose type makes the
# given value (and the default) the *name* of an SSM parameter or another lookup, not the value used.
DYNAMIC_REFERENCE = "{{resolve:"
INDIRECT_PARAMETER_PREFIXES = ("AWS::SSM::Parameter::", "{{resolve:")
TRANSFORM_KEYS = frozenset({"Fn::Transform", "Transform"})
# Pseudo parameters with one value whatever account the stack lands in; the others (account, region, stack)
# vary per instance, so they stay unresolved.
PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
NO_VALUE = "AWS::NoValue"
SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")
SHOWN_FIELDS = ("Effect", "Action", "NotAction", "Principal", "NotPrincipal")


@dataclass(frozen=True)
class Reference:
    """`Ref` or `Fn::GetAtt` to a resource of the same template."""

    logical_id: str
    attribute: str | None = None


@dataclass
class TemplateIam:
    """The template's IAM, resolved: documents to check like their Pulumi counterparts, and what cannot be."""

    problems: list[str] = field(default_factory=list)
    documents: list[tuple[str, Any]] = field(default_factory=list)  # identity policies
    trusts: list[tuple[str, Any]] = field(default_factory=list)  # role trust policies
    sessions: list[tuple[str, Any]] = field(default_factory=list)  # MaxSessionDuration values
    attachments: list[tuple[str, Any]] = field(default_factory=list)  # ManagedPolicyArns entries


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!Ref x` is `{"Ref": x}`, `!Sub s` is `{"Fn::Sub": s}`)."""


def _short_form(loader: _TemplateLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)  # YAML has no other kind of node
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref" or suffix == "Condition":
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _short_form)


def _unique_mapping(loader: _TemplateLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    """A YAML mapping that writes a key twice: CloudFormation and this pack could read different values."""
    keys = [loader.construct_object(key, deep=True) for key, _ in node.value]
    repeated = sorted({str(key) for key in keys if keys.count(key) > 1})
    if repeated:
        raise yaml.constructor.ConstructorError(None, None, f"the key {repeated[0]!r} is repeated", node.start_mark)
    return loader.construct_mapping(node, deep=True)


_TemplateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def parse_template(body: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The template as a mapping (JSON, or YAML with short-form tags), or why it cannot be read."""
    if isinstance(body, dict):
        return body, None
    if not isinstance(body, str):
        return None, "templateBody is not text"
    try:
        parsed = json.loads(body, object_pairs_hook=unique_keys)
    except DuplicateKeyError as error:
        return None, f"templateBody repeats the key {error.key!r}, so AWS and this pack could read different values"
    except ValueError:
        try:
            parsed = yaml.load(body, Loader=_TemplateLoader)
        except yaml.YAMLError as error:
            return None, f"templateBody is neither JSON nor YAML ({error})"
    if not isinstance(parsed, dict):
        return None, "templateBody is not a mapping"
    return parsed, None


class _Resolver:
    def __init__(self, values: Mapping[str, Any], logical_ids: Sequence[str]) -> None:
        self.values = values
        self.logical_ids = set(logical_ids)

    def name(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self.logical_ids:
            return Reference(name)
        return f"{UNRESOLVED}{name}}}}}"

    def sub(self, template: Any, variables: Mapping[str, Any]) -> Any:
        if not isinstance(template, str):
            return f"{UNRESOLVED}Fn::Sub}}}}"

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return "${" + match.group(2) + "}"  # ${!Literal} is the literal text ${Literal}
            name = match.group(2)
            value = self.resolve(variables[name]) if name in variables else self.name(name)
            return value if isinstance(value, str) else f"{UNRESOLVED}{name}}}}}"

        return SUB_VARIABLE.sub(replace, template)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item != NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return NO_VALUE if argument == NO_VALUE else self.name(str(argument))
            if function == "Fn::Sub":
                if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
                    return self.sub(argument[0], argument[1])
                return self.sub(argument, {})
            if function == "Fn::Join":
                return self.join(argument)
            if function == "Fn::GetAtt" and isinstance(argument, list) and len(argument) == 2:
                return Reference(str(argument[0]), str(argument[1]))
            if function.startswith("Fn::") or function == "Condition":
                return f"{UNRESOLVED}{function}}}}}"
        return {key: item for key, item in ((k, self.resolve(v)) for k, v in value.items()) if item != NO_VALUE}

    def join(self, argument: Any) -> Any:
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
            parts = self.resolve(argument[1])
            if isinstance(parts, list) and all(isinstance(part, str) for part in parts):
                return argument[0].join(parts)
        return f"{UNRESOLVED}Fn::Join}}}}"


def unresolved(value: Any) -> bool:
    if isinstance(value, str):
        return UNRESOLVED in value or DYNAMIC_REFERENCE in value
    if isinstance(value, dict):
        return any(unresolved(k) or unresolved(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unresolved(item) for item in value)
    return isinstance(value, Reference)


def parameter_values(
    template: Mapping[str, Any], parameters: Mapping[str, Any] | None, overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    declared = template.get("Parameters")
    if not isinstance(declared, dict):
        declared = {}
    values = {name: spec["Default"] for name, spec in declared.items() if isinstance(spec, dict) and "Default" in spec}
    values.update(parameters or {})
    values.update(overrides or {})
    return {name: value for name, value in values.items() if name in declared and not _indirect(declared[name])}


def _indirect(spec: Any) -> bool:
    """A parameter whose value CloudFormation looks up at deployment (SSM types): neither default nor value is it."""
    kind = spec.get("Type") if isinstance(spec, dict) else None
    return not isinstance(kind, str) or kind.startswith(INDIRECT_PARAMETER_PREFIXES)


def template_iam(
    template_body: Any,
    template_url: Any = None,
    parameters: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> TemplateIam:
    """Read the template's IAM resources, resolved with `parameters` and one instance's `overrides`."""
    found = TemplateIam()
    if template_url:
        found.problems.append(
            f"templateUrl {template_url!r} points at a template the pack cannot read; pass the template as "
            "templateBody so it can be checked"
        )
    if template_body is None:
        if not template_url:
            found.problems.append("the StackSet or Stack has no templateBody to check")
        return found
    template, error = parse_template(template_body)
    if template is None:
        found.problems.append(f"{error}; give the template as JSON or YAML")
        return found
    for where, transform in _transforms(template):
        found.problems.append(
            f"the template uses a transform ({where}: {_shown(transform)}), which AWS expands only at deployment, "
            "so what it adds cannot be checked; expand it and pass the result"
        )
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        found.problems.append("the template has no Resources mapping")
        return found
    resolver = _Resolver(parameter_values(template, parameters, overrides), list(resources))
    for logical_id, resource in resources.items():
        _read_resource(found, resolver, str(logical_id), resource, resources)
    return found


def _transforms(value: Any, path: str = "template") -> list[tuple[str, Any]]:
    """Every `Transform` / `Fn::Transform` key (also `!Transform`), at any depth and beside any other keys."""
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _transforms(item, f"{path}[{index}]")]
    if not isinstance(value, dict):
        return []
    found = [(f"{path}.{key}", item) for key, item in value.items() if key in TRANSFORM_KEYS]
    for key, item in value.items():
        found.extend(_transforms(item, f"{path}.{key}"))
    return found


def _read_resource(
    found: TemplateIam, resolver: _Resolver, logical_id: str, resource: Any, resources: Mapping[str, Any]
) -> None:
    type_ = resource.get("Type") if isinstance(resource, dict) else None
    label = f"template resource {logical_id} ({type_})"
    if type_ not in CHECKED_TYPES:
        found.problems.append(
            f"{label}: this pack checks only {', '.join(sorted(CHECKED_TYPES))} in templates; it guards read-only "
            "access, so other resource types do not belong in this template"
        )
        return
    properties = resolver.resolve(resource.get("Properties") or {})
    if not isinstance(properties, dict):
        found.problems.append(f"{label}: Properties is not a mapping")
        return
    if type_ in DOCUMENT_TYPES:
        _document(found, f"{label} PolicyDocument", properties.get("PolicyDocument"))
        return
    if type_ == MEMBERSHIP:
        _groups(found, f"{label} GroupName", [properties.get("GroupName")], resources)
        return
    if type_ == "AWS::IAM::User":
        _groups(found, f"{label} Groups", as_list(properties.get("Groups") or []), resources)
    for index, inline in enumerate(as_list(properties.get("Policies") or [])):
        document = inline.get("PolicyDocument") if isinstance(inline, dict) else None
        _document(found, f"{label} Policies[{index}]", document)
    for arn in as_list(properties.get("ManagedPolicyArns") or []):
        _attachment(found, label, arn, resources)
    if type_ == "AWS::IAM::Role":
        trust = properties.get("AssumeRolePolicyDocument")
        if _resolved_fields(found, f"{label} AssumeRolePolicyDocument", trust):
            found.trusts.append((label, trust))
        if "MaxSessionDuration" in properties:
            found.sessions.append((label, _number(properties["MaxSessionDuration"])))


def _document(found: TemplateIam, label: str, document: Any) -> None:
    if _resolved_fields(found, label, document):
        found.documents.append((label, document))


def _resolved_fields(found: TemplateIam, label: str, document: Any) -> bool:
    """An effect, action or principal that cannot be resolved is a problem: the pack cannot know what it grants."""
    if isinstance(document, str):
        document, _ = parse_template(document) if document.strip().startswith("{") else (document, None)
    if not isinstance(document, dict):
        found.problems.append(f"{label}: the policy document cannot be resolved ({document!r})")
        return False
    clean = True
    for statement_label, statement in statements(document):
        if not isinstance(statement, dict):
            continue
        for key in SHOWN_FIELDS:
            if key in statement and unresolved(statement[key]):
                found.problems.append(
                    f"{label} {statement_label}: {key} {_shown(statement[key])} cannot be resolved from the "
                    "parameters; spell it out, or pass it as a parameter with a value"
                )
                clean = False
    return clean


def _groups(found: TemplateIam, label: str, groups: list[Any], resources: Mapping[str, Any]) -> None:
    """Each group must be one of this template's (`Ref`), whose policies the pack reads; any other is unknown."""
    for group in groups:
        target = resources.get(group.logical_id) if isinstance(group, Reference) else None
        if not (isinstance(target, dict) and target.get("Type") == GROUP and group.attribute is None):
            found.problems.append(
                f"{label}: puts a user in group {_shown(group)}, which is not a group of this template, so what its "
                "policies grant cannot be checked; declare the group in the template (Ref) with read-only policies"
            )


def _attachment(found: TemplateIam, label: str, arn: Any, resources: Mapping[str, Any]) -> None:
    if isinstance(arn, Reference):
        target = resources.get(arn.logical_id)
        if isinstance(target, dict) and target.get("Type") == "AWS::IAM::ManagedPolicy" and arn.attribute is None:
            return  # declared in this template, and checked there
        found.problems.append(f"{label}: attaches {arn.logical_id}, which is not a managed policy of this template")
    elif isinstance(arn, str) and not unresolved(arn):
        if managed_policy_name(arn) is None:
            found.problems.append(
                f"{label}: attaches {arn!r}, which is neither an AWS managed policy nor declared in this template, "
                "so it cannot be checked; declare the policy in the template"
            )
        else:
            found.attachments.append((label, arn))
    else:
        found.problems.append(f"{label}: attaches {_shown(arn)}, which cannot be resolved from the parameters")


def _number(value: Any) -> Any:
    """CloudFormation passes numbers as strings too (`"14400"`, a parameter's value)."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _shown(value: Any) -> str:
    if isinstance(value, Reference):
        return f"{value.logical_id}.{value.attribute}" if value.attribute else value.logical_id
    return repr(value)
