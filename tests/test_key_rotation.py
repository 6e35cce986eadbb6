"""Rotating the access key through its two slots, on the mock engine: at no step is there no active key."""

from __future__ import annotations

import pytest

from automation.mock_engine import AwsMocks, MockRun, run_program
from components.inventory_user import key_slot_statuses
from components.stack_config import KeySlot, UserConfig
from tests.conftest import PROJECT_DIR, of_type, stack_config

ACCESS_KEY = "aws:iam/accessKey:AccessKey"
SLOT_ONE_URN_SUFFIX = "InventoryUser$aws:iam/accessKey:AccessKey::inventory-user"
# Two full rotations: 1 -> 2, then 2 -> 1. Between steps the user hands Axonius the new key and runs verify.
ROTATION = [
    (1, "absent"),
    (1, "active"),
    (2, "active"),
    (2, "inactive"),
    (2, "absent"),
    (2, "active"),
    (1, "active"),
    (1, "inactive"),
    (1, "absent"),
]


def keys_by_slot(run: MockRun) -> dict[int, tuple[str, str]]:
    """Slot to (key ID, status): the status the engine returned, the ID the `accessKeys` output lists."""
    ids = {entry["slot"]: entry["accessKeyId"] for entry in run.outputs["accessKeys"].value}
    found = {}
    for resource in of_type(run, ACCESS_KEY):
        slot = 2 if resource.name.endswith("-key-2") else 1
        found[slot] = (ids[slot], resource.wire_outputs.fields["status"].string_value)
    return found


@pytest.fixture(scope="module")
def runs() -> list[MockRun]:
    return [
        run_program(PROJECT_DIR, "test", stack_config({"user": {"activeKey": a, "otherKey": o}}), [], AwsMocks())
        for a, o in ROTATION
    ]


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (UserConfig(), {1: "Active"}),
        (UserConfig(active_key=2), {2: "Active"}),
        (UserConfig(active_key=1, other_key=KeySlot.ACTIVE), {1: "Active", 2: "Active"}),
        (UserConfig(active_key=2, other_key=KeySlot.INACTIVE), {1: "Inactive", 2: "Active"}),
        (UserConfig(access_key=False), {}),
    ],
)
def test_slot_statuses(user, expected):
    assert key_slot_statuses(user) == expected


def test_slot_one_keeps_the_single_keys_resource_name(run_stack):
    run = run_stack({})
    (key,) = of_type(run, ACCESS_KEY)
    assert key.urn.endswith(SLOT_ONE_URN_SUFFIX) and key.name == "inventory-user"
    assert key.inputs["status"] == "Active"


def test_each_step_declares_the_slots_asked_for_with_the_active_one_active(runs):
    for (active, other), run in zip(ROTATION, runs, strict=True):
        keys = keys_by_slot(run)
        assert keys[active][1] == "Active"
        other_slot = 3 - active
        if other == "absent":
            assert other_slot not in keys
        else:
            assert keys[other_slot][1] == other.capitalize()
        assert any(status == "Active" for _, status in keys.values()), (active, other)


def test_outputs_name_the_active_key_and_show_both_with_secrets_secret(runs):
    for (active, _), run in zip(ROTATION, runs, strict=True):
        keys, outputs = keys_by_slot(run), run.outputs
        assert outputs["activeKey"].value == active
        assert outputs["accessKeyId"].value == keys[active][0] and not outputs["accessKeyId"].secret
        assert outputs["secretAccessKey"].secret
        assert outputs["secretAccessKey"].value == outputs[f"secretAccessKey{active}"].value
        listed = {entry["slot"]: entry["status"] for entry in outputs["accessKeys"].value}
        assert listed == {slot: status for slot, (_, status) in keys.items()} and not outputs["accessKeys"].secret
        for slot in (1, 2):
            name = f"secretAccessKey{slot}"
            assert (name in outputs) == (slot in keys)
            assert name not in outputs or (outputs[name].secret and len(outputs[name].value) == 40)


def test_the_key_axonius_holds_stays_active_through_the_rotation(runs):
    """Axonius takes the key of a slot as soon as it appears (and is verified); the old one is retired only after."""
    held, previous = 1, set()
    for (active, other), run in zip(ROTATION, runs, strict=True):
        keys = keys_by_slot(run)
        assert keys.get(held, ("", "deleted"))[1] == "Active", f"step {active}/{other}: the held slot {held} is not"
        appeared = [slot for slot in keys.keys() - previous if keys[slot][1] == "Active"]
        held, previous = (appeared[0] if previous and appeared else held), set(keys)
    assert held == 1  # two rotations bring the adapter back to slot 1


def test_the_two_slots_have_different_keys(runs):
    keys = keys_by_slot(runs[1])
    assert keys[1][0] != keys[2][0]


def test_no_key_settings_without_an_access_key(run_stack):
    run = run_stack({"user": {"accessKey": False}})
    assert not of_type(run, ACCESS_KEY)
    assert not {"activeKey", "accessKeys", "secretAccessKey1", "secretAccessKey2"} & set(run.outputs)
