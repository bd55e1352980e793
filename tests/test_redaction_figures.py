"""What a redaction notice retains is exactly what standing reads: over random logs, reading
redacted entries as their retained figures gives the same standing, and notices add nothing."""

import base64
import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedcommons import redactions
from fedcommons.standing import METHODS, build_ledger, compute_standing
from support_standing import POOL, accept, contribution, like, person, pool_create, pool_update, undo, when

PEOPLE = [person(n) for n in ("alice", "bob", "carol", "dave")]
STEWARDS = [PEOPLE[0], person("steward")]
PARAMS = {
    "effort/1": {"halfLifeDays": 20, "kindWeights": {"care": 1.5}},
    "peer-rank/1": {"halfLifeDays": 20, "kindWeights": {"care": 1.5}, "endorsementShare": 0.3},
}


def with_text(activity: dict, n: int) -> dict:
    """The activity with the personal text a real one carries, which a redaction drops."""
    activity = copy.deepcopy(activity)
    activity.update({"to": [POOL], "cc": [f"{POOL}/followers"], "content": f"note {n} about someone"})
    obj = activity.get("object")
    if isinstance(obj, dict) and "Contribution" in obj.get("type", []):
        obj.update({"name": f"summary {n} naming someone", "content": f"<p>summary {n}</p>",
                    "evidence": [f"https://git.example/{n}"], "importKey": f"sha256:{n:064x}",
                    "to": [POOL]})
    return activity


@st.composite
def logs(draw):
    """A pool's activities: work, decisions, endorsements, undos, a method change."""
    acts = [pool_create(STEWARDS)]
    count = draw(st.integers(0, 8))
    for i in range(count):
        acts.append(contribution(f"c{i}", draw(st.sampled_from(PEOPLE)), minutes=draw(st.integers(0, 600)),
                                 day=draw(st.integers(0, 60)), kind=draw(st.sampled_from(["code", "care"]))))
        for _ in range(draw(st.integers(0, 2))):
            acts.append(accept(f"c{i}", draw(st.sampled_from(STEWARDS + PEOPLE[1:3])),
                               day=draw(st.integers(0, 70)), reject=draw(st.booleans())))
    if count:
        for _ in range(draw(st.integers(0, 8))):
            liked = like(f"c{draw(st.integers(0, count - 1))}", draw(st.sampled_from(PEOPLE)),
                         day=draw(st.integers(0, 70)), weight=draw(st.sampled_from([None, 0.5, "3.25"])))
            acts.append(liked)
            if draw(st.booleans()):
                acts.append(undo(liked, day=draw(st.integers(0, 70)), embed=draw(st.booleans())))
    if draw(st.booleans()):
        acts.append(pool_update(STEWARDS[1], day=draw(st.integers(0, 70)),
                                method={"method": "peer-rank/1", "parameters": {"endorsementShare": 0.5}},
                                stewards=STEWARDS + [PEOPLE[2]]))
    return [with_text(a, n) for n, a in enumerate(acts)]


def standing(activities, method):
    return compute_standing(build_ledger(activities, POOL), method, PARAMS[method], when(100))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs(), st.data(), st.sampled_from(sorted(METHODS)))
def test_redacted_entries_read_as_retained_figures_change_no_standing(acts, data, method):
    same_standing_when_redacted(acts, data.draw(st.sets(st.integers(0, len(acts) - 1))), method)


def test_an_endorsements_weight_is_retained():
    # Alice's flow splits 3:1 between Bob's and Carol's work by the weights of her Likes.
    acts = [with_text(a, n) for n, a in enumerate([
        pool_create(STEWARDS),
        contribution("a", PEOPLE[0], minutes=300), accept("a", STEWARDS[1]),
        contribution("b", PEOPLE[1], minutes=60), accept("b", STEWARDS[0]),
        contribution("c", PEOPLE[2], minutes=60), accept("c", STEWARDS[0]),
        like("b", PEOPLE[0], weight=3), like("c", PEOPLE[0], weight=1),
    ])]
    unweighted = [redactions.retained_facts(a) for a in acts]
    for a in unweighted:
        a.pop("weight", None)
    assert standing(unweighted, "peer-rank/1") != standing(acts, "peer-rank/1")  # it matters here
    same_standing_when_redacted(acts, {7, 8}, "peer-rank/1")


def same_standing_when_redacted(acts: list[dict], redacted: set[int], method: str) -> None:
    read = [redactions.retained_facts(a) if i in redacted else a for i, a in enumerate(acts)]
    notices = [redactions.notice(activity_id=f"{POOL}/redactions/{i}", actor=STEWARDS[1], index=i,
                                 leaf_hash=bytes(32), redacted=acts[i], reason="asked", published="2024-06-01T00:00:00Z")
               for i in sorted(redacted)]
    assert standing(read + notices, method) == standing(acts, method)
    for i in redacted:
        kept = str(read[i])
        assert "naming someone" not in kept and "about someone" not in kept and "importKey" not in kept


def test_a_notice_reads_back_and_a_malformed_one_is_no_notice():
    activity = contribution("c1", PEOPLE[1])
    notice = redactions.notice(activity_id="https://node.example/activities/9", actor=STEWARDS[1], index=4,
                               leaf_hash=bytes(range(32)), redacted=activity, reason="asked",
                               published="2024-06-01T00:00:00Z")
    assert notice["type"] == ["Delete", "Redaction"] and notice["object"] == activity["id"]
    assert redactions.read_notice(notice) == (4, bytes(range(32)), redactions.retained_facts(activity))
    for field, value in (("logIndex", -1), ("logIndex", "4"), ("leafHash", "not base64!"),
                         ("leafHash", base64.b64encode(b"short").decode()), ("retained", "x")):
        assert redactions.read_notice({**notice, field: value}) is None
    assert redactions.read_notice({**notice, "type": "Delete"}) is None
