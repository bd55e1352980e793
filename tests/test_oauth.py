"""The OAuth 2.0 authorization server: metadata, registration, the consent form and its
CSRF protection, PKCE, codes, tokens, refresh rotation and revocation."""

import json
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

from fedcommons.services.accounts import oauth, oauth_clients
from fedcommons.services.accounts.accounts import set_password
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.accounts.oauth_clients import check_redirect_uri, redirect_matches
from fedcommons.services.actors.pools import create_pool
from fedcommons.errors import OAuthError
from fedcommons.store import oauth as oauth_store
from fedcommons.store.db import transaction
from fedcommons.web.sign_in import ACCOUNT, LIMITS
import support_db
from support_nodes import eventually, free_port, serve_on_loopback, served_node
from support_oauth import (
    PASSWORD, Redirects, authorize, browser, open_consent, pkce, read_form, submit_consent, token,
)
from support_web import Clock, csrf_of

AP = "application/activity+json"


@pytest.fixture
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        create_actor(running.node, "person", "alice")
        set_password(running.node, "alice", PASSWORD)
        create_pool(running.node, "garden", name="Garden", stewards=["alice"])
        yield running


@pytest.fixture
async def redirects():
    listener = await Redirects().start()
    yield listener
    await listener.stop()


async def metadata_of(http, served) -> dict:
    async with http.get(f"{served.url}/.well-known/oauth-authorization-server") as r:
        assert r.status == 200
        return await r.json()


async def register(http, metadata, **fields) -> tuple[int, dict]:
    async with http.post(metadata["registration_endpoint"], json=fields) as r:
        return r.status, await r.json()


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def start(client_id, redirect_uri, challenge, **extra) -> dict:
    return {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": "xyz",
            "code_challenge": challenge, "code_challenge_method": "S256", **extra}


async def test_metadata_and_actor_endpoints(served, http):
    meta = await metadata_of(http, served)
    assert meta["issuer"] == served.url
    for name in ("authorization", "token", "registration", "revocation"):
        assert meta[f"{name}_endpoint"].startswith(served.url + "/oauth/")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["scopes_supported"] == ["read", "write"]
    assert meta["response_types_supported"] == ["code"]
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["token_endpoint_auth_methods_supported"] == ["none"]
    assert meta["client_id_metadata_document_supported"] is True
    assert meta["activitypub_object_id_as_client_id"] is True
    async with http.get(f"{served.url}/users/alice", headers={"Accept": AP}) as r:
        endpoints = (await r.json(content_type=None))["endpoints"]
    assert endpoints["oauthAuthorizationEndpoint"] == meta["authorization_endpoint"]
    assert endpoints["oauthTokenEndpoint"] == meta["token_endpoint"]
    async with http.get(f"{served.url}/pools/garden", headers={"Accept": AP}) as r:
        assert "oauthTokenEndpoint" not in (await r.json(content_type=None))["endpoints"]


