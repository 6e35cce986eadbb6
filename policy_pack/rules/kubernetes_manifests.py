"""The Kubernetes objects one resource declares: itself, each item of a `...List`, or a ConfigGroup's inline manifests.

`kubernetes:yaml/v2:ConfigGroup` registers one object per document of its `yaml` text and per entry of `objs`, so
every check reads those documents as if each were declared on its own. Its `files`, a `ConfigFile` and a kustomize
`Directory` name files the pack cannot read (it runs in its own folder, and a URL or a git reference can change
between preview and `up`), so they are rejected rather than guessed at (kubernetes_grants.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from .kubernetes_rbac import KubernetesType, claimed_type, kubernetes_type, objects, shown
from .unknowns import Unknown

CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
KUSTOMIZE_DIRECTORY = "kubernetes:kustomize/v2:Directory"
# Components the program renders itself (in the SDK, not the provider), registering every object as a resource of its
# own, which the pack checks as declared; the component holds nothing to check.
IN_PROGRAM_COMPONENT_TYPES = frozenset(
    {
        "kubernetes:yaml:ConfigFile",
        "kubernetes:yaml:ConfigGroup",
        "kubernetes:kustomize:Directory",
        "kubernetes:helm.sh/v2:Chart",
        "kubernetes:helm.sh/v3:Chart",
    }
)
MAX_DOCUMENTS = 1_000  # more than any hand-written group; a bound on what one resource makes the pack read
LIST_DEPTH = 8  # `kind: List` inside `kind: List`: the provider flattens them; deeper is not a manifest


@dataclass(frozen=True)
class Manifests:
    """What a resource declares: (label, type, object) for each object, what cannot be read, and what is unknown."""

    objects: tuple[tuple[str, KubernetesType, Any], ...]
    problems: tuple[str, ...] = ()
    pending: tuple[Unknown, ...] = ()


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing what the provider's decoder reads differently or could blow up."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise yaml.constructor.ConstructorError(None, None, "merge keys (<<) are refused", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _documents(text: str) -> list[Any]:
    """Every YAML document of `text`; anchors and aliases are refused (they let a small text expand enormously)."""
    if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=_StrictLoader)):
        raise yaml.YAMLError("it uses anchors and aliases; write each object out")
    return [document for document in yaml.load_all(text, Loader=_StrictLoader) if document is not None]


def _flattened(label: str, document: Any, depth: int = 0) -> Iterator[tuple[str, KubernetesType, Any] | str | Unknown]:
    """Each object of a manifest document, `kind: List` (and `...List`) items as objects of their own; a problem as
    text, and what is not known yet."""
    if isinstance(document, Unknown):
        yield document
        return
    if not isinstance(document, dict):
        yield f"{label} is {shown(document)}, not a Kubernetes object"
        return
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if unknown := next(
        (value for value in (api_version, kind, document.get("items")) if isinstance(value, Unknown)), None
    ):
        yield unknown
        return
    if not isinstance(api_version, str) or not isinstance(kind, str):
        yield f"{label} has apiVersion {shown(api_version)} and kind {shown(kind)}; both must be strings"
        return
    if kind.lower().endswith("list") and "items" in document:
        if depth >= LIST_DEPTH or not isinstance(document["items"], list):
            yield f"{label} holds items the provider would not read as a list of objects"
            return
        for index, item in enumerate(document["items"]):
            yield from _flattened(f"{label} items[{index}]", item, depth + 1)
        return
    declared = claimed_type(KubernetesType("", "", "object"), document)
    if declared is not None:
        yield label, declared, document


def config_group_manifests(props: dict[str, Any]) -> Manifests:
    """The objects of a ConfigGroup's `yaml` and `objs` (its `files` are rejected on their own)."""
    documents: list[tuple[str, Any]] = []
    problems: list[str] = []
    pending: list[Unknown] = []
    texts, objs = props.get("yaml"), props.get("objs")
    for index, text in enumerate(texts if isinstance(texts, list) else [] if texts is None else [texts]):
        if isinstance(text, Unknown):
            pending.append(text)
        elif not isinstance(text, str):
            problems.append(f"yaml is {shown(text)}, not YAML text")
        else:
            try:
                documents.extend((f"yaml document #{n}", doc) for n, doc in enumerate(_documents(text)))
            except (yaml.YAMLError, RecursionError) as error:
                problems.append(
                    f"yaml #{index} cannot be read ({' '.join(str(error).split())}), so what it declares cannot be "
                    "checked; write plain YAML objects"
                )
    if isinstance(objs, Unknown):
        pending.append(objs)
    elif objs is not None:
        documents.extend((f"objs[{n}]", obj) for n, obj in enumerate(objs if isinstance(objs, list) else [objs]))
    if len(documents) > MAX_DOCUMENTS:
        return Manifests((), (f"declares {len(documents)} objects; split it below {MAX_DOCUMENTS}",), ())
    found: list[tuple[str, KubernetesType, Any]] = []
    for label, document in documents:
        for item in _flattened(label, document):
            if isinstance(item, Unknown):
                pending.append(item)
            elif isinstance(item, str):
                problems.append(item)
            else:
                found.append((f"{item[0]}: ", item[1], item[2]))
    return Manifests(tuple(found), tuple(problems), tuple(pending))


def declared_objects(resource_type: str, props: dict[str, Any]) -> Manifests:
    """Every Kubernetes object `props` (resolved) declares, each with the type it is checked as."""
    if resource_type == CONFIG_GROUP:
        return config_group_manifests(props)
    declared = kubernetes_type(resource_type)
    if declared is None:
        return Manifests(())
    return Manifests(tuple((label, declared, obj) for label, obj in objects(declared, props)))
