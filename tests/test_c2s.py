"""The ActivityPub API end to end, as a native client drives it against real nodes on
127.0.0.1: discovery, OAuth with PKCE through the HTML form, then posting to the outbox."""

import asyncio
import json
from urllib.parse import urlsplit

import aiohttp
import pytest

from fedcommons.activities import PUBLIC
from fedcommons.services.accounts.accounts import set_password
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.contributions.contributions import decide
from fedcommons.services.actors.pools import create_pool
from fedcommons.store import contributions as contribution_store
from fedcommons.store import follows as follow_store
from fedcommons.store import log as log_store
from support_nodes import RunningNode, eventually, free_port, served_node
from support_oauth import PASSWORD, Redirects, authorize, browser, open_consent, pkce, token

AP = "application/activity+json"


@pytest.fixture
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        node = running.node
        for name in ("alice", "bob", "carol"):
            create_actor(node, "person", name, display_name=name.title())
            set_password(node, name, PASSWORD)
        create_pool(node, "garden", name="Garden", stewards=["bob"], license="MIT")
        yield running


@pytest.fixture
async def redirects():
    listener = await Redirects().start()
    yield listener
    await listener.stop()


async def discover(http, handle: str) -> tuple[dict, dict]:
    """From @name@host to (actor document, authorization server metadata), as a client does."""
    name, host = handle.lstrip("@").split("@")
    async with http.get(f"http://{host}/.well-known/webfinger", params={"resource": f"acct:{name}@{host}"}) as r:
        assert r.status == 200 and r.content_type == "application/jrd+json"
        jrd = await r.json(content_type=None)
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link["type"] == AP
    async with http.get(self_link["href"], headers={"Accept": AP}) as r:
        actor = await r.json(content_type=None)
    endpoints = actor["endpoints"]
    issuer = "{0.scheme}://{0.netloc}".format(urlsplit(endpoints["oauthAuthorizationEndpoint"]))
    async with http.get(f"{issuer}/.well-known/oauth-authorization-server") as r:
        metadata = await r.json()
    assert metadata["issuer"] == issuer
    assert metadata["authorization_endpoint"] == endpoints["oauthAuthorizationEndpoint"]
    assert metadata["token_endpoint"] == endpoints["oauthTokenEndpoint"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    return actor, metadata


async def signed_in(http, served, handle: str, redirect_uri: str, scope: str = "read write") -> tuple[dict, str]:
    """Register a client and sign `handle` in: (actor document, access token)."""
    actor, metadata = await discover(http, handle)
    async with http.post(metadata["registration_endpoint"],
                         json={"client_name": "Test client", "redirect_uris": [redirect_uri]}) as r:
        assert r.status == 201
        client_id = (await r.json())["client_id"]
    async with browser() as session:
        code, verifier = await authorize(session, metadata, client_id=client_id, redirect_uri=redirect_uri,
                                         account=actor["preferredUsername"], scope=scope)
    status, answer = await token(http, metadata, grant_type="authorization_code", code=code,
                                 client_id=client_id, redirect_uri=redirect_uri, code_verifier=verifier)
    assert status == 200, answer
    return actor, answer["access_token"]


async def post(http, outbox: str, access: str | None, body: dict) -> tuple[int, dict, str | None]:
    headers = {"Content-Type": AP}
    if access:
        headers["Authorization"] = f"Bearer {access}"
    async with http.post(outbox, data=json.dumps(body), headers=headers) as r:
        return r.status, await r.json(content_type=None), r.headers.get("Location")


async def read(http, url: str, access: str) -> dict:
    async with http.get(url, headers={"Accept": AP, "Authorization": f"Bearer {access}"}) as r:
        assert r.status == 200, await r.text()
        return await r.json(content_type=None)


async def test_a_native_client_logs_work_from_a_note_and_standing_follows(served, redirects):
    host = f"127.0.0.1:{served.port}"
    node = served.node
    garden = f"{served.url}/pools/garden"
    async with aiohttp.ClientSession() as http:
        actor, access = await signed_in(http, served, f"@alice@{host}", f"{redirects.base}/callback")
        assert redirects.received and "code" in redirects.received[-1]  # the browser really landed there

        # What a fediverse client sends: a bare Note, plain text beside HTML, the pool only
        # in a Mention tag whose href is the pool's `url`, the kind as a Hashtag tag.
        async with http.get(garden, headers={"Accept": AP}) as r:
            pool_url = (await r.json(content_type=None))["url"]
        note = {
            "type": "Note",
            "content": '<p><span class="h-card"><a href="#">@garden</a></span> 3h fixing the '
                       'pump <a href="https://elsewhere.example/tags/code">#code</a></p>',
            "source": {"content": f"@garden@{host} 3h fixing the pump #code", "mediaType": "text/plain"},
            "tag": [{"type": "Mention", "href": pool_url, "name": f"@garden@{host}"},
                    {"type": "Hashtag", "href": "https://elsewhere.example/tags/code", "name": "#code"}],
        }
        status, created, location = await post(http, actor["outbox"], access, note)
        assert status == 201, created
        assert location == created["id"] and created["type"] == "Create"
        assert created["actor"] == actor["id"] and created["object"]["attributedTo"] == actor["id"]
        assert PUBLIC in created["to"] and pool_url in created["cc"]
        assert created["proof"]["verificationMethod"] == f"{actor['id']}#ed25519-key"

        # The pool recorded the claim in its own name, with alice as the provider.
        [claim] = contribution_store.contributions_of_pool(node.db, garden)
        assert (claim.contributor, claim.minutes, claim.kind, claim.status) == (actor["id"], 180, "code", "pending")
            # (The handle's ":PORT" stays in the summary: claims.read_claim strips @name@host only.)
        assert claim.claim == created["object"]["id"] and claim.summary.endswith("fixing the pump")
        assert log_store.entry(node.db, claim.entry).actor == garden

        # alice reads the pool's answer and the recorded claim in her inbox, and her Note
        # in her outbox.
        inbox = await read(http, f"{actor['inbox']}?page=1", access)
        kinds = {(item["actor"], item["object"].get("inReplyTo")) for item in inbox["orderedItems"]}
        assert (garden, created["object"]["id"]) in kinds
        assert any("Contribution" in item["object"]["type"] for item in inbox["orderedItems"])
        outbox = await read(http, f"{actor['outbox']}?page=1", access)
        assert outbox["orderedItems"][0]["id"] == created["id"]

        # bob, the steward, validates it; the validation reaches alice's inbox too.
        decide(node, claim.id, "bob")
        assert contribution_store.contribution(node.db, claim.id).status == "validated"
        inbox = await read(http, f"{actor['inbox']}?page=1", access)
        assert any(item["type"] == "Accept" and item["object"] == claim.id for item in inbox["orderedItems"])

    from fedcommons.services.standing.standing import pool_standing

    rows = pool_standing(node, garden).result.rows
    assert [row.contributor for row in rows] == [actor["id"]]
    assert float(rows[0].score) > 0 and rows[0].share == "1.000000000"


async def test_an_unreachable_client_id_with_a_loopback_redirect_is_shown_unverified(served, redirects):
    node_meta_url = f"{served.url}/.well-known/oauth-authorization-server"
    client_id = f"http://127.0.0.1:{free_port()}/client.json"  # nothing listens there
    redirect_uri = f"http://127.0.0.1:{redirects.port}/cb"
    async with aiohttp.ClientSession() as http:
        async with http.get(node_meta_url) as r:
            metadata = await r.json()
        async with browser() as session:
            verifier, challenge = pkce()
            status, page = await open_consent(session, metadata["authorization_endpoint"], response_type="code",
                                              client_id=client_id, redirect_uri=redirect_uri,
                                              code_challenge=challenge, code_challenge_method="S256", state="s1")
            assert status == 200
            assert "could not be fetched" in page and client_id in page
            code, verifier = await authorize(session, metadata, client_id=client_id, redirect_uri=redirect_uri,
                                             account="carol", scope="write")
        status, answer = await token(http, metadata, grant_type="authorization_code", code=code,
                                     client_id=client_id, redirect_uri=redirect_uri, code_verifier=verifier)
        assert status == 200 and answer["scope"] == "write" and answer["actor"] == f"{served.url}/users/carol"
        status, created, _ = await post(http, f"{served.url}/users/carol/outbox", answer["access_token"], {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Create",
            "object": {"type": ["Note", "Contribution"], "receiver": f"{served.url}/pools/garden",
                       "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 2},
                       "kind": "docs", "name": "wrote the watering guide"},
        })
        assert status == 201, created
    contribution = contribution_store.contribution(served.node.db, created["object"]["id"])
    assert (contribution.contributor, contribution.minutes, contribution.kind) == (
        f"{served.url}/users/carol", 120, "docs")


async def test_tokens_are_checked_per_actor_and_scope(served, redirects):
    async with aiohttp.ClientSession() as http:
        alice, access = await signed_in(http, served, f"@alice@127.0.0.1:{served.port}", f"{redirects.base}/cb")
        _, read_only = await signed_in(http, served, f"@alice@127.0.0.1:{served.port}", f"{redirects.base}/cb",
                                       scope="")
        note = {"type": "Note", "content": "hello"}
        for token_value in (None, "fca_not-a-token"):
            headers = {"Content-Type": AP, **({"Authorization": f"Bearer {token_value}"} if token_value else {})}
            async with http.post(alice["outbox"], data=json.dumps(note), headers=headers) as r:
                assert r.status == 401 and r.content_type == "application/problem+json"
                challenge = r.headers["WWW-Authenticate"]
                assert challenge.startswith("Bearer ") and ("invalid_token" in challenge) == bool(token_value)
        async with http.get(alice["inbox"], headers={"Accept": AP}) as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
        status, problem, _ = await post(http, f"{served.url}/users/bob/outbox", access, note)
        assert status == 403 and "not as" in problem["detail"]
        async with http.post(alice["outbox"], data=json.dumps(note),
                             headers={"Content-Type": AP, "Authorization": f"Bearer {read_only}"}) as r:
            assert r.status == 403 and 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
        await read(http, alice["inbox"], read_only)  # reading is what it may do
        bob = f"{served.url}/users/bob"
        for forged in ({"type": "Create", "actor": bob, "object": note}, {**note, "attributedTo": bob}):
            status, problem, _ = await post(http, alice["outbox"], access, forged)
            assert status == 403 and "posts as" in problem["detail"]
        status, problem, _ = await post(http, alice["outbox"], access, {"type": "Announce", "object": alice["id"]})
        assert status == 400 and "not supported" in problem["detail"]


async def test_contributions_endorsements_validations_and_withdrawals(served, redirects):
    node = served.node
    garden = f"{served.url}/pools/garden"
    host = f"127.0.0.1:{served.port}"
    async with aiohttp.ClientSession() as http:
        alice, alice_token = await signed_in(http, served, f"@alice@{host}", f"{redirects.base}/cb")
        bob, bob_token = await signed_in(http, served, f"@bob@{host}", f"{redirects.base}/cb")
        carol, carol_token = await signed_in(http, served, f"@carol@{host}", f"{redirects.base}/cb")

        # A bare Contribution object, addressed only through `to`: wrapped in a Create.
        status, created, _ = await post(http, alice["outbox"], alice_token, {
            "type": ["Note", "Contribution"], "to": [garden], "content": "<p>90m of #care: weeding</p>",
            "name": "weeding", "evidence": ["https://photos.example/1"]})
        assert status == 201, created
        cid = created["object"]["id"]
        assert contribution_store.contribution(node.db, cid).minutes == 90

        status, endorsement, _ = await post(http, carol["outbox"], carol_token, {"type": "Like", "object": cid})
        assert status == 201 and endorsement["type"] == "Like"
        assert contribution_store.has_endorsed(node.db, cid, carol["id"])
        status, _, _ = await post(http, alice["outbox"], alice_token, {"type": "Like", "object": cid})
        assert status == 403  # endorsing yourself counts for nothing

        status, undo, _ = await post(http, carol["outbox"], carol_token, {"type": "Undo", "object": endorsement["id"]})
        assert status == 201 and not contribution_store.has_endorsed(node.db, cid, carol["id"])

        status, problem, _ = await post(http, carol["outbox"], carol_token, {"type": "Accept", "object": cid})
        assert status == 403 and "not a steward" in problem["detail"]
        status, accepted, _ = await post(http, bob["outbox"], bob_token, {"type": "Accept", "object": {"id": cid}})
        assert status == 201 and accepted["type"] == "Accept"
        assert contribution_store.contribution(node.db, cid).status == "validated"
        status, _, _ = await post(http, alice["outbox"], alice_token, {"type": "Delete", "object": cid})
        assert status == 409  # a decided contribution stays

        status, second, _ = await post(http, alice["outbox"], alice_token, {
            "type": "Create", "object": {"type": "Contribution", "receiver": garden, "kind": "code",
                                         "effortQuantity": {"hasUnit": "minute", "hasNumericalValue": 30},
                                         "name": "typo fix"}})
        assert status == 201
        status, problem, _ = await post(http, bob["outbox"], bob_token,
                                        {"type": "Reject", "object": second["object"]["id"]})
        assert status == 400 and "reason" in problem["detail"]
        status, _, _ = await post(http, alice["outbox"], alice_token, {"type": "Delete", "object": second["object"]["id"]})
        assert status == 201
        assert contribution_store.contribution(node.db, second["object"]["id"]).reason == "withdrawn by its author"

        status, problem, _ = await post(http, alice["outbox"], alice_token, {
            "type": "Contribution", "receiver": garden, "kind": "code", "name": "no effort"})
        assert status == 400 and "effort" in problem["detail"]


async def test_inbox_and_outbox_are_paged_and_the_last_page_has_no_next(served, redirects):
    host = f"127.0.0.1:{served.port}"
    async with aiohttp.ClientSession() as http:
        alice, access = await signed_in(http, served, f"@alice@{host}", f"{redirects.base}/cb")
        for i in range(23):
            status, _, _ = await post(http, alice["outbox"], access, {"type": "Note", "content": f"note {i}"})
            assert status == 201
        outbox = await read(http, alice["outbox"], access)
        assert outbox["totalItems"] == 23
        first = await read(http, outbox["first"], access)
        assert len(first["orderedItems"]) == 20 and first["orderedItems"][0]["object"]["content"] == "note 22"
        last = await read(http, first["next"], access)
        assert len(last["orderedItems"]) == 3 and "next" not in last
        async with http.get(alice["outbox"], headers={"Accept": AP}) as r:
            public = await r.json(content_type=None)
        assert public["totalItems"] == 0  # Notes are delivered, not logged: the public outbox is the log's
        for collection in ("followers", "following"):
            page = await read(http, f"{alice[collection]}?page=1", access)
            assert page["orderedItems"] == [] and "next" not in page


async def test_a_note_from_the_api_reaches_a_pool_on_another_node(tmp_path, redirects):
    """The person's node delivers the Note; the pool's node reads the claim through its
    inbox, on the same path, and its reply lands in the person's API inbox."""
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    await a.start()
    await b.start()
    try:
        create_actor(a.node, "person", "bob")
        set_password(a.node, "bob", PASSWORD)
        create_pool(a.node, "garden", name="Garden", stewards=["bob"], approve_followers=True)
        create_actor(b.node, "person", "alice", display_name="Alice")
        set_password(b.node, "alice", PASSWORD)
        garden = f"{a.url}/pools/garden"
        async with aiohttp.ClientSession() as http:
            alice, access = await signed_in(http, b, f"@alice@127.0.0.1:{b.port}", f"{redirects.base}/cb")
            status, follow, _ = await post(http, alice["outbox"], access, {"type": "Follow", "object": garden})
            assert status == 201
            # The pool asks for approval: its steward gives it through the API on A.
            await eventually(lambda: follow_store.pending(a.node.db, garden) == [(alice["id"], follow["id"])])
            bob, bob_access = await signed_in(http, a, f"@bob@127.0.0.1:{a.port}", f"{redirects.base}/cb")
            status, accepted, _ = await post(http, bob["outbox"], bob_access, {"type": "Accept", "object": follow["id"]})
            assert status == 201 and accepted["actor"] == garden  # the pool answers, as the steward decided
            await eventually(lambda: follow_store.following(b.node.db, alice["id"]) == [garden])

            status, created, _ = await post(http, alice["outbox"], access, {
                "type": "Note", "content": "<p>@garden 2h30m translating the signs #translation</p>",
                "tag": [{"type": "Mention", "href": garden}]})
            assert status == 201
            recorded = await eventually(lambda: contribution_store.contributions_of_pool(a.node.db, garden))
            assert (recorded[0].contributor, recorded[0].minutes, recorded[0].kind) == (
                alice["id"], 150, "translation")
            assert recorded[0].claim == created["object"]["id"]

            async def replied():
                inbox = await read(http, f"{alice['inbox']}?page=1", access)
                return [i for i in inbox["orderedItems"] if isinstance(i["object"], dict)
                        and i["object"].get("inReplyTo") == created["object"]["id"]]

            for _ in range(150):  # bounded: 15 s
                found = await replied()
                if found:
                    break
                await asyncio.sleep(0.1)
            assert found and "Recorded 2 h 30 min of translation" in found[0]["object"]["content"]

            status, undo, _ = await post(http, alice["outbox"], access, {"type": "Undo", "object": follow["id"]})
            assert status == 201
            await eventually(lambda: follow_store.followers(a.node.db, garden) == [])
    finally:
        await b.stop()
        await a.stop()


async def test_changing_and_deleting_what_was_posted(served, redirects):
    from datetime import datetime, timedelta, timezone

    from fedcommons.services.contributions.note_claims import local_pool
    from fedcommons.store import outgoing as outgoing_store

    host = f"127.0.0.1:{served.port}"
    garden = f"{served.url}/pools/garden"
    async with aiohttp.ClientSession() as http:
        alice, alice_token = await signed_in(http, served, f"@alice@{host}", f"{redirects.base}/cb")
        carol, carol_token = await signed_in(http, served, f"@carol@{host}", f"{redirects.base}/cb")
        status, created, _ = await post(http, alice["outbox"], alice_token, {
            "type": "Note", "content": "<p>hello</p>", "to": [PUBLIC], "bcc": [f"{served.url}/users/bob"]})
        assert status == 201 and "bcc" not in created and "bcc" not in created["object"]
        note_id = created["object"]["id"]
        stored = json.loads(outgoing_store.body(served.node.db, created["id"]))
        assert "bcc" not in stored  # hidden recipients are delivered to, never shown

        status, updated, _ = await post(http, alice["outbox"], alice_token, {
            "type": "Update", "object": {"id": note_id, "type": "Note", "content": "<p>hello again</p>"}})
        assert status == 201 and updated["to"] == [PUBLIC]  # goes where the original went
        status, _, _ = await post(http, carol["outbox"], carol_token, {
            "type": "Update", "object": {"id": note_id, "type": "Note", "content": "<p>mine now</p>"}})
        assert status == 403
        status, _, _ = await post(http, carol["outbox"], carol_token, {"type": "Delete", "object": note_id})
        assert status == 403
        status, deleted, _ = await post(http, alice["outbox"], alice_token, {"type": "Delete", "object": note_id})
        assert status == 201 and deleted["object"] == {"id": note_id, "type": "Tombstone"}

        status, problem, _ = await post(http, alice["outbox"], alice_token, {"type": "Follow", "object": garden})
        assert status == 400 and "share its log" in problem["detail"]

        # A client clock a few minutes fast is tolerated; a date hours ahead is not.
        def contribution(ahead: timedelta) -> dict:
            when = (datetime.now(timezone.utc) + ahead).strftime("%Y-%m-%dT%H:%M:%SZ")
            return {"type": "Contribution", "receiver": garden, "kind": "care", "name": "watering",
                    "published": when, "effortQuantity": {"hasUnit": "minute", "hasNumericalValue": 20}}

        status, _, _ = await post(http, alice["outbox"], alice_token, contribution(timedelta(minutes=5)))
        assert status == 201
        status, problem, _ = await post(http, alice["outbox"], alice_token, contribution(timedelta(hours=3)))
        assert status == 400 and "future" in problem["detail"]

    assert local_pool(served.node, garden + "/").id == garden
    assert local_pool(served.node, f"{served.url}/users/alice") is None