async def test_registration(served, http):
    meta = await metadata_of(http, served)
    status, client = await register(http, meta, client_name="Tusky-like", redirect_uris=[
        "http://127.0.0.1/callback", "http://[::1]/callback", "org.example.app:/oauth", "https://app.example/cb"])
    assert status == 201
    assert client["token_endpoint_auth_method"] == "none" and "client_secret" not in client
    assert client["client_name"] == "Tusky-like" and len(client["redirect_uris"]) == 4
    for bad in (["http://app.example/cb"], ["https://app.example/cb#frag"], [], "https://app.example/cb"):
        status, error = await register(http, meta, redirect_uris=bad)
        assert status == 400 and error["error"] == "invalid_redirect_uri"
    status, error = await register(http, meta, redirect_uris=["https://app.example/cb"],
                                   token_endpoint_auth_method="client_secret_basic")
    assert status == 400 and error["error"] == "invalid_client_metadata"
    async with http.post(meta["registration_endpoint"], data=b"{not json",
                         headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400 and (await r.json())["error"] == "invalid_client_metadata"


def test_redirect_matching_ignores_only_the_loopback_port():
    assert redirect_matches(["http://127.0.0.1/cb"], "http://127.0.0.1:49152/cb")
    assert redirect_matches(["http://[::1]:8000/cb"], "http://[::1]:49152/cb")
    assert not redirect_matches(["http://127.0.0.1/cb"], "http://127.0.0.1:49152/other")
    assert not redirect_matches(["http://127.0.0.1/cb"], "http://[::1]:49152/cb")
    assert not redirect_matches(["https://app.example/cb"], "https://app.example:444/cb")
    assert redirect_matches(["https://app.example/cb"], "https://app.example/cb")
    with pytest.raises(OAuthError):
        check_redirect_uri("http://localhost.evil.example/cb")


async def test_authorization_errors_before_and_after_the_client_is_known(served, http):
    meta = await metadata_of(http, served)
    _, client = await register(http, meta, redirect_uris=["http://127.0.0.1/cb"])
    _, challenge = pkce()
    async with browser() as session:
        # Unknown client or a redirect URI not its own: shown, never redirected.
        for params in (start("fc-unknown", "http://127.0.0.1/cb", challenge),
                       start(client["client_id"], "https://attacker.example/cb", challenge)):
            status, page = await open_consent(session, meta["authorization_endpoint"], **params)
            assert status == 400 and "cannot be used" in page
        # Known client and redirect: errors go back to it, with state.
        cases = [({"code_challenge_method": "plain"}, "invalid_request"),
                 ({"code_challenge": ""}, "invalid_request"),
                 ({"scope": "read admin"}, "invalid_scope"),
                 ({"response_type": "token"}, "unsupported_response_type")]
        for extra, error in cases:
            params = start(client["client_id"], "http://127.0.0.1:5000/cb", challenge, **extra)
            status, location = await open_consent(session, meta["authorization_endpoint"], **params)
            assert status == 303, location
            answer = query_of(location)
            assert answer["error"] == error and answer["state"] == "xyz" and answer["iss"] == served.url
            assert location.startswith("http://127.0.0.1:5000/cb?")


async def test_consent_form_refuses_forgery_and_handles_deny_and_wrong_passwords(served, http):
    meta = await metadata_of(http, served)
    redirect = "http://127.0.0.1:5001/cb"
    _, client = await register(http, meta, client_name="Pump <script>", redirect_uris=[redirect])
    _, challenge = pkce()
    async with browser() as session:
        status, page = await open_consent(session, meta["authorization_endpoint"],
                                          **start(client["client_id"], redirect, challenge, scope="write"))
        assert status == 200
        assert "Pump &lt;script&gt;" in page and "<script>" not in page
        assert "write" in page and "Approve" in page and "Deny" in page
        form = read_form(page)
        assert form.fields["csrf"] and form.fields["scope"] == "write"

        # A forged token, a changed scope, and a browser without the cookie are all refused.
        for overrides in ({"csrf": "9999999999.AAAA"}, {"scope": "read write"}, {"redirect_uri": "http://127.0.0.1:1/x"}):
            status, _, text = await submit_consent(session, served.url, page, account="alice", overrides=overrides)
            assert status == 403, overrides
        async with aiohttp.ClientSession() as cookieless:
            status, _, _ = await submit_consent(cookieless, served.url, page, account="alice")
            assert status == 403

        status, _, text = await submit_consent(session, served.url, page, account="alice", password="wrong one!")
        assert status == 200 and "Wrong account name or password" in text
        status, location, _ = await submit_consent(session, served.url, page, account="alice", decision="deny",
                                                   password="")
        assert status == 303 and query_of(location) == {"error": "access_denied", "state": "xyz",
                                                         "error_description": "the person denied the request",
                                                         "iss": served.url}


async def test_code_exchange_refresh_rotation_and_revocation(served, http, redirects):
    meta = await metadata_of(http, served)
    redirect = f"{redirects.base}/cb"
    _, client = await register(http, meta, redirect_uris=["http://127.0.0.1/cb"])  # any port will do
    cid = client["client_id"]
    async with browser() as session:
        code, verifier = await authorize(session, meta, client_id=cid, redirect_uri=redirect, account="alice",
                                         scope="")
    status, error = await token(http, meta, grant_type="authorization_code", code=code, client_id=cid,
                                redirect_uri=redirect, code_verifier=pkce()[0])
    assert status == 400 and error["error"] == "invalid_grant"  # wrong verifier, and the code is now spent

    async with browser() as session:
        code, verifier = await authorize(session, meta, client_id=cid, redirect_uri=redirect, account="@alice",
                                         scope="")  # no scope asked: read
    status, tokens = await token(http, meta, grant_type="authorization_code", code=code, client_id=cid,
                                 redirect_uri=redirect, code_verifier=verifier)
    assert status == 200 and tokens["token_type"] == "Bearer" and tokens["scope"] == "read"
    assert tokens["expires_in"] >= 8 * 3600 and tokens["actor"] == f"{served.url}/users/alice"
    inbox = f"{served.url}/users/alice/inbox"

    async def inbox_status(access):
        async with http.get(inbox, headers={"Accept": AP, "Authorization": f"Bearer {access}"}) as r:
            return r.status

    assert await inbox_status(tokens["access_token"]) == 200
    # The same code again: refused, and what it gave is revoked.
    status, error = await token(http, meta, grant_type="authorization_code", code=code, client_id=cid,
                                redirect_uri=redirect, code_verifier=verifier)
    assert status == 400 and error["error"] == "invalid_grant"
    assert await inbox_status(tokens["access_token"]) == 401

    async with browser() as session:
        code, verifier = await authorize(session, meta, client_id=cid, redirect_uri=redirect, account="alice",
                                         scope="read")
    _, first = await token(http, meta, grant_type="authorization_code", code=code, client_id=cid,
                           redirect_uri=redirect, code_verifier=verifier)
    status, second = await token(http, meta, grant_type="refresh_token", refresh_token=first["refresh_token"],
                                 client_id=cid)
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    status, error = await token(http, meta, grant_type="refresh_token", refresh_token=second["refresh_token"],
                                client_id=cid, scope="read write")
    assert status == 400 and error["error"] == "invalid_scope"
    # The rotated token coming back means it leaked: the whole grant goes.
    status, error = await token(http, meta, grant_type="refresh_token", refresh_token=first["refresh_token"],
                                client_id=cid)
    assert status == 400 and error["error"] == "invalid_grant"
    assert await inbox_status(second["access_token"]) == 401

    async with browser() as session:
        code, verifier = await authorize(session, meta, client_id=cid, redirect_uri=redirect, account="alice")
    _, fresh = await token(http, meta, grant_type="authorization_code", code=code, client_id=cid,
                           code_verifier=verifier)  # redirect_uri may be left out: PKCE binds the code
    assert await inbox_status(fresh["access_token"]) == 200
    async with http.post(meta["revocation_endpoint"], data={"token": fresh["access_token"], "client_id": cid}) as r:
        assert r.status == 200
    assert await inbox_status(fresh["access_token"]) == 401
    async with http.post(meta["revocation_endpoint"], data={"token": "fca_unknown"}) as r:
        assert r.status == 200

    for params, error in (({"grant_type": "password"}, "unsupported_grant_type"), ({}, "invalid_request"),
                          ({"grant_type": "authorization_code", "client_id": cid}, "invalid_request")):
        status, answer = await token(http, meta, **params)
        assert status == 400 and answer["error"] == error


def test_codes_expire_after_a_minute(served, monkeypatch):
    node = served.node
    verifier, challenge = pkce()
    code = oauth.issue_code(node, client_id="fc-x", actor=f"{served.url}/users/alice",
                            redirect_uri="http://127.0.0.1/cb", scopes=("read",), code_challenge=challenge)
    later = oauth.time.time() + oauth.CODE_SECONDS + 1
    monkeypatch.setattr(oauth.time, "time", lambda: later)
    with pytest.raises(OAuthError, match="expired"):
        oauth.exchange_code(node, code=code, client_id="fc-x", redirect_uri=None, code_verifier=verifier)


def test_tokens_are_stored_hashed(served):
    node = served.node
    verifier, challenge = pkce()
    code = oauth.issue_code(node, client_id="fc-x", actor=f"{served.url}/users/alice",
                            redirect_uri="http://127.0.0.1/cb", scopes=("read", "write"), code_challenge=challenge)
    answer = oauth.exchange_code(node, code=code, client_id="fc-x", redirect_uri=None, code_verifier=verifier)
    dump = support_db.dump(node.db)
    for secret in (code, answer["access_token"], answer["refresh_token"]):
        assert secret not in dump
    assert oauth.bearer(node, f"Bearer {answer['access_token']}").scopes == ("read", "write")


async def serve_document(path: str, document: dict) -> tuple[web.AppRunner, str]:
    port = free_port()
    app = web.Application()
    url = f"http://127.0.0.1:{port}{path}"
    document = json.loads(json.dumps(document).replace("{URL}", url))

    async def answer(request):
        return web.json_response(document, content_type="application/json")

    app.router.add_get(path, answer)
    runner, _ = await serve_on_loopback(app, port)
    return runner, url


@pytest.mark.parametrize("document", [
    {"client_id": "{URL}", "client_name": "Pump Log", "redirect_uris": ["http://127.0.0.1/cb"]},
    {"@context": "https://www.w3.org/ns/activitystreams", "id": "{URL}", "type": "Application",
     "name": "Pump Log", "redirectURI": "http://127.0.0.1/cb"},
])
async def test_client_ids_that_are_documents(served, http, document):
    meta = await metadata_of(http, served)
    runner, client_id = await serve_document("/client", document)
    try:
        _, challenge = pkce()
        async with browser() as session:
            status, page = await open_consent(session, meta["authorization_endpoint"],
                                              **start(client_id, "http://127.0.0.1:6000/cb", challenge))
            assert status == 200 and "Pump Log" in page and "could not be fetched" not in page
            status, page = await open_consent(session, meta["authorization_endpoint"],
                                              **start(client_id, "http://127.0.0.1:6000/elsewhere", challenge))
            assert status == 400
    finally:
        await runner.cleanup()


async def test_an_unfetchable_client_id_needs_a_loopback_redirect(served, http):
    meta = await metadata_of(http, served)
    client_id = f"http://127.0.0.1:{free_port()}/client"
    _, challenge = pkce()
    async with browser() as session:
        status, page = await open_consent(session, meta["authorization_endpoint"],
                                          **start(client_id, "https://app.example/cb", challenge))
        assert status == 400 and "cannot fetch" in page
        status, page = await open_consent(session, meta["authorization_endpoint"],
                                          **start("https://app.example/#frag", "http://127.0.0.1:7/cb", challenge))
        assert status == 400


async def test_wrong_passwords_are_limited_per_account(served, http):
    clock = Clock()
    served.app[LIMITS].clock = clock
    meta = await metadata_of(http, served)
    redirect = "http://127.0.0.1:5002/cb"
    _, client = await register(http, meta, redirect_uris=[redirect])
    _, challenge = pkce()
    async with browser() as session:
        _, page = await open_consent(session, meta["authorization_endpoint"],
                                     **start(client["client_id"], redirect, challenge))
        # The sign-in page and this form share one count, whatever the spelling of the name.
        async with session.get(served.url + "/login") as r:
            token = csrf_of(await r.text(), "/login")
        for _ in range(ACCOUNT.allowance // 2):
            async with session.post(served.url + "/login", data={"csrf": token, "account": "@alice",
                                                                 "password": "not it, no"}) as r:
                assert r.status == 400
        for _ in range(ACCOUNT.allowance - ACCOUNT.allowance // 2):
            status, _, _ = await submit_consent(session, served.url, page, account="Alice", password="not it, no")
            assert status == 200
        form = read_form(page)
        async with session.post(served.url + form.action, allow_redirects=False,
                                data={**form.fields, "account": "alice", "password": PASSWORD,
                                      "decision": "approve"}) as r:
            assert r.status == 429 and r.headers["Retry-After"] == str(ACCOUNT.lane_seconds)
            assert "Location" not in r.headers and "Too many wrong passwords" in await r.text()
        # Not a lock-out: the person who knows the password is in after the slow lane's interval.
        clock.now += ACCOUNT.lane_seconds
        status, location, _ = await submit_consent(session, served.url, page, account="alice")
        assert status == 303 and "code" in query_of(location)


async def test_registration_is_limited_per_address(served, http):
    meta = await metadata_of(http, served)
    burst = oauth_clients.REGISTRATIONS_PER_ADDRESS.burst
    for _ in range(3):  # refused metadata stores nothing and does not count
        status, _ = await register(http, meta, redirect_uris=["http://app.example/cb"])
        assert status == 400
    for _ in range(burst):
        status, _ = await register(http, meta, redirect_uris=["https://app.example/cb"])
        assert status == 201
    async with http.post(meta["registration_endpoint"], json={"redirect_uris": ["https://app.example/cb"]}) as r:
        assert r.status == 429 and r.content_type == "application/problem+json"
        assert 0 < int(r.headers["Retry-After"]) <= oauth_clients.REGISTRATIONS_PER_ADDRESS.every
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        problem = await r.json(content_type=None)
    assert problem["status"] == 429 and "too many client registrations" in problem["detail"]
    assert served.node.db.conn.execute("SELECT count(*) FROM oauth_clients").fetchone()[0] == burst


def test_unused_clients_expire_and_used_ones_stay(served):
    node = served.node
    day = oauth_clients.UNUSED_CLIENT_SECONDS
    register = lambda: oauth_clients.register_client(node, {"redirect_uris": ["http://127.0.0.1/cb"]})["client_id"]  # noqa: E731
    unused, authorized, in_consent = register(), register(), register()
    verifier, challenge = pkce()
    alice = f"{served.url}/users/alice"
    code = oauth.issue_code(node, client_id=authorized, actor=alice, redirect_uri="http://127.0.0.1/cb",
                            scopes=("read",), code_challenge=challenge)
    oauth.exchange_code(node, code=code, client_id=authorized, redirect_uri=None, code_verifier=verifier)
    now = oauth.time.time()

    def clients() -> set[str]:
        return {row[0] for row in node.db.conn.execute("SELECT client_id FROM oauth_clients")}

    assert oauth_clients.expire_unused_clients(node, at=now + day - 60) == 0, "a day to get a first code"
    oauth_store.insert_code(node.db, b"pending", oauth_store.CodeRow(
        "g", in_consent, alice, "http://127.0.0.1/cb", "read", challenge, now + day + 30, False))
    assert oauth_clients.expire_unused_clients(node, at=now + day + 1) == 1
    assert unused not in clients() and clients() == {authorized, in_consent}
    assert oauth_clients.expire_unused_clients(node, at=now + day + 61) == 1, "its code has expired"
    assert clients() == {authorized}
    assert oauth_clients.expire_unused_clients(node, at=now + oauth.REFRESH_SECONDS - 60) == 0
    assert oauth_clients.expire_unused_clients(node, at=now + oauth.REFRESH_SECONDS + 60) == 1
    assert clients() == set()


async def test_housekeeping_deletes_unused_clients_while_serving(served):
    from fedcommons.federation.housekeeping import Housekeeping
    from fedcommons.node import utc_stamp

    node = served.node
    old = utc_stamp(oauth.time.time() - oauth_clients.UNUSED_CLIENT_SECONDS - 1)
    with transaction(node.db):
        oauth_store.insert_client(node.db, oauth_store.ClientRow("fc-old", None, ["https://a.example/cb"], {}, old))
    fresh = oauth_clients.register_client(node, {"redirect_uris": ["https://a.example/cb"]})["client_id"]
    worker = Housekeeping(node, interval=0.05, first_delay=0)
    worker.start()
    try:
        await eventually(lambda: worker.rounds >= 1)
    finally:
        await worker.stop()
    assert oauth_store.client(node.db, "fc-old") is None
    assert oauth_store.client(node.db, fresh) is not None
