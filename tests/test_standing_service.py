"""Standing from a node's own log: the signed document, set-method, verification, the CLI."""

import base64
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fedcommons.errors import BadInput, FedcommonsError, Forbidden, NotFound
from fedcommons.ld.canonical import canonicalize
from fedcommons.home import init_node, open_node
from fedcommons.services.contributions import contributions
from fedcommons.services.log import log_writer
from fedcommons.services.actors import pools
from fedcommons.services.standing import standing as service
from fedcommons.services.actors.actors import create_actor
from fedcommons.sig.proof import create_proof, verify_proof
from fedcommons.store import log as log_store
from fedcommons.cli.network import with_client
from support_cli import run

URL = "http://127.0.0.1:8080"
POOL = f"{URL}/pools/garden"
ZED = "http://127.0.0.1:9/users/zed"  # a contributor on another server


def person(name):
    return f"{URL}/users/{name}"


def remote_contribution(minutes: int, published: str = "2026-01-05T10:00:00Z") -> dict:
    """A Create{Contribution} by a remote person to our pool, as the inbox would log it."""
    cid = f"http://127.0.0.1:9/contributions/{minutes}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{cid}/create", "type": "Create", "actor": ZED, "published": published,
        "object": {"id": cid, "type": ["Note", "Contribution"], "attributedTo": ZED, "provider": ZED,
                   "receiver": POOL, "action": "work", "kind": "code", "published": published,
                   "effortQuantity": {"type": "Measure", "hasUnit": "minute", "hasNumericalValue": minutes}},
    }


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    """alice, bob and carol; garden stewarded by bob and carol; validated work by each, an
    endorsement, a pending contribution, and a validated contribution from another server."""
    home = tmp_path_factory.mktemp("standing") / "home"
    node = init_node(home, URL)
    for name in ("alice", "bob", "carol"):
        create_actor(node, "person", name)
    pools.create_pool(node, "garden", name="Garden", stewards=["bob", "carol"])
    work = [("alice", "2h", "code"), ("bob", "1h30m", "care"), ("carol", "45m", "docs")]
    ids = [contributions.contribute(node, pool="garden", person=who, effort=effort, kind=kind,
                                    summary=f"{kind} work", when="2026-01-02") for who, effort, kind in work]
    contributions.decide(node, ids[0], "bob")
    contributions.decide(node, ids[1], "carol")
    contributions.decide(node, ids[2], "bob")
    contributions.endorse(node, ids[1], "alice")
    contributions.contribute(node, pool="garden", person="alice", effort="5h", kind="code",
                             summary="not validated yet", when="2026-01-03")
    log_writer.append(node, [log_writer.Pending(remote_contribution(60), origin="http://127.0.0.1:9")])
    contributions.decide(node, "http://127.0.0.1:9/contributions/60", "carol")
    node.close()
    return home


def shares(document):
    return {row["contributor"]: row["share"] for row in document["standings"]}


def scores(document):
    return {row["contributor"]: row["score"] for row in document["standings"]}


# -- computing ------------------------------------------------------------------------


def test_validated_work_mints_standing_and_shares_sum_to_one(node):
    doc = service.pool_standing(node, POOL).document
    assert scores(doc) == {person("alice"): "2.000000", person("bob"): "1.500000",
                           person("carol"): "0.750000", ZED: "1.000000"}
    assert sum(Decimal(s) for s in shares(doc).values()) == 1
    assert [row["contributor"] for row in doc["standings"]] == [person("alice"), person("bob"), ZED, person("carol")]


