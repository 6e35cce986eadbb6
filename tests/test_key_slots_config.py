"""The two access-key slots in the stack config: `user.activeKey` and `user.otherKey`."""

from __future__ import annotations

import pytest

from components.config_validation import parse_stack_config
from components.stack_config import ConfigError, UserConfig


def problems(catalog, user: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config({"user": user}, catalog)
    return list(caught.value.problems)


def test_defaults_are_one_active_key_in_slot_one(catalog):
    user = parse_stack_config({}, catalog).user
    assert (user.active_key, user.other_key) == (1, "absent")


@pytest.mark.parametrize(
    ("active", "other"), [(1, "absent"), (1, "active"), (2, "active"), (2, "inactive"), (2, "absent"), (1, "inactive")]
)
def test_every_step_of_a_rotation_parses(catalog, active, other):
    user = parse_stack_config({"user": {"activeKey": active, "otherKey": other}}, catalog).user
    assert user == UserConfig(active_key=active, other_key=other)


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"activeKey": 3}, "user.activeKey: 3 is not accepted; expected 1 or 2"),
        ({"activeKey": "2"}, "user.activeKey: '2' is not accepted; expected 1 or 2"),
        ({"activeKey": True}, "user.activeKey: True is not accepted; expected 1 or 2"),
        ({"otherKey": "deleted"}, "user.otherKey: 'deleted' is not accepted; expected absent, active or inactive"),
        ({"otherKey": False}, "user.otherKey: False is not accepted; expected absent, active or inactive"),
        (
            {"accessKey": False, "activeKey": 2},
            "user.activeKey: 2 is not accepted; expected 1 or no value when user.accessKey is false",
        ),
        (
            {"accessKey": False, "otherKey": "active"},
            "user.otherKey: 'active' is not accepted; expected 'absent' or no value when user.accessKey is false",
        ),
        (
            {"activeKy": 2},
            "user.activeKy: unknown key (did you mean activeKey?); accepted keys are name, path, accessKey, activeKey, "
            "otherKey, maxManagedPolicies",
        ),
    ],
)
def test_bad_slot_settings_name_the_key_the_value_and_what_is_accepted(catalog, user, expected):
    found = problems(catalog, user)
    assert any(problem.startswith(expected) for problem in found), found


def test_defaults_spelled_out_are_fine_without_an_access_key(catalog):
    user = parse_stack_config({"user": {"accessKey": False, "activeKey": 1, "otherKey": "absent"}}, catalog).user
    assert not user.access_key and (user.active_key, user.other_key) == (1, "absent")
