"""Every part of the node reads an effortQuantity the same way (fedcommons.effort)."""

from datetime import datetime, timezone

import pytest

from fedcommons.effort import MAX_MINUTES, claimed_minutes, quantity_minutes
from fedcommons.errors import BadInput
from fedcommons.services.log import projection
from fedcommons.standing import build_ledger, contributions

NODE = "https://node.example"
POOL = f"{NODE}/pools/garden"
ALICE = f"{NODE}/users/alice"

# (hasUnit, hasNumericalValue) as logs may hold them, read or not.
QUANTITIES = [
    ("minute", 90), ("hour", 2), ("hour", "2.5"), ("hour", 0.1), ("minute", "30"), ("minute", 0),
    ("hour", 168), ("minute", 2.5), ("minute", MAX_MINUTES + 1), ("hour", 169), ("minute", 20_000),
    ("minute", -5), ("hour", "-1"), ("minute", "1e3"), ("minute", "+5"), ("minute", True),
    ("minute", None), ("second", 60), ("minute", float("nan")), ("hour", "2,5"),
    (["minute"], 5), ({"id": "minute"}, 5), ("minute", [5]),
]


def create(unit, value) -> dict:
    obj = {"id": f"{NODE}/contributions/c", "type": ["Note", "Contribution"], "attributedTo": ALICE,
           "provider": ALICE, "receiver": POOL, "action": "work", "kind": "code",
           "effortQuantity": {"type": "Measure", "hasUnit": unit, "hasNumericalValue": value},
           "published": "2024-01-02T00:00:00Z"}
    return {"type": "Create", "id": f"{NODE}/activities/c", "actor": ALICE, "published": obj["published"],
            "object": obj}


@pytest.mark.parametrize(("unit", "value"), QUANTITIES)
def test_the_query_tables_count_what_the_standing_ledger_counts(unit, value):
    activity = create(unit, value)
    counted = contributions(build_ledger([activity], POOL), datetime(2024, 2, 1, tzinfo=timezone.utc))
    projected = projection._new_contribution(1, activity).minutes
    assert type(projected) is int
    if counted:
        assert projected == round(counted[0].minutes)
    else:
        assert projected == 0, "an effort the standings ignore shows as none in the tables"


def test_fractional_minutes_are_rounded_half_even_in_the_tables():
    assert [projection._new_contribution(1, create("minute", v)).minutes for v in (2.5, 3.5, "0.4")] == [2, 4, 0]


@pytest.mark.parametrize(("unit", "value", "minutes"), [
    ("minute", 90, 90), ("hour", 2, 120), ("hour", "1.5", 90), ("hour", 0.25, 15), ("minute", "45.0", 45),
    ("hour", 168, MAX_MINUTES),
])
def test_a_new_contribution_claims_whole_positive_minutes(unit, value, minutes):
    assert claimed_minutes({"hasUnit": unit, "hasNumericalValue": value}) == minutes


@pytest.mark.parametrize(("unit", "value"), [
    ("minute", 0), ("minute", 2.5), ("hour", 0.001), ("minute", MAX_MINUTES + 1), ("minute", "1e2"),
    ("minute", -1), ("day", 1), (None, 5), ("minute", False),
])
def test_a_new_contribution_refuses_any_other_effort(unit, value):
    with pytest.raises(BadInput, match="positive whole number of minutes, at most a week"):
        claimed_minutes({"hasUnit": unit, "hasNumericalValue": value})


def test_anything_but_a_quantity_object_is_unreadable():
    for effort in (None, 90, "90m", [{"hasUnit": "minute", "hasNumericalValue": 90}]):
        assert quantity_minutes(effort) is None
