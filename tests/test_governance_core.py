"""The tally as a pure function of log activities: electorate, votes, delegation, outcome."""

import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fedcommons.governance.records import GovernanceLog
from fedcommons.governance.settings import read_settings
from fedcommons.governance.tally import ADOPTED, NO_MAJORITY, NO_QUORUM, OPEN, tally_log
from fedcommons.standing.clock import parse_micros
from tests.support_governance import (
    POOL, QUESTION, at, delegate, mastodon_vote, person, pool_create, question, recorded,
    undelegate, validated_work, vote,
)

END = parse_micros(at(17))
AFTER = parse_micros(at(20))


def electors(n: int) -> list[dict]:
    entries = []
    for i in range(n):
        entries += validated_work(person(i), i)
    return entries


def tally(entries, as_of=AFTER):
    return tally_log(entries, POOL, QUESTION, as_of)


def test_a_simple_majority_adopts_the_option_with_its_change():
    log = [pool_create({}), *electors(3), question(),
           vote(person(0), "yes", at(11)), vote(person(1), "yes", at(12)), vote(person(2), "no", at(12))]
    result = tally(log)
    assert result.outcome == ADOPTED and result.winner == "yes"
    assert result.change == {"license": "CC0-1.0"}
    assert {v.elector: v.path for v in result.counted} == {person(i): (person(i),) for i in range(3)}
    assert result.totals == {"yes": 2, "no": 1}


def test_open_before_the_end_and_a_tie_is_no_majority():
    log = [pool_create({}), *electors(2), question(), vote(person(0), "yes", at(11)), vote(person(1), "no", at(11))]
    assert tally(log, parse_micros(at(12))).outcome == OPEN
    assert tally(log).outcome == NO_MAJORITY


def test_quorum_is_a_share_of_the_electorate():
    log = [pool_create({"quorum": "1/2"}), *electors(5), question(), vote(person(0), "yes", at(11)),
           vote(person(1), "yes", at(11))]
    assert tally(log).outcome == NO_QUORUM
    assert tally([*log, vote(person(2), "no", at(12))]).outcome == ADOPTED


def test_late_votes_count_for_nothing_and_the_last_vote_before_the_end_counts():
    log = [pool_create({}), *electors(1), question(),
           vote(person(0), "no", at(11), n=1), vote(person(0), "yes", at(12), n=2),
           vote(person(0), "no", at(17), n=3), vote(person(0), "no", at(18), n=4)]
    result = tally(log)
    assert [(v.elector, v.option) for v in result.counted] == [(person(0), "yes")]
    assert result.totals == {"yes": 1, "no": 0}


def test_eligibility_is_fixed_at_the_start():
    pending = validated_work(person(7), 7)[:1]  # work never validated
    late = validated_work(person(8), 8, day=11)  # work validated after the start
    old = validated_work(person(9), 9, day=2)
    log = [pool_create({"activeDays": 5}), *validated_work(person(0), 0, day=8), *pending, *late, *old, question(),
           vote(person(0), "no", at(11)), vote(person(7), "yes", at(11)), vote(person(8), "yes", at(12)),
           vote(person(9), "yes", at(12)), vote(person(5), "yes", at(12))]
    result = tally(log)
    # p9's work (day 2) is older than the 5 days before the start (day 10)
    assert list(result.electorate) == [person(0)]
    assert result.outcome == ADOPTED and result.winner == "no"
    assert {u.who for u in result.uncounted} == {person(5), person(7), person(8), person(9)}


def test_stewards_and_standing_electorates():
    base = [*electors(2), *validated_work(person(0), 50)]
    stewards = tally([pool_create({"electorate": "stewards"}), *base, question()])
    assert list(stewards.electorate) == ["https://a.example/users/bob"]
    weighted = tally([pool_create({"electorate": "standing"}), *base, question(),
                      vote(person(0), "no", at(11)), vote(person(1), "yes", at(11))])
    assert weighted.electorate[person(0)] == 2 * weighted.electorate[person(1)]
    assert weighted.winner == "no"


