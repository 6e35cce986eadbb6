"""add_mapping / remove_mapping: foreign entries and keys always survive."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components.aws_auth import add_mapping, find_mapping, remove_mapping

KINDS = ("mapUsers", "mapRoles")
OUR_USER = "arn:aws:iam::111111111111:user/Axonius-Readonly"
OUR_ROLE = "arn:aws:iam::222222222222:role/Axonius-Readonly-Role"
OURS = {"mapUsers": OUR_USER, "mapRoles": OUR_ROLE}
GROUPS = ["axonius-readonly"]

names = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
accounts = st.from_regex(r"\d{12}", fullmatch=True)


@st.composite
def foreign_entry(draw, kind: str) -> dict:
    field = "userarn" if kind == "mapUsers" else "rolearn"
    resource = "user" if kind == "mapUsers" else "role"
    arn = f"arn:aws:iam::{draw(accounts)}:{resource}/{draw(names)}"
    entry = {field: arn, "username": draw(st.sampled_from([draw(names), "system:node:{{EC2PrivateDNSName}}"]))}
    entry["groups"] = draw(st.lists(st.sampled_from(["system:masters", "system:bootstrappers", "system:nodes", "dev"])))
    return entry


@st.composite
def config_maps(draw) -> dict[str, str]:
    data: dict[str, str] = {}
    for kind in KINDS:
        if draw(st.booleans()):
            entries = [
                e
                for e in draw(st.lists(foreign_entry(kind), max_size=4))
                if e.get("userarn", e.get("rolearn")) != OURS[kind]
            ]
            data[kind] = yaml.safe_dump(entries, default_flow_style=draw(st.booleans()))
    if draw(st.booleans()):
        data["mapAccounts"] = yaml.safe_dump([draw(accounts)])
    if draw(st.booleans()):
        data["unknownKey"] = draw(st.text(max_size=30))
    return data


def parsed(data: dict[str, str]) -> dict:
    """Parsed content; an absent or empty list is the same to aws-auth."""
    out = {}
    for key, value in data.items():
        loaded = yaml.safe_load(value) if key in (*KINDS, "mapAccounts") else value
        if loaded not in (None, []):
            out[key] = loaded
    return out


def foreign(data: dict[str, str]) -> dict:
    content = parsed(data)
    for kind in KINDS:
        if kind in content:
            field = "userarn" if kind == "mapUsers" else "rolearn"
            content[kind] = [e for e in content[kind] if e.get(field) != OURS[kind]]
            if not content[kind]:
                del content[kind]
    return content


operations = st.lists(
    st.tuples(st.sampled_from(["add", "remove"]), st.sampled_from(KINDS), st.sampled_from(["u1", "u2"])),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(config_maps(), operations)
def test_foreign_entries_and_keys_survive_every_sequence(data, steps):
    current = dict(data)
    for operation, kind, username in steps:
        if operation == "add":
            current = add_mapping(current, kind, OURS[kind], username, GROUPS)
            assert find_mapping(current, kind, OURS[kind]) == {
                ("userarn" if kind == "mapUsers" else "rolearn"): OURS[kind],
                "username": username,
                "groups": GROUPS,
            }
        else:
            current = remove_mapping(current, kind, OURS[kind])
            assert find_mapping(current, kind, OURS[kind]) is None
        assert foreign(current) == foreign(data)


@settings(max_examples=100, deadline=None)
@given(config_maps(), st.sampled_from(KINDS))
def test_adding_twice_equals_adding_once_and_remove_gives_the_foreign_content_back(data, kind):
    once = add_mapping(data, kind, OURS[kind], "axonius-readonly", GROUPS)
    assert add_mapping(once, kind, OURS[kind], "axonius-readonly", GROUPS) == once
    assert parsed(remove_mapping(once, kind, OURS[kind])) == parsed(data)


def test_an_update_stays_in_place():
    data = {"mapUsers": yaml.safe_dump([{"userarn": "arn:aws:iam::1:user/a"}, {"userarn": OUR_USER}, {"userarn": "b"}])}
    updated = add_mapping(data, "mapUsers", OUR_USER, "new-name", GROUPS)
    entries = yaml.safe_load(updated["mapUsers"])
    assert [e["userarn"] for e in entries] == ["arn:aws:iam::1:user/a", OUR_USER, "b"]
    assert entries[1]["username"] == "new-name"


def test_removing_what_is_not_there_rewrites_nothing():
    data = {"mapUsers": "- userarn: arn:aws:iam::1:user/a   # a comment we keep\n  username: a\n"}
    assert remove_mapping(data, "mapUsers", OUR_USER) == data


@pytest.mark.parametrize("bad", ["- userarn: [unclosed", "userarn: not-a-list", "{a: b}"])
def test_invalid_yaml_is_refused_naming_the_key(bad):
    data = {"mapUsers": bad, "mapRoles": "- rolearn: x"}
    with pytest.raises(ValueError, match="aws-auth mapUsers is not"):
        add_mapping(data, "mapUsers", OUR_USER, "axonius-readonly", GROUPS)
    with pytest.raises(ValueError, match="aws-auth mapUsers"):
        remove_mapping(data, "mapUsers", OUR_USER)
    assert add_mapping(data, "mapRoles", OUR_ROLE, "axonius-readonly", GROUPS)["mapUsers"] == bad  # untouched


@pytest.mark.parametrize(
    ("kind", "arn", "groups", "expected"),
    [
        ("mapUsers", OUR_ROLE, GROUPS, "is not an IAM user ARN"),
        ("mapRoles", OUR_USER, GROUPS, "is not an IAM role ARN without a path"),
        ("mapRoles", "arn:aws:iam::222222222222:role/path/Role", GROUPS, "without a path"),
        ("mapUsers", "*", GROUPS, "is not an IAM user ARN"),
        ("mapUsers", OUR_USER, ["system:masters"], "reserved"),
        ("mapUsers", OUR_USER, ["system:nodes"], "reserved"),
        ("mapAccounts", OUR_USER, GROUPS, "kind must be mapUsers or mapRoles"),
    ],
)
def test_entries_that_must_never_be_written_are_refused(kind, arn, groups, expected):
    with pytest.raises(ValueError, match=expected):
        add_mapping({}, kind, arn, "axonius-readonly", groups)
