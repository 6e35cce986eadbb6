"""Kubernetes objects that grant access without RBAC: rejected, each with why and what to do instead.

RBAC is not the only way to what it guards. A service-account token Secret makes the cluster mint a long-lived
token of the account it names; an admission webhook or policy is sent (and may rewrite) every object it matches,
Secrets included; a GitOps object (Flux, Argo CD, ...) applies manifests from elsewhere, which the pack never sees; a
workload runs code with a service account's token (any account of its namespace, by name); a certificate signing
request or a TokenRequest mints credentials; an APIService or a CRD conversion webhook has the API server send
requests, with what they carry, to a service of the author's choosing; Endpoints join an existing service's traffic;
a CSIDriver asking for tokenRequests receives the tokens of the pods mounting it; kube-system's ConfigMaps and
Secrets configure the cluster's own components. The inventory needs none of them.

Kinds are (group, lower-case kind) pairs, whatever the version or the Patch/List form, so every spelling (typed
resource, CustomResource token, ConfigGroup manifest) meets the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .kubernetes_manifests import CONFIG_FILE, CONFIG_GROUP, KUSTOMIZE_DIRECTORY
from .kubernetes_rbac import KubernetesType, annotations_named, kind_key, kind_keys, shown
from .unknowns import Unknown

ADMISSION_KINDS = kind_keys(
    "admissionregistration.k8s.io",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
)
WORKLOAD_KINDS = (
    kind_keys("", "Pod", "PodTemplate", "ReplicationController")
    | kind_keys("apps", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
    | kind_keys("extensions", "Deployment", "DaemonSet", "ReplicaSet")
    | kind_keys("batch", "Job", "CronJob")
)
CREDENTIAL_KINDS = kind_keys("certificates.k8s.io", "CertificateSigningRequest", "PodCertificateRequest") | kind_keys(
    "authentication.k8s.io", "TokenRequest"
)
API_SERVICE_KINDS = kind_keys("apiregistration.k8s.io", "APIService")
ENDPOINT_KINDS = kind_keys("", "Endpoints") | kind_keys("discovery.k8s.io", "EndpointSlice")
# Controllers that apply what another object points at (a git repository, a chart, a package, an operator).
GITOPS_GROUPS = frozenset(
    {
        "argoproj.io",
        "core.oam.dev",
        "fleet.cattle.io",
        "helm.cattle.io",
        "kappctrl.k14s.io",
        "packaging.carvel.dev",
        "operators.coreos.com",
        "pkg.crossplane.io",
    }
)
GITOPS_GROUP_SUFFIXES = (".fluxcd.io", ".argoproj.io")  # Flux v2 (*.toolkit.fluxcd.io) and v1 (helm.fluxcd.io)
SECRET_KINDS = kind_keys("", "Secret")
CONFIG_MAP_KINDS = kind_keys("", "ConfigMap")
# Namespaces whose ConfigMaps and Secrets configure the cluster's own components: CoreDNS and kube-proxy (where
# in-cluster traffic, tokens included, goes), extension-apiserver-authentication (whom aggregated API servers trust
# to name the caller), cluster-info (how nodes trust the cluster). aws-auth is read by eks-identity-mappings.
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public"})
CRD_KINDS = kind_keys("apiextensions.k8s.io", "CustomResourceDefinition")
CSI_DRIVER_KINDS = kind_keys("storage.k8s.io", "CSIDriver")
# Components whose objects come from files or directories the pack cannot read.
FILE_COMPONENT_TYPES = frozenset({CONFIG_FILE, KUSTOMIZE_DIRECTORY})

# Secret types the cluster turns into credentials, and the annotation naming the account a token is minted for.
TOKEN_SECRET_TYPES = frozenset({"kubernetes.io/service-account-token", "bootstrap.kubernetes.io/token"})
SERVICE_ACCOUNT_ANNOTATION = "kubernetes.io/service-account.name"

REJECTED_KIND_REASONS: tuple[tuple[frozenset[tuple[str, str]], str], ...] = (
    (
        ADMISSION_KINDS,
        "an admission webhook or policy is sent (and, mutating, may rewrite) every object it matches, Secrets and "
        "the objects of other users included, so it reads and writes far beyond what RBAC grants",
    ),
    (
        WORKLOAD_KINDS,
        "a workload runs code in the cluster with the token of its service account (any existing account of its "
        "namespace, by serviceAccountName), and may mount Secrets or host paths, so it acts as that account",
    ),
    (
        CREDENTIAL_KINDS,
        "it mints credentials: a signed client certificate authenticates as whoever its subject names, a token as "
        "its service account",
    ),
    (
        ENDPOINT_KINDS,
        "endpoints join an existing service's traffic (an EndpointSlice by its kubernetes.io/service-name label), "
        "the API server's own `kubernetes` service included, whose clients send their service-account tokens",
    ),
    (
        API_SERVICE_KINDS,
        "an APIService has the API server forward requests for a whole API group, with the caller's identity and "
        "what the requests carry, to a service of its author's choosing",
    ),
)
TO_DO = "the read-only inventory needs none: remove it from the stack"


def is_gitops(declared: KubernetesType) -> bool:
    return declared.group in GITOPS_GROUPS or declared.group.endswith(GITOPS_GROUP_SUFFIXES)


def is_rejected_kind(declared: KubernetesType) -> bool:
    """Whether every object of this kind is rejected (what the type table places as rejected)."""
    return is_gitops(declared) or any(kind_key(declared) in kinds for kinds, _ in REJECTED_KIND_REASONS)


def rejected_kind_problems(declared: KubernetesType) -> list[str]:
    what = f"{declared.kind} ({declared.group or 'core'})"
    if is_gitops(declared):
        return [
            f"{what} has a GitOps or package controller apply manifests from elsewhere (a repository, chart or "
            f"package), which the pack never sees, so what they grant cannot be checked; declare the objects in "
            f"this stack instead"
        ]
    return [f"{what}: {reason}; {TO_DO}" for kinds, reason in REJECTED_KIND_REASONS if kind_key(declared) in kinds]


def check_system_object(declared: KubernetesType, obj: Any) -> list[str]:
    """A ConfigMap or Secret in kube-system or kube-public (but aws-auth), which the cluster's components read."""
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(metadata, dict) or metadata.get("namespace") not in SYSTEM_NAMESPACES:
        return []
    name = metadata.get("name")
    if kind_key(declared) in CONFIG_MAP_KINDS and name == "aws-auth" and metadata["namespace"] == "kube-system":
        return []
    return [
        f"the {declared.kind} {shown(name)} in {metadata['namespace']} configures the cluster's own components "
        f"(CoreDNS, kube-proxy, whom the API server's extensions trust), which can send others' traffic and tokens "
        f"elsewhere; {TO_DO}"
    ]