def test_a_mastodon_vote_recorded_by_the_pool_counts_at_its_arrival():
    remote = "https://mastodon.example/users/zoe"
    log = [pool_create({}), *validated_work(remote, 1), question(),
           recorded(mastodon_vote(remote, "yes"), at(12))]
    assert [(v.elector, v.option) for v in tally(log).counted] == [(remote, "yes")]
    # Recorded by someone else than the pool, or after the end: nothing.
    assert tally([*log[:-1], recorded(mastodon_vote(remote, "yes"), at(12), by=person(3))]).counted == ()
    assert tally([*log[:-1], recorded(mastodon_vote(remote, "yes"), at(18))]).counted == ()


def test_malformed_governance_activities_are_skipped():
    bad = [
        {"type": "Create", "actor": POOL, "object": {"type": "Question", "id": QUESTION}},
        {"type": "Create", "actor": person(0), "published": "nope", "object": {"type": "Note"}},
        {"type": ["Activity", "Delegate"], "actor": person(0), "object": person(0), "target": POOL,
         "published": at(11), "id": "x"},
        {"type": "Add", "actor": POOL, "object": [1, 2], "published": at(12)},
        [], "text", None,
    ]
    q = question()
    q["object"]["oneOf"] = [{"type": "Note", "name": "same"}, {"type": "Note", "name": "same"}]
    log = GovernanceLog().extend([*bad, q])
    assert log.proposals == {} and log.delegations == [] and log.votes == []


def test_a_steward_update_after_adoption_changes_nothing():
    from fedcommons.standing.governance import pool_states
    from fedcommons.standing.ledger import PoolLedger

    update = {"id": "u1", "type": "Update", "actor": "https://a.example/users/bob", "published": at(3),
              "object": {"id": POOL, "type": "CommonPool", "stewards": [person(1)]}}
    applied = {"id": "u2", "type": "Update", "actor": POOL, "published": at(4),
               "object": {"id": POOL, "type": "CommonPool", "stewards": [person(2)], "tally": "t"}}
    ledger = PoolLedger(POOL).extend([pool_create({}), update, applied])
    states = pool_states(ledger.records, POOL)
    assert [sorted(s.stewards) for s in states] == [["https://a.example/users/bob"], [person(2)]]
    assert read_settings(states[-1].governance).electorate == "contributors"


# -- delegation, against a model written independently ---------------------------------

PEOPLE = 6


def model(electors, direct, delegations):
    """What each elector's vote becomes, by walking the graph with a step bound."""
    out = {}
    for e in electors:
        current, steps = e, 0
        while steps <= PEOPLE:
            if current in direct and current in electors:
                out[e] = direct[current]
                break
            if current not in delegations:
                break
            current, steps = delegations[current], steps + 1
    return out


events = st.lists(
    st.tuples(st.sampled_from(["delegate", "undo", "vote"]), st.integers(0, PEOPLE - 1),
              st.integers(0, PEOPLE - 1), st.sampled_from(["yes", "no"])),
    max_size=27,
)