def test_document_names_its_inputs_and_is_signed_by_the_node(node):
    as_of = service.parse_as_of(None)
    size = log_store.log_size(node.db)
    doc = service.pool_standing(node, POOL, as_of=as_of).document
    as_of_text = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc["id"] == f"{POOL}/standing?asOf={as_of_text}&method=effort/1&treeSize={size}"
    assert doc["type"] == ["Document", "Standing"]
    assert (doc["pool"], doc["method"], doc["asOf"]) == (POOL, "effort/1", as_of_text)
    root = log_store.latest_checkpoint(node.db)[1]
    assert doc["checkpoint"] == {"origin": "127.0.0.1:8080", "treeSize": size,
                                 "rootHash": base64.b64encode(root).decode()}
    assert doc["attributedTo"] == f"{URL}/actor"
    assert doc["proof"]["verificationMethod"] == f"{URL}/actor#ed25519-key"
    assert doc["proof"]["created"] == as_of_text
    assert verify_proof(doc, node.keys.ed25519("node", "node").public_key()).ok


def test_same_inputs_give_the_same_bytes_across_calls_and_restarts(home):
    node = open_node(home)
    as_of = service.parse_as_of(None)
    first = service.pool_standing(node, POOL, as_of=as_of)
    assert service.pool_standing(node, POOL, as_of=as_of).body == first.body
    assert canonicalize(first.document) == first.body
    node.close()
    node = open_node(home)
    try:
        assert service.pool_standing(node, POOL, as_of=as_of).body == first.body
        # Its id recomputes it too, even after the log has grown.
        contributions.contribute(node, pool="garden", person="carol", effort="9h", kind="care", summary="later")
        assert canonicalize(with_client(node, lambda client: service.fetch_standing(node, client, first.url))) == first.body
    finally:
        node.close()


def test_a_tree_size_reads_the_log_as_it_was(node):
    as_of = service.parse_as_of(None)
    before = service.pool_standing(node, POOL, as_of=as_of)
    size = before.document["checkpoint"]["treeSize"]
    cid = contributions.contribute(node, pool="garden", person="carol", effort="9h", kind="care", summary="more")
    contributions.decide(node, cid, "bob")
    later = service.pool_standing(node, POOL, as_of=service.parse_as_of(None))
    assert later.document["checkpoint"]["treeSize"] == size + 2
    assert service.pool_standing(node, POOL, as_of=as_of, tree_size=size).body == before.body
    with pytest.raises(BadInput, match="beyond"):
        service.pool_standing(node, POOL, tree_size=size + 3)


def test_as_of_reads_dates_as_their_end_and_refuses_the_future():
    now = datetime(2026, 3, 1, 12, 30, 15, 987654, tzinfo=timezone.utc)
    assert service.parse_as_of(None, now=now) == now.replace(microsecond=0)
    assert service.parse_as_of("2026-02-28", now=now) == datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert service.parse_as_of("2026-03-01T13:00:00+02:00", now=now) == datetime(2026, 3, 1, 11, tzinfo=timezone.utc)
    assert service.parse_as_of("2026-03-01T11:00:00", now=now) == datetime(2026, 3, 1, 11, tzinfo=timezone.utc)
    for future in ("2026-03-01", "2026-03-01T12:30:16Z"):
        with pytest.raises(BadInput, match="in the future"):
            service.parse_as_of(future, now=now)
    for junk in ("2026-02-30", "20260228", "yesterday", "2026-13-01T00:00:00Z"):
        with pytest.raises(BadInput, match="asOf"):
            service.parse_as_of(junk, now=now)


