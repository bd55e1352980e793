"""Effort rules (fedcommons.effort_rules): named, versioned, parameters checked, pure."""

from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fedcommons.effort import MAX_MINUTES
from fedcommons.effort_rules import (RULES, item_minutes, parse_params, rule, session_minutes,
                                     split)
from fedcommons.errors import BadInput

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


def test_every_rule_has_a_versioned_name_and_defaults():
    assert set(RULES) == {"sessions/1", "flat/1", "lines/1", "claim/1"}
    assert rule("sessions/1").parameters == {"gap": 120, "allowance": 30}
    assert rule("sessions/1").describe() == {"method": "sessions/1", "parameters": {"allowance": 30, "gap": 120}}
    assert rule("claim/1").describe() == {"method": "claim/1", "parameters": {}}


@pytest.mark.parametrize(("name", "params", "message"), [
    ("sessions/2", {}, "unknown effort rule 'sessions/2'"),
    ("hours", {}, "unknown effort rule"),
    ("flat/1", {"gap": "1"}, "flat/1 has no parameter 'gap'"),
    ("claim/1", {"minutes": "5"}, "claim/1 has no parameter 'minutes' (its parameters: none)"),
    ("sessions/1", {"gap": "0"}, "gap must be from 1"),
    ("sessions/1", {"gap": "2 weeks"}, "cannot read effort"),
    ("lines/1", {"per_hour": "1.5"}, "per_hour must be a whole number"),
    ("lines/1", {"min": "300", "cap": "60"}, "min must not exceed cap"),
    ("flat/1", {"minutes": True}, "whole number"),
])
def test_an_unknown_rule_or_a_bad_parameter_is_bad_input(name, params, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        rule(name, params)


def test_durations_may_be_written_as_efforts():
    assert rule("sessions/1", {"gap": "2h", "allowance": "45m"}).parameters == {"gap": 120, "allowance": 45}
    assert parse_params(["gap=3h", " allowance = 10 "]) == {"gap": "3h", "allowance": "10"}
    with pytest.raises(BadInput, match="K=V"):
        parse_params(["gap"])


def test_flat_lines_and_claim():
    assert item_minutes(rule("flat/1", {"minutes": "90"}), {}) == 90
    assert item_minutes(rule("claim/1"), {"lines_added": 500}) == 0
    lines = rule("lines/1", {"per_hour": "60", "min": "5", "cap": "240"})
    assert item_minutes(lines, {"lines_added": 30, "lines_deleted": 10}) == 40
    assert item_minutes(lines, {"lines_added": 1}) == 5       # at least min
    assert item_minutes(lines, {"lines_added": 5335}) == 240  # at most cap
    assert item_minutes(rule("lines/1", {"per_hour": "100"}), {"lines_added": 101}) == 61  # rounded up


def test_a_session_counts_its_span_plus_the_allowance():
    sessions = rule("sessions/1", {"gap": "60", "allowance": "30"})
    times = [T0, T0 + timedelta(minutes=20), T0 + timedelta(minutes=50),  # one session: 50 + 30
             T0 + timedelta(hours=5), T0 + timedelta(hours=5, minutes=10)]  # another: 10 + 30
    parts, previous = [], None
    for when in times:
        parts.append(session_minutes(sessions, when, previous))
        previous = when
    assert parts == [30, 20, 30, 30, 10]
    assert sum(parts) == (50 + 30) + (10 + 30)


def test_an_item_earlier_than_the_previous_one_starts_a_session():
    sessions = rule("sessions/1")
    assert session_minutes(sessions, T0, T0 + timedelta(minutes=5)) == 30
    assert session_minutes(sessions, T0, T0) == 0


def test_split_is_equal_unless_shares_are_given():
    assert split(60, [None, None, None]) == [20, 20, 20]
    assert split(10, [None, None, None]) == [4, 3, 3]
    assert split(60, [Fraction(3, 4), Fraction(1, 4)]) == [45, 15]
    assert split(60, [Fraction(3, 4), None]) == [30, 30]  # shares only when all have one
    assert split(0, [None, None]) == [0, 0]
    assert split(7, []) == []


@given(st.integers(0, MAX_MINUTES), st.lists(st.one_of(st.none(), st.fractions(0, 10)), min_size=1, max_size=12))
def test_split_parts_add_up_and_are_fair(minutes, shares):
    parts = split(minutes, shares)
    assert sum(parts) == minutes and len(parts) == len(shares) and min(parts) >= 0
    if any(s is None for s in shares) or sum(s for s in shares) == 0:
        assert max(parts) - min(parts) <= 1


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40), st.integers(1, 600), st.integers(0, 120))
def test_sessions_sum_to_spans_plus_allowances(offsets, gap, allowance):
    sessions = rule("sessions/1", {"gap": gap, "allowance": allowance})
    times = sorted(T0 + timedelta(minutes=m) for m in offsets)
    total, previous = 0, None
    for when in times:
        total += session_minutes(sessions, when, previous)
        previous = when
    # the same figure computed the other way: group into sessions, then span + allowance
    expected, start, last = 0, times[0], times[0]
    for when in times[1:]:
        if (when - last) >= timedelta(minutes=gap):
            expected += int((last - start).total_seconds() // 60) + allowance
            start = when
        last = when
    expected += int((last - start).total_seconds() // 60) + allowance
    assert total == expected


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(1, 10_000), st.integers(0, 600), st.integers(0, 600))
def test_lines_stays_within_min_and_cap(added, deleted, per_hour, low, cap):
    if low > cap:
        low, cap = cap, low
    cap = max(cap, 1)
    minutes = item_minutes(rule("lines/1", {"per_hour": per_hour, "min": low, "cap": cap}),
                           {"lines_added": added, "lines_deleted": deleted})
    assert low <= minutes <= cap