@settings(max_examples=150, deadline=None)
@given(events=events, eligible=st.sets(st.integers(0, PEOPLE - 1), min_size=1), seed=st.integers(0, 99))
def test_delegation_matches_the_model_in_any_order(events, eligible, seed):
    entries = [pool_create({"quorum": "0"})]
    for i in sorted(eligible):
        entries += validated_work(person(i), i)
    entries.append(question())
    first = len(entries)
    latest = {}  # who -> the number of their latest delegation, for an Undo to name
    for n, (kind, who, other, option) in enumerate(events):
        # Three events a day from the start: the last few fall after the end (day 17);
        # the entries are shuffled before the tally, so arrival order is arbitrary.
        when = at(10 + n // 3, hour=(n % 3) * 8)
        if kind == "vote":
            entries.append(vote(person(who), option, when, n))
        elif kind == "delegate":
            entries.append(delegate(person(who), person(other), when, n))
            if who != other:
                latest[who] = n
        elif who in latest:
            entries.append(undelegate(person(who), latest[who], when))
    # Rebuild the model from the entries themselves, in time order, as the rules say.
    direct, delegations = {}, {}
    timeline = sorted(entries[first:], key=lambda e: (e["published"], e["id"]))
    end = at(17)
    for e in timeline:
        actor = e["actor"]
        if e["type"] == "Create" and e["published"] < end:
            direct[actor] = e["object"]["name"]
        elif e["type"] == ["Activity", "Delegate"] and e["published"] <= end and e["object"] != actor:
            delegations[actor] = (e["id"], e["object"])
        elif e["type"] == "Undo" and e["published"] <= end:
            if actor in delegations and delegations[actor][0] == e["object"]:
                del delegations[actor]
    expected = model({person(i) for i in eligible}, direct, {k: v[1] for k, v in delegations.items()})
    shuffled = list(entries)
    random.Random(seed).shuffle(shuffled)
    result = tally(shuffled)
    assert {v.elector: v.option for v in result.counted} == expected
    for counted in result.counted:
        assert counted.path[0] == counted.elector
        assert counted.path[-1] in direct and len(set(counted.path)) == len(counted.path)
        if counted.elector in direct:
            assert counted.path == (counted.elector,)  # a direct vote overrides
    assert result.participation == Decimal(len(expected))


def test_a_cycle_and_a_chain_to_a_non_voter_count_as_no_vote():
    log = [pool_create({"quorum": "0"}), *electors(4), question(),
           delegate(person(0), person(1), at(11)), delegate(person(1), person(0), at(11)),
           delegate(person(2), person(3), at(11))]
    result = tally(log)
    assert result.counted == ()
    reasons = {u.who: u.reason for u in result.uncounted}
    assert "cycle" in reasons[person(0)] and "did not vote" in reasons[person(2)]


def test_a_transitive_chain_carries_the_vote_and_its_path():
    outsider = "https://b.example/users/x"  # not an elector, but a delegate in the middle
    log = [pool_create({}), *electors(3), question(),
           delegate(person(0), outsider, at(11)), delegate(outsider, person(1), at(11)),
           delegate(person(1), person(2), at(11)), vote(person(2), "no", at(12))]
    counted = {v.elector: v.path for v in tally(log).counted}
    assert counted[person(0)] == (person(0), outsider, person(1), person(2))
    assert counted[person(1)] == (person(1), person(2))


def test_revocation_before_the_end_counts_and_after_it_does_not():
    base = [pool_create({}), *electors(2), question(), delegate(person(0), person(1), at(11)),
            vote(person(1), "yes", at(12))]
    assert len(tally([*base, undelegate(person(0), 0, at(16))]).counted) == 1
    assert len(tally([*base, undelegate(person(0), 0, at(18))]).counted) == 2


def test_a_cooperative_delegation_applies_to_the_pools_it_sustains_and_the_pool_one_beats_it():
    coop = "https://a.example/coops/rootwork"
    sustain = {"id": "s1", "type": "Update", "actor": coop, "published": at(5),
               "object": {"id": coop, "type": ["Organization", "Cooperative"], "sustains": [{"pool": POOL}]}}
    log = [pool_create({}), *electors(3), sustain, question(),
           delegate(person(0), person(1), at(11), n=1, scope=coop), vote(person(1), "yes", at(12)),
           vote(person(2), "no", at(12))]
    assert {v.elector: v.option for v in tally(log).counted}[person(0)] == "yes"
    log.append(delegate(person(0), person(2), at(13), n=2))
    assert {v.elector: v.option for v in tally(log).counted}[person(0)] == "no"


def test_a_delegation_recorded_by_someone_else_than_its_scope_counts_for_nothing():
    base = [pool_create({}), *electors(2), question(), vote(person(1), "yes", at(12))]
    remote = delegate(person(0), person(1), at(11))
    assert len(tally([*base, recorded(remote, at(11))]).counted) == 2
    assert len(tally([*base, recorded(remote, at(11), by=person(3))]).counted) == 1


def test_settings_are_read_exactly_and_refused_with_the_field_named():
    import pytest

    from fedcommons.errors import BadInput

    settings = read_settings({"quorum": "0.25", "majority": "2/3", "activeDays": 30})
    assert settings.as_dict() == {"electorate": "contributors", "activeDays": 30, "quorum": "1/4", "majority": "2/3"}
    for bad, field in (({"majority": "1"}, "majority"), ({"majority": "0.4"}, "majority"),
                       ({"quorum": "1/0"}, "quorum"), ({"quorum": 0.1}, "quorum"), ({"activeDays": 0}, "activeDays"),
                       ({"electorate": "everyone"}, "electorate"), ({"turnout": "1/2"}, "turnout"), ([], "object")):
        with pytest.raises(BadInput, match=field):
            read_settings(bad)