def test_a_date_counts_the_whole_day(node):
    archive = f"{URL}/pools/archive"
    dated = [
        {"id": f"{archive}#create", "type": "Create", "actor": f"{URL}/actor", "published": "2025-12-01T00:00:00Z",
         "object": {"id": archive, "type": ["Group", "CommonPool"], "stewards": [person("bob")]}},
        {**remote_contribution(30, "2026-01-02T10:00:00Z"), "id": "http://127.0.0.1:9/a/1"},
        {**remote_contribution(45, "2026-01-02T10:00:00Z"), "id": "http://127.0.0.1:9/a/2"},
        {"id": "http://127.0.0.1:9/a/3", "type": "Accept", "actor": person("bob"),
         "object": "http://127.0.0.1:9/contributions/30", "published": "2026-01-03T23:59:59.500Z"},
        {"id": "http://127.0.0.1:9/a/4", "type": "Accept", "actor": person("bob"),
         "object": "http://127.0.0.1:9/contributions/45", "published": "2026-01-04T00:00:00Z"},
    ]
    for activity in dated:
        activity["object"] = {**activity["object"], "receiver": archive} if "receiver" in activity["object"] \
            else activity["object"]
    log_writer.append(node, [log_writer.Pending(a, origin="http://127.0.0.1:9") for a in dated])
    doc = service.pool_standing(node, archive, as_of=service.parse_as_of("2026-01-03")).document
    assert doc["asOf"] == "2026-01-03T23:59:59.999999Z"
    assert scores(doc) == {ZED: "0.500000"}  # validated in the day's last second; the next one waits
    assert scores(service.pool_standing(node, archive, as_of=service.parse_as_of("2026-01-04")).document) == \
        {ZED: "1.250000"}
    with pytest.raises(NotFound, match="no Create of pool"):
        service.pool_standing(node, archive, as_of=service.parse_as_of("2025-11-30"))


def test_another_method_for_comparison(node):
    effort = service.pool_standing(node, POOL).document
    ranked = service.pool_standing(node, POOL, method="peer-rank/1").document
    assert ranked["method"] == "peer-rank/1" and ranked["parameters"]["alpha"] == 0.85
    assert "method=peer-rank/1" in ranked["id"]
    # alice endorsed bob: peer-rank moves some of her standing to him.
    assert Decimal(scores(ranked)[person("bob")]) > Decimal(scores(effort)[person("bob")])
    with pytest.raises(BadInput, match="unknown standing method"):
        service.query_standing(node, "garden", {"method": "karma/9"})


def test_unknown_pool_and_remote_pool(node):
    with pytest.raises(NotFound):
        service.local_pool_standing(node, "orchard")
    with pytest.raises(FedcommonsError, match="replicate the log first with `fedcommons sync http://127.0.0.1:9`"):
        service.pool_standing(node, "http://127.0.0.1:9/pools/elsewhere")


# -- the pool's method ----------------------------------------------------------------


def test_set_method_is_a_dated_update_in_the_log_and_changes_the_figures(node):
    before = service.pool_standing(node, POOL).document
    activity = pools.set_method(node, "garden", method="effort/1",
                                parameters={"kindWeights": {"care": 2}}, steward="carol")
    last = json.loads(list(log_store.iter_entries(node.db))[-1].body)
    assert last["id"] == activity["id"] and last["type"] == "Update" and last["actor"] == person("carol")
    assert last["object"]["type"] == ["Group", "CommonPool"]
    assert last["object"]["standingMethod"] == {
        "method": "effort/1",
        "parameters": {"kindWeights": {"care": 2}, "defaultWeight": 1, "halfLifeDays": None,
                       "periodStart": None, "periodEnd": None},
    }
    assert last["proof"]["verificationMethod"] == f"{person('carol')}#ed25519-key"
    after = service.pool_standing(node, POOL).document
    assert after["parameters"]["kindWeights"] == {"care": 2}
    assert scores(after)[person("bob")] == "3.000000" != scores(before)[person("bob")]
    # The earlier document still verifies: it names the log size it was computed at.
    assert with_client(node, lambda client: service.verify_standing(node, client, before)).ok


def test_set_method_refuses_non_stewards_and_bad_parameters_and_writes_nothing(node):
    size = log_store.log_size(node.db)
    with pytest.raises(Forbidden, match="not a steward"):
        pools.set_method(node, "garden", method="effort/1", parameters=None, steward="alice")
    with pytest.raises(BadInput, match="'halfLifeDays'"):
        pools.set_method(node, "garden", method="effort/1", parameters={"halfLifeDays": 0}, steward="bob")
    with pytest.raises(BadInput, match="unknown parameter 'speed'"):
        pools.set_method(node, "garden", method="effort/1", parameters={"speed": 1}, steward="bob")
    with pytest.raises(BadInput, match="unknown standing method"):
        pools.set_method(node, "garden", method="karma/9", parameters=None, steward="bob")
    assert log_store.log_size(node.db) == size