def check_secret(obj: Any) -> list[str]:
    """A Secret the cluster would fill with a service-account or bootstrap token (or a patch turning one into it)."""
    if not isinstance(obj, dict):
        return [] if isinstance(obj, Unknown) else [f"the Secret is {shown(obj)}, not an object"]
    problems = []
    secret_type = obj.get("type")
    if isinstance(secret_type, str) and secret_type.strip().lower() in TOKEN_SECRET_TYPES:
        problems.append(
            f"the Secret has type {secret_type!r}: the cluster fills it with a long-lived token (of the service "
            f"account it names, or a bootstrap token), a credential beyond anything RBAC here grants; {TO_DO}"
        )
    elif secret_type is not None and not isinstance(secret_type, (str, Unknown)):
        problems.append(f"the Secret's type is {shown(secret_type)}, not a string; write the type as a string")
    problems.extend(
        f"the Secret's annotation {key!r} names service account {shown(account)}, whose token the cluster puts in "
        f"it; {TO_DO}"
        for key, account in annotations_named(obj, SERVICE_ACCOUNT_ANNOTATION)
    )
    return problems


def check_custom_resource_definition(obj: Any) -> list[str]:
    """A CRD whose conversion webhook receives every object of the type, in every request, as the server reads it."""
    spec = obj.get("spec") if isinstance(obj, dict) else None
    conversion = spec.get("conversion") if isinstance(spec, dict) else None
    if conversion is None or isinstance(conversion, Unknown):
        return []
    if not isinstance(conversion, dict):
        return [f"spec.conversion is {shown(conversion)}, not an object"]
    strategy = conversion.get("strategy")
    hooks = [key for key in ("webhook", "webhookClientConfig") if conversion.get(key) is not None]
    if strategy in (None, "None") and not hooks:
        return []
    if isinstance(strategy, Unknown) and not hooks:
        return []
    return [
        f"the CustomResourceDefinition converts with a webhook (strategy {shown(strategy)}): the API server sends "
        "every object of the type through a service of its author's choosing, which can read and rewrite them; "
        "use strategy 'None' or remove the definition"
    ]


def check_csi_driver(obj: Any) -> list[str]:
    """A CSIDriver with `tokenRequests`: the kubelet hands every mounting pod's service-account token to the driver."""
    spec = obj.get("spec") if isinstance(obj, dict) else None
    requests = spec.get("tokenRequests") if isinstance(spec, dict) else None
    if requests in (None, []) or isinstance(requests, Unknown):
        return []
    return [
        f"the CSIDriver asks for tokenRequests {shown(requests)}: the kubelet hands the service-account token of "
        f"every pod mounting its volumes to the driver, which then acts as those accounts; {TO_DO}"
    ]


def check_component(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """ConfigFile, kustomize Directory and ConfigGroup `files`: objects from files the pack cannot read."""
    if resource_type in FILE_COMPONENT_TYPES:
        source = props.get("file", props.get("directory"))
    elif resource_type == CONFIG_GROUP and props.get("files"):
        source = props.get("files")
    else:
        return []
    return [
        f"{resource_type} applies the objects of {shown(source)}, files (or URLs, or git references) the pack "
        "cannot read, and that can change between preview and up, so what they grant cannot be checked; put the "
        "objects inline in a ConfigGroup's yaml or objs, or declare them as typed resources"
    ]
