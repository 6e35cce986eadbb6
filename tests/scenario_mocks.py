"""AwsMocks with the situations only tests need: re-created resources, clusters per mode, clusters that are gone."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from automation.mock_engine import AwsMocks


class ScenarioMocks(AwsMocks):
    """`generation` changes every created ID, as re-creating a resource in AWS does; `authentication_modes` sets
    a cluster's EKS mode; a cluster in `missing_clusters` cannot be read. Each resource type created is recorded."""

    def __init__(
        self,
        *,
        generation: str = "",
        authentication_modes: Mapping[str, str] | None = None,
        missing_clusters: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.generation = generation
        self.authentication_modes = dict(authentication_modes or {})
        self.missing_clusters = missing_clusters
        self.created: list[str] = []

    def created_id(self, prefix: str, *parts: str, length: int = 17) -> str:
        return super().created_id(prefix, *parts, self.generation, length=length)

    def authentication_mode(self, cluster: str) -> str:
        return self.authentication_modes.get(cluster, super().authentication_mode(cluster))

    def eks_cluster(self, name: str, region: str, provider_reference: str) -> dict | tuple[dict, list]:
        if name in self.missing_clusters:
            return {}, [("name", f"reading EKS Cluster ({name}): couldn't find resource")]  # as the provider fails
        return super().eks_cluster(name, region, provider_reference)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        self.created.append(args.typ)
        return super().new_resource(args)
