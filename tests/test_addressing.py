"""From an activity's recipients to distinct inboxes (no network: actors come from the
database, or from a fake client where they must be fetched)."""

import pytest

from fedcommons.config import Config
from fedcommons.errors import FetchError, NotFound
from fedcommons.federation.addressing import (
    PUBLIC,
    host_of,
    normalise_host,
    plan,
    remote_recipients,
    resolve_inbox,
)
from fedcommons.node import Node, now
from fedcommons.store.actors import ActorRow, insert_actor, upsert_remote_actor
from fedcommons.store.db import open_db
from fedcommons.store.follows import upsert_follow

URL = "https://commons.example"
POOL = f"{URL}/pools/garden"
ALICE = f"{URL}/users/alice"


def actor_row(actor_id, *, local=False, inbox="default", shared=None) -> ActorRow:
    return ActorRow(
        id=actor_id, kind="person", name=actor_id.rsplit("/", 1)[-1], local=local, display_name=None,
        summary=None, inbox=f"{actor_id}/inbox" if inbox == "default" else inbox, shared_inbox=shared,
        rsa_key_id=None, rsa_public_pem=None, ed25519_key_id=None, ed25519_multibase=None,
        document=None, fetched_at=now(), created_at=now(),
    )


@pytest.fixture
def node(tmp_path):
    node = Node(Config(home=tmp_path, url=URL), open_db(tmp_path / "fedcommons.db", create=True))
    for local in (POOL, ALICE):
        insert_actor(node.db, actor_row(local, local=True, shared=f"{URL}/inbox"))
    yield node
    node.close()


def remote(node, actor_id, **kwargs):
    upsert_remote_actor(node.db, actor_row(actor_id, **kwargs))


def follow(node, follower, followee, state="accepted"):
    upsert_follow(node.db, follower, followee, f"{follower}#follow", state, now())


@pytest.mark.parametrize("url, host", [
    ("https://A.Example/inbox", "a.example"),
    ("https://a.example:443/inbox", "a.example"),
    ("http://a.example:80/inbox", "a.example"),
    ("https://a.example:8443/inbox", "a.example:8443"),
    ("http://127.0.0.1:8080/users/x/inbox", "127.0.0.1:8080"),
    ("http://[::1]:81/inbox", "[::1]:81"),
    ("https://user:secret@a.example/inbox", "a.example"),
])
def test_host_of(url, host):
    assert host_of(url) == host


def test_normalise_host_accepts_a_host_or_a_url():
    assert normalise_host("Peer.Example:8080") == "peer.example:8080"
    assert normalise_host("https://peer.example/users/ann") == "peer.example"


def test_public_and_local_recipients_need_no_delivery(node):
    recipients = [*PUBLIC, ALICE, POOL, f"{URL}/users/nobody", "https://a.example/users/ann"]
    assert remote_recipients(node, recipients) == ["https://a.example/users/ann"]


def test_local_followers_collection_expands_to_accepted_remote_followers(node):
    follow(node, "https://a.example/users/ann", POOL)
    follow(node, "https://b.example/users/bob", POOL)
    follow(node, "https://c.example/users/cy", POOL, state="pending")
    follow(node, ALICE, POOL)  # local: reads the pool's activities from this node's log
    follow(node, "https://d.example/users/dee", ALICE)  # follows someone else
    assert remote_recipients(node, [f"{POOL}/followers"]) == [
        "https://a.example/users/ann", "https://b.example/users/bob",
    ]


def test_recipients_named_twice_are_kept_once_in_first_order(node):
    follow(node, "https://a.example/users/ann", POOL)
    recipients = ["https://b.example/users/bob", f"{POOL}/followers", "https://a.example/users/ann",
                  "https://b.example/users/bob"]
    assert remote_recipients(node, recipients) == ["https://b.example/users/bob", "https://a.example/users/ann"]


def test_a_remote_collection_is_left_for_the_resolver(node):
    # Only the server that owns a collection can expand it; fetching decides.
    assert remote_recipients(node, ["https://a.example/users/ann/followers"]) == [
        "https://a.example/users/ann/followers"
    ]


def test_plan_prefers_shared_inboxes_and_dedupes_them(node):
    for name in ("ann", "bea"):
        remote(node, f"https://a.example/users/{name}", shared="https://a.example/inbox")
    remote(node, "https://b.example/users/bob")
    result = plan(node, ["https://a.example/users/ann", "https://b.example/users/bob",
                         "https://a.example/users/bea", "https://c.example/users/new"])
    assert result.inboxes == ["https://a.example/inbox", "https://b.example/users/bob/inbox"]
    assert result.unresolved == ["https://c.example/users/new"]


def test_a_stored_actor_without_an_inbox_is_resolved_again(node):
    remote(node, "https://a.example/users/ann", inbox=None)
    assert plan(node, ["https://a.example/users/ann"]).unresolved == ["https://a.example/users/ann"]


class FakeClient:
    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    async def actor(self, url, *, refresh=False):
        self.calls.append((url, refresh))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


async def test_resolve_inbox_prefers_the_shared_inbox():
    client = FakeClient(actor_row("https://a.example/users/ann", shared="https://a.example/inbox"))
    assert await resolve_inbox(client, "https://a.example/users/ann", refresh=True) == "https://a.example/inbox"
    assert client.calls == [("https://a.example/users/ann", True)]
    client = FakeClient(actor_row("https://b.example/users/bob"))
    assert await resolve_inbox(client, "https://b.example/users/bob") == "https://b.example/users/bob/inbox"


async def test_resolve_inbox_without_an_inbox_or_actor_raises():
    with pytest.raises(NotFound, match="names no inbox"):
        await resolve_inbox(FakeClient(actor_row("https://a.example/x", inbox=None)), "https://a.example/x")
    with pytest.raises(FetchError):
        await resolve_inbox(FakeClient(FetchError("GET answered 503")), "https://a.example/x")
