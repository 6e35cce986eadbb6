"""The example stacks deploy side by side in one account: no physical name is declared twice."""

from __future__ import annotations

from typing import Any

from automation.plan import PlanResult, plan, resource_places

# What AWS and Kubernetes key each object by, beyond where it lives.
IDENTITY_INPUTS = {
    "aws:iam/user:User": ("name",),
    "aws:iam/role:Role": ("name",),
    "aws:iam/policy:Policy": ("name",),
    "aws:eks/accessEntry:AccessEntry": ("region", "clusterName", "principalArn"),
    "pulumi-python:dynamic/eks:AwsAuthMapping": ("region", "clusterName", "arn"),
}


def physical_names(result: PlanResult) -> set[tuple[Any, ...]]:
    places = resource_places(result)
    names = set()
    for resource in result.resources:
        if resource.type in IDENTITY_INPUTS:
            names.add(
                (places[resource.urn], resource.type, *(resource.inputs[k] for k in IDENTITY_INPUTS[resource.type]))
            )
        elif resource.type.startswith("kubernetes:"):
            names.add((places[resource.urn], resource.type, resource.inputs["metadata"]["name"]))
    return names


def test_dev_and_prod_declare_no_name_twice_in_one_account():
    dev, prod = plan("dev", policies=False), plan("prod", policies=False)
    assert dev.home_account == prod.home_account
    dev_names, prod_names = physical_names(dev), physical_names(prod)
    assert {name[1] for name in prod_names} >= set(IDENTITY_INPUTS)
    assert dev_names and not dev_names & prod_names


def test_prod_keeps_a_cluster_in_every_mode_each_in_an_account_it_deploys_to():
    prod = plan("prod", policies=False)
    clusters = prod.outputs["eksClusters"].value
    assert {cluster["mode"] for cluster in clusters} == {"accessEntry", "awsAuth"}
    deployed_accounts = {place for place in resource_places(prod).values() if not place.startswith("cluster ")}
    assert {cluster["account"] for cluster in clusters} <= deployed_accounts
