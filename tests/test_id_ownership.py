"""Ids belong to their hosts: one actor cannot take another server's activity or Note ids
first and so have the real owner's activity dropped, or its claim credited to itself."""

import pytest

from fedcommons.federation.ownership import foreign_ids, same_origin
from fedcommons.fields import Malformed
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.store import follows as follow_store
from fedcommons.store import inbox as inbox_store
from support_nodes import eventually, served_node
from support_remote import serve_peer

AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture
async def pool_node(tmp_path):
    async with served_node(tmp_path) as running:
        create_actor(running.node, "person", "bob")
        create_pool(running.node, "garden", name="Garden", stewards=["bob"])
        yield running


@pytest.fixture
async def mallory():
    async with serve_peer() as peer:
        yield peer.person("mallory")


@pytest.fixture
async def victim():
    async with serve_peer() as peer:
        yield peer.person("victim")


def claim_note(author, note_id: str, garden: str) -> dict:
    return {"id": note_id, "type": "Note", "attributedTo": author.id, "to": [garden],
            "content": "<p>@garden 3h watering #care</p>", "tag": [{"type": "Mention", "href": garden}]}


def claims(node, note_id: str) -> list[tuple]:
    return node.db.conn.execute("SELECT contributor, minutes FROM contributions WHERE claim = ?",
                                (note_id,)).fetchall()


async def test_an_activity_id_on_another_server_is_refused_and_its_owner_goes_through(
        pool_node, mallory, victim, http):
    garden, inbox = f"{pool_node.url}/pools/garden", f"{pool_node.url}/inbox"
    taken = f"{victim.id}/follows/1"
    status, detail = await mallory.post(http, inbox, {"@context": AS, "id": taken, "type": "Follow",
                                                      "actor": mallory.id, "object": garden})
    assert status == 403 and "not on the server of its actor" in detail
    assert inbox_store.count(pool_node.node.db, taken) == 0

    status, _ = await victim.post(http, inbox, {"@context": AS, "id": taken, "type": "Follow",
                                                "actor": victim.id, "object": garden})
    assert status == 202
    await eventually(lambda: follow_store.followers(pool_node.node.db, garden) == [victim.id])


async def test_a_claim_with_another_servers_note_id_is_refused_and_the_real_claim_recorded(
        pool_node, mallory, victim, http):
    garden, inbox = f"{pool_node.url}/pools/garden", f"{pool_node.url}/inbox"
    note_id = f"{victim.id}/statuses/1"
    squat = {"@context": AS, "id": f"{mallory.id}/statuses/9/activity", "type": "Create", "actor": mallory.id,
             "to": [garden], "object": dict(claim_note(victim, note_id, garden), attributedTo=mallory.id)}
    status, detail = await mallory.post(http, inbox, squat)
    assert status == 403 and "no proof by its author" in detail
    assert inbox_store.count(pool_node.node.db, squat["id"]) == 0

    real = {"@context": AS, "id": f"{note_id}/activity", "type": "Create", "actor": victim.id,
            "to": [garden], "object": claim_note(victim, note_id, garden)}
    assert (await victim.post(http, inbox, real))[0] == 202
    assert await eventually(lambda: claims(pool_node.node, note_id)) == [(victim.id, 180)]


async def test_an_object_its_author_proved_may_travel_in_another_actors_activity(
        pool_node, mallory, victim, http):
    garden, inbox = f"{pool_node.url}/pools/garden", f"{pool_node.url}/inbox"
    note_id = f"{victim.id}/statuses/2"
    proved = victim.prove(claim_note(victim, note_id, garden))
    carried = {"@context": AS, "id": f"{mallory.id}/statuses/2/activity", "type": "Create",
               "actor": mallory.id, "to": [garden], "object": proved}
    assert (await mallory.post(http, inbox, carried))[0] == 202
    await eventually(lambda: pool_node.node.db.conn.execute(
        "SELECT state FROM inbox_items WHERE activity_id = ?", (carried["id"],)).fetchone() == ("ignored",))
    assert claims(pool_node.node, note_id) == []  # the claim is the victim's to make, not mallory's

    forged = dict(carried, id=f"{mallory.id}/statuses/3/activity",
                  object=dict(proved, content="<p>@garden 9h watering #care</p>"))
    assert (await mallory.post(http, inbox, forged))[0] == 403


def test_ids_compare_by_scheme_host_and_port():
    assert same_origin("https://a.example/x", "https://A.example:443/y")
    assert not same_origin("https://a.example/x", "http://a.example/x")
    assert not same_origin("https://a.example/x", "https://a.example:8443/x")
    assert not same_origin("https://a.example/x", "https://b.example/x")
    assert not same_origin("https://a.example:99999/x", "https://a.example:99999/x"), "no such port"
    actor = "https://a.example/users/ann"
    assert foreign_ids({"id": "https://a.example/1", "type": "Like", "object": "https://b.example/n"},
                       actor) == (None, None), "a Like's object is someone else's"
    assert foreign_ids({"id": "https://b.example/1", "type": "Create",
                        "object": {"id": "https://c.example/n"}}, actor) == ("https://b.example/1",
                                                                               "https://c.example/n")
    with pytest.raises(Malformed):
        foreign_ids({"id": "https://a.example/1", "type": "Update", "object": {"id": 7}}, actor)