# -- verification ---------------------------------------------------------------------


def resign(node, document, key=None, key_id=None):
    """The document with its proof replaced: by the node's own key unless another is given."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    key = key or node.keys.ed25519("node", "node")
    return create_proof(unsigned, key, key_id or f"{URL}/actor#ed25519-key", created=document["asOf"][:19] + "Z")


def test_a_document_verifies(node):
    doc = service.pool_standing(node, POOL).document
    check = with_client(node, lambda client: service.verify_standing(node, client, doc))
    assert check.ok and check.problem is None
    assert (check.rows, check.tree_size, check.origin) == (4, doc["checkpoint"]["treeSize"], "127.0.0.1:8080")


def test_a_changed_figure_breaks_the_proof(node):
    doc = service.pool_standing(node, POOL).document
    doc["standings"][0]["score"] = "20.000000"
    check = with_client(node, lambda client: service.verify_standing(node, client, doc))
    assert not check.ok and "proof does not verify" in check.problem


def test_a_document_signed_by_another_key_fails(node):
    doc = service.pool_standing(node, POOL).document
    doc["standings"][0]["score"] = "20.000000"
    forged = resign(node, doc, key=Ed25519PrivateKey.generate())
    check = with_client(node, lambda client: service.verify_standing(node, client, forged))
    assert not check.ok and "proof does not verify" in check.problem
    elsewhere = resign(node, doc, key=Ed25519PrivateKey.generate(), key_id=f"{URL}/actor#other-key")
    assert "not this node's" in with_client(node, lambda client: service.verify_standing(node, client, elsewhere)).problem
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    assert with_client(node, lambda client: service.verify_standing(node, client, unsigned)).problem == "the document carries no Data Integrity proof"


def test_a_figure_that_does_not_recompute_is_named(node):
    doc = service.pool_standing(node, POOL).document
    doc["standings"][0]["score"] = "12.500000"
    check = with_client(node, lambda client: service.verify_standing(node, client, resign(node, doc)))
    assert not check.ok
    assert check.problem == f"score of {person('alice')} is 12.500000 in the document, 2.000000 recomputed"
    doc = service.pool_standing(node, POOL).document
    doc["standings"].pop()
    assert "is missing from the document" in with_client(node, lambda client: service.verify_standing(node, client, resign(node, doc))).problem


def test_a_root_that_is_not_the_logs_fails(node):
    doc = service.pool_standing(node, POOL).document
    doc["checkpoint"]["rootHash"] = base64.b64encode(bytes(32)).decode()
    check = with_client(node, lambda client: service.verify_standing(node, client, resign(node, doc)))
    assert not check.ok and "not the document's rootHash" in check.problem
    doc["checkpoint"]["treeSize"] = 10_000
    assert "fewer than the document's treeSize" in with_client(node, lambda client: service.verify_standing(node, client, resign(node, doc))).problem


# -- the command line -----------------------------------------------------------------


def log_size(home):
    return len(run(home, "log", "show").stdout.splitlines())


def test_cli_end_to_end(home):
    run(home, "actor", "add", "dana")
    cid = run(home, "contribute", "--pool", "garden", "--as", "dana", "--effort", "3h", "--kind", "code",
              "--summary", "new work", "--date", "2026-01-04").stdout.strip()
    size = log_size(home)
    result = run(home, "validate", cid, "--as", "dana", code=2)
    assert "not a steward" in result.stderr
    bob_work = run(home, "contribute", "--pool", "garden", "--as", "bob", "--effort", "1h", "--kind", "code",
                   "--summary", "own work").stdout.strip()
    assert "cannot validate their own contribution" in run(home, "validate", bob_work, "--as", "bob", code=2).stderr
    assert log_size(home) == size + 1
    run(home, "validate", cid, "--as", "bob")

    table = run(home, "standing", "garden").stdout.splitlines()
    assert table[0].startswith(f"{POOL}: effort/1 as of ")
    assert table[1].split() == ["rank", "contributor", "score", "share"]
    assert table[2].split() == ["1", person("dana"), "3.000000", "36.36%"]
    assert len(table) == 2 + 5

    rows = run(home, "standing", "garden", "--format", "csv").stdout.splitlines()
    assert rows[0] == "contributor,score,share"
    assert rows[1] == f"{person('dana')},3.000000,0.363636364"
    assert sum(Decimal(line.split(",")[2]) for line in rows[1:]) == 1

    text = run(home, "standing", "garden", "--format", "json", "--method", "peer-rank/1").stdout
    doc = json.loads(text)
    assert doc["method"] == "peer-rank/1" and "proof" in doc
    assert text.encode() == canonicalize(doc) + b"\n"


def test_cli_set_method(home):
    size = log_size(home)
    result = run(home, "pool", "set-method", "garden", "--method", "effort/1", "--param", "kindWeights.care=2",
                 "--as", "alice", code=2)
    assert "alice is not a steward" in result.stderr
    result = run(home, "pool", "set-method", "garden", "--method", "effort/1", "--param", "halfLifeDays=soon",
                 "--as", "bob", code=2)
    assert "parameter 'halfLifeDays'" in result.stderr
    assert log_size(home) == size
    run(home, "pool", "set-method", "garden", "--method", "effort/1", "--params-json", '{"defaultWeight": 2}',
        "--param", "kindWeights.care=2", "--param", "periodStart=2026-01-01", "--as", "bob")
    assert log_size(home) == size + 1
    last = json.loads(run(home, "log", "show", "--start", str(size), "--format", "json").stdout)["activity"]
    assert last["type"] == "Update"
    assert last["object"]["standingMethod"]["parameters"]["periodStart"] == "2026-01-01"
    doc = json.loads(run(home, "standing", "garden", "--format", "json").stdout)
    assert doc["parameters"]["defaultWeight"] == 2 and doc["parameters"]["kindWeights"] == {"care": 2}
    assert (scores(doc)[person("alice")], scores(doc)[person("bob")]) == ("4.000000", "3.000000")


def test_cli_bad_inputs_exit_2(home):
    assert "asOf" in run(home, "standing", "garden", "--as-of", "soon", code=2).stderr
    assert "in the future" in run(home, "standing", "garden", "--as-of", "2999-01-01", code=2).stderr
    assert "no local pool" in run(home, "standing", "orchard", code=2).stderr


def test_cli_verify(home, tmp_path):
    text = run(home, "standing", "garden", "--format", "json").stdout
    doc = json.loads(text)
    assert "ok: all 4 rows match" in run(home, "standing", "verify", doc["id"]).stdout
    assert "ok: all 4 rows" in run(home, "standing", "verify", "-", input=text).stdout

    node = open_node(home)
    try:
        doc["standings"][1]["score"] = "11.000000"
        (tmp_path / "tampered.json").write_text(json.dumps(doc))
        (tmp_path / "resigned.json").write_text(json.dumps(resign(node, doc)))
        doc["checkpoint"]["rootHash"] = base64.b64encode(bytes(32)).decode()
        (tmp_path / "elsewhere.json").write_text(json.dumps(resign(node, doc)))
    finally:
        node.close()
    result = run(home, "standing", "verify", str(tmp_path / "tampered.json"), code=1)
    assert "proof does not verify" in result.stderr
    result = run(home, "standing", "verify", str(tmp_path / "resigned.json"), code=1)
    assert f"score of {person('bob')} is 11.000000 in the document, 1.500000 recomputed" in result.stderr
    result = run(home, "standing", "verify", str(tmp_path / "elsewhere.json"), "--format", "json", code=1)
    assert "not the document's rootHash" in json.loads(result.stdout)["problem"]
