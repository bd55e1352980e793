"""Keeping a node tidy (`prune`) and keeping others out (`block`): what is forgotten and
what never is; what a block refuses, hides and leaves alone."""

import json
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest

from fedcommons.errors import BadInput, Forbidden
from fedcommons.federation.client import Client
from fedcommons.home import open_node
from fedcommons.services.moderation import blocks
from fedcommons.store import contributions as contribution_store
from fedcommons.store import deliveries as delivery_store
from fedcommons.store import inbox as inbox_store
from fedcommons.store import log as log_store
from fedcommons.store import sessions as session_store
from fedcommons.store.db import transaction
from fedcommons.web.pages.common import contribution_table
from support_cli import garden_home, invoke, run
from support_nodes import served_node

URL = "http://127.0.0.1:8080"


def stamp(days_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def home(tmp_path):
    return garden_home(tmp_path, URL)


def _fill(home) -> None:
    node = open_node(home)
    try:
        with transaction(node.db):
            for n, (state, days) in enumerate([("processed", 40), ("ignored", 40), ("failed", 40),
                                               ("processed", 5), ("received", 40)]):
                inbox_store.insert_item(node.db, f"https://p.example/a/{n}", b"{}", "https://p.example/u",
                                        None, None, stamp(days))
                item = node.db.conn.execute("SELECT max(id) FROM inbox_items").fetchone()[0]
                if state != "received":
                    inbox_store.finish(node.db, item, state, None, stamp(days))
            for n, (state, days) in enumerate([("delivered", 40), ("delivered", 5), ("failed", 40)]):
                delivery_store.add(node.db, f"{URL}/activities/{n}", node.actor_id, f"https://p.example/{n}/inbox",
                                   "p.example", 0.0, stamp(days))
                row = node.db.conn.execute("SELECT max(id) FROM deliveries").fetchone()[0]
                node.db.conn.execute("UPDATE deliveries SET state = ?, delivered_at = ? WHERE id = ?",
                                     (state, stamp(days) if state == "delivered" else None, row))
            alice = node.db.conn.execute("SELECT id FROM actors WHERE name = 'alice'").fetchone()[0]
            session_store.insert_session(node.db, b"old", alice, b"seal", stamp(20), stamp(6))
            session_store.insert_session(node.db, b"new", alice, b"seal", stamp(1), stamp(-13))
    finally:
        node.close()


def _counts(home) -> tuple:
    node = open_node(home)
    try:
        q = lambda sql: node.db.conn.execute(sql).fetchone()[0]  # noqa: E731
        return (q("SELECT count(*) FROM inbox_items"), q("SELECT count(*) FROM deliveries"),
                q("SELECT count(*) FROM web_sessions"), log_store.log_size(node.db))
    finally:
        node.close()


def test_prune_forgets_old_working_rows_and_nothing_else(home):
    _fill(home)
    before = _counts(home)
    dry = json.loads(run(home, "prune", "--dry-run", "--format", "json").stdout)
    assert dry == {"olderThanDays": 30, "dryRun": True, "inbox_items": 3, "deliveries": 1, "sessions": 1,
                   "oauth_codes_and_tokens": 0}
    assert _counts(home) == before  # a dry run changes nothing
    assert "forgot 3 inbox items, 1 deliveries, 1 sessions" in run(home, "prune").stdout
    inbox, deliveries, sessions, log_size = _counts(home)
    assert (inbox, deliveries, sessions, log_size) == (before[0] - 3, before[1] - 1, before[2] - 1, before[3])
    node = open_node(home)
    try:
        states = sorted(node.db.conn.execute("SELECT state FROM deliveries").fetchall())
        assert states == [("delivered",), ("failed",)]  # the recent one, and the failed one to retry
        assert node.db.conn.execute("SELECT state FROM inbox_items ORDER BY id").fetchall() == [
            ("processed",), ("received",)]  # recent, and not yet processed however old
    finally:
        node.close()
    # A shorter age from the settings, and a longer one from the command line.
    run(home, "settings", "--prune-after-days", "3")
    assert json.loads(run(home, "prune", "--format", "json").stdout)["inbox_items"] == 1
    for bad in ("0", "-3", "40000"):
        result = invoke(home, "prune", "--older-than", bad)
        assert result.exit_code == 2 and "whole number of days" in result.stderr


def test_block_list_unblock_and_bad_targets(home):
    assert run(home, "block", "Social.Example.", "--reason", "spam").stdout.strip() == "blocked social.example"
    assert "already blocked" in run(home, "block", "social.example").stdout
    run(home, "block", "https://other.example/users/troll")
    listed = json.loads(run(home, "blocks", "--format", "json").stdout)
    assert [(b["target"], b["kind"], b["reason"]) for b in listed] == [
        ("social.example", "domain", "spam"), ("https://other.example/users/troll", "actor", None)]
    for bad, says in (("127.0.0.1:8080", "neither a domain"), ("@troll@other.example", "by its actor URL"),
                      ("ftp://x.example/u", "neither a domain"), ("https://x.example", "neither a domain"),
                      ("exa mple.com", "neither a domain")):
        result = invoke(home, "block", bad)
        assert result.exit_code == 2 and says in result.stderr, (bad, result.stderr)
    assert invoke(home, "block", "127.0.0.1").exit_code == 2  # the node's own
    assert run(home, "unblock", "social.example").stdout.strip() == "unblocked social.example"
    result = invoke(home, "unblock", "social.example")
    assert result.exit_code == 2 and "is not blocked" in result.stderr


def test_what_a_block_covers(home):
    node = open_node(home)
    try:
        blocks.block(node, "blocked.example")
        blocks.block(node, "https://open.example/users/troll")
        assert blocks.blocked(node, "https://blocked.example/users/x") == "blocked.example"
        assert blocks.blocked(node, "https://a.b.blocked.example:8443/inbox") == "blocked.example"
        assert blocks.blocked(node, "https://notblocked.example/users/x") is None
        assert blocks.blocked(node, "https://open.example/users/troll") == "https://open.example/users/troll"
        assert blocks.blocked(node, "https://open.example/users/friend") is None
        assert blocks.blocked(node, None) is None and blocks.blocked(node, "not a url") is None
        with pytest.raises(BadInput):
            blocks.block(node, "x" * 300 + ".example")
    finally:
        node.close()


async def test_a_blocked_server_is_refused_at_the_inbox_and_never_fetched(tmp_path):
    async with served_node(tmp_path) as running:
        blocks.block(running.node, "blocked.example")
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://social.blocked.example/a/1",
                    "type": "Follow", "actor": "https://social.blocked.example/users/m",
                    "object": running.node.actor_id}
        async with aiohttp.ClientSession() as http:
            async with http.post(running.url + "/inbox", data=json.dumps(activity).encode(),
                                 headers={"Content-Type": "application/activity+json"}) as response:
                assert response.status == 403
            other = {**activity, "id": "https://open.example/a/1", "actor": "https://open.example/users/m"}
            async with http.post(running.url + "/inbox", data=json.dumps(other).encode(),
                                 headers={"Content-Type": "application/activity+json"}) as response:
                assert response.status == 401  # not blocked: on to the signature, which is missing
        assert running.node.db.conn.execute("SELECT count(*) FROM inbox_items").fetchone()[0] == 0
        client = Client(running.node)
        try:
            with pytest.raises(Forbidden, match="blocked on this node"):
                await client.fetch("https://social.blocked.example/users/m")
        finally:
            await client.close()


def test_pages_hide_the_contributions_of_blocked_people(home):
    run(home, "contribute", "--pool", "garden", "--as", "alice", "--effort", "1h", "--kind", "care", "--summary", "weeding")
    node = open_node(home)
    try:
        rows = [contribution_store.contribution(node.db, cid) for (cid,) in
                node.db.conn.execute("SELECT id FROM contributions")]
        assert len(contribution_table(node, rows)) == 1
        blocks.block(node, f"{URL}/users/alice")
        assert contribution_table(node, rows) == []
        assert log_store.log_size(node.db) > 0 and len(rows) == 1  # the log and the table are untouched
    finally:
        node.close()
