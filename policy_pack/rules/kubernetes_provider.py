"""What a Kubernetes provider's kubeconfig runs on the deploying machine, and where it sends what that makes.

A kubeconfig user's `exec` runs a command, with the deployer's AWS credentials in its environment, during preview
as well as `up`; an `auth-provider` plugin does the same. The cluster's `server` then receives the token: an
`aws eks get-token` token is a presigned STS request that signs in as the deployer, so a server (or `proxy-url`)
of someone else's choosing collects the deployer's access to the cluster. The program writes exactly one shape
(components/cluster_identity.kubeconfig): `aws eks get-token` with the cluster's name and region (and the deploy
role for another account), sent to the cluster's EKS endpoint. The text is read as client-go reads it (keys folded,
duplicates refused), and anything else is rejected with why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from .eks_identity import AwsAuthError, go_document
from .kubernetes_rbac import shown
from .unknowns import Unknown

# An EKS API endpoint: https://<id>.<cell>.<region>.eks.amazonaws.com (.com.cn in the China regions; dual-stack
# endpoints under api.aws). Only AWS can hold names in those domains.
# A loopback server (an API reached through a local tunnel or proxy) keeps the token on the deploying machine.
EKS_SERVER = re.compile(
    r"(https://[A-Za-z0-9]+\.[a-z0-9]+\.[a-z0-9-]+\.eks\.(amazonaws\.com(\.cn)?|api\.aws)"
    r"|https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?)/?"
)
GET_TOKEN = ("eks", "get-token")
GET_TOKEN_FLAGS = frozenset({"--cluster-name", "--cluster-id", "--region", "--role-arn"})
WHAT_TO_DO = "use the kubeconfig the program writes (aws eks get-token to the cluster's EKS endpoint)"


def check_kubeconfig(kubeconfig: Any) -> list[str]:
    """The provider's `kubeconfig` input (none: the deployer's own kubeconfig, which the pull request cannot set)."""
    if kubeconfig is None or isinstance(kubeconfig, Unknown):
        return []
    if not isinstance(kubeconfig, str):
        return [f"the provider's kubeconfig is {shown(kubeconfig)}, not kubeconfig text; {WHAT_TO_DO}"]
    try:
        config = go_document(kubeconfig)
    except AwsAuthError as error:
        return [f"the provider's kubeconfig cannot be read as client-go reads it ({error}); {WHAT_TO_DO}"]
    if not isinstance(config, dict):
        return [
            f"the provider's kubeconfig is {shown(config)}, not a kubeconfig (a file path is not read by the pack); "
            f"{WHAT_TO_DO}"
        ]
    problems = [
        *_entries(config, "users", "user", _user_problems),
        *_entries(config, "clusters", "cluster", _cluster_problems),
    ]
    return [f"the provider's kubeconfig {problem}; {WHAT_TO_DO}" for problem in problems]


def _entries(
    config: dict[str, Any], key: str, field: str, check: Callable[[dict[str, Any]], Iterator[str]]
) -> Iterator[str]:
    entries = config.get(key)
    if entries is None:
        return
    if not isinstance(entries, list):
        yield f"{key} is {shown(entries)}, not a list"
        return
    for index, entry in enumerate(entries):
        body = entry.get(field) if isinstance(entry, dict) else None
        if body is not None and not isinstance(body, dict):
            yield f"{key}[{index}].{field} is {shown(body)}, not an object"
        elif body is not None:
            yield from (f"{key}[{index}].{field} {problem}" for problem in check(body))


def _user_problems(user: dict[str, Any]) -> Iterator[str]:
    if user.get("auth-provider") is not None:
        yield "has an auth-provider, a plugin that runs on the deploying machine"
    exec_ = user.get("exec")
    if exec_ is None:
        return
    if not isinstance(exec_, dict):
        yield f"exec is {shown(exec_)}, not an object"
        return
    command, args, env = exec_.get("command"), exec_.get("args"), exec_.get("env")
    if command != "aws" or not isinstance(args, list) or tuple(args[:2]) != GET_TOKEN:
        yield f"runs {shown(command)} {shown(args)} on the deploying machine, not aws eks get-token"
    else:
        yield from _flag_problems(args[2:])
    if env:
        yield f"sets environment {shown(env)} for the command (which can make it run something else)"


def _flag_problems(flags: list[Any]) -> Iterator[str]:
    """`aws eks get-token` flags: only the cluster, the region and the role to assume, each with a value."""
    index = 0
    while index < len(flags):
        flag = flags[index]
        name = flag.split("=", 1)[0] if isinstance(flag, str) else flag
        if name not in GET_TOKEN_FLAGS:
            yield f"passes {shown(flag)} to aws eks get-token; only {', '.join(sorted(GET_TOKEN_FLAGS))} are accepted"
            return
        if isinstance(flag, str) and "=" in flag:
            index += 1
            continue
        value = flags[index + 1] if index + 1 < len(flags) else None
        if not isinstance(value, str) or value.startswith("-"):
            yield f"gives {flag} the value {shown(value)}; give it a value"
            return
        index += 2


def _cluster_problems(cluster: dict[str, Any]) -> Iterator[str]:
    server = cluster.get("server")
    if not (isinstance(server, str) and EKS_SERVER.fullmatch(server)):
        yield f"sends the token to server {shown(server)}, not an EKS endpoint (https://….eks.amazonaws.com)"
    if cluster.get("proxy-url") is not None:
        yield f"sends the token through proxy-url {shown(cluster['proxy-url'])}"
    if cluster.get("insecure-skip-tls-verify") not in (None, False):
        yield "skips TLS verification, so anyone on the path can take the token"
