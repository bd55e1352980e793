"""Cooperatives through the command line: created with members, sustaining pools, refusing outsiders."""

import json

import pytest

from fedcommons.home import open_node
from fedcommons.sig.keys import ed25519_public_from_multibase
from fedcommons.sig.proof import verify_proof
from fedcommons.store import coops as coop_store
from support_cli import run, entries

URL = "http://127.0.0.1:8080"
COOP = f"{URL}/coops/rootwork"


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    """A node with three people, two pools and a cooperative of which carol is a member."""
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    for name in ("alice", "bob", "carol"):
        run(home, "actor", "add", name)
    run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "bob")
    run(home, "pool", "create", "wiki", "--name", "Wiki", "--steward", "bob")
    run(home, "coop", "create", "rootwork", "--name", "Rootwork", "--member", "carol")
    return home


def test_a_cooperative_is_an_organization_with_its_own_keys(home):
    doc = json.loads(run(home, "actor", "show", "rootwork", "--format", "json").stdout)
    assert doc["id"] == COOP
    assert doc["type"] == ["Organization", "Cooperative"]
    assert doc["assertionMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
    shown = json.loads(run(home, "coop", "show", "rootwork", "--format", "json").stdout)
    assert shown["members"] == [f"{URL}/users/carol"] and shown["sustains"] == []


def test_members_must_be_local_people(home):
    result = run(home, "coop", "create", "other", "--name", "Other", "--member", "nobody", code=2)
    assert "no local person named 'nobody'" in result.stderr
    result = run(home, "coop", "create", "other", "--name", "Other", "--member", "garden", code=2)
    assert "no local person named 'garden'" in result.stderr


def test_sustain_is_an_update_signed_by_the_cooperative(home):
    out = run(home, "coop", "sustain", "rootwork", "garden", "--as", "carol").stdout
    assert f"sustains: {URL}/pools/garden  weight 1 (100.00 %)" in out
    run(home, "coop", "sustain", "rootwork", "wiki", "--weight", "0.5", "--as", "carol")
    activity = entries(home)[-1]["activity"]
    assert activity["type"] == "Update" and activity["actor"] == COOP
    assert activity["object"]["id"] == COOP
    assert activity["object"]["sustains"] == [{"pool": f"{URL}/pools/garden", "weight": "1"},
                                              {"pool": f"{URL}/pools/wiki", "weight": "0.5"}]
    assert activity["proof"]["verificationMethod"] == f"{COOP}#ed25519-key"
    key = ed25519_public_from_multibase(activity["object"]["assertionMethod"][0]["publicKeyMultibase"])
    assert verify_proof(activity, key).ok
    assert json.loads(run(home, "log", "verify", "--format", "json").stdout)["ok"]


def test_changing_a_weight_and_unsustaining_restate_the_whole_list(home):
    run(home, "coop", "sustain", "rootwork", "garden", "--as", "carol")
    run(home, "coop", "sustain", "rootwork", "wiki", "--as", "carol")
    run(home, "coop", "sustain", "rootwork", f"{URL}/pools/garden", "--weight", "3", "--as", "carol")
    shown = json.loads(run(home, "coop", "show", "rootwork", "--format", "json").stdout)
    assert shown["sustains"] == [{"pool": f"{URL}/pools/garden", "weight": "3"},
                                 {"pool": f"{URL}/pools/wiki", "weight": "1"}]
    run(home, "coop", "unsustain", "rootwork", "wiki", "--as", "carol")
    assert entries(home)[-1]["activity"]["object"]["sustains"] == [{"pool": f"{URL}/pools/garden", "weight": "3"}]
    result = run(home, "coop", "unsustain", "rootwork", "wiki", "--as", "carol", code=2)
    assert "does not sustain" in result.stderr


def test_only_members_act_for_the_cooperative(home):
    before = len(entries(home))
    result = run(home, "coop", "sustain", "rootwork", "garden", "--as", "alice", code=2)
    assert "alice is not a member of the cooperative rootwork" in result.stderr
    run(home, "coop", "add-member", "rootwork", "alice", "--as", "carol")
    run(home, "coop", "sustain", "rootwork", "garden", "--as", "alice")
    assert len(entries(home)) == before + 1
    node = open_node(home)
    try:
        assert coop_store.members(node.db, COOP) == [f"{URL}/users/alice", f"{URL}/users/carol"]
    finally:
        node.close()


@pytest.mark.parametrize("weight", ["0", "-1", "abc", "0.1234567890123456789x"])
def test_bad_weights_are_refused(home, weight):
    result = run(home, "coop", "sustain", "rootwork", "garden", "--weight", weight, "--as", "carol", code=2)
    assert "weight" in result.stderr


def test_sustaining_something_that_is_not_a_pool_is_refused(home):
    result = run(home, "coop", "sustain", "rootwork", "alice", "--as", "carol", code=2)
    assert "no local pool named 'alice'" in result.stderr
