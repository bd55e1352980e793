"""The web pages over plain HTTP: what each page shows, sessions, CSRF, forms and 404s."""

import asyncio
import base64
import hashlib
import re
import time
from datetime import datetime, timedelta, timezone
from html import unescape

import aiohttp
import pytest

from fedcommons.errors import Unauthorized
from fedcommons.log.merkle import verify_inclusion
from fedcommons.home import init_node
from fedcommons.services.accounts import accounts, sessions
from fedcommons.services.actors.actors import create_actor
from fedcommons.store import actors as actor_store
from fedcommons.store import contributions as contribution_store
from fedcommons.store import log as log_store
from fedcommons.store import mirrors as mirror_store
from fedcommons.store import sessions as session_store
from fedcommons.store import witness as witness_store
from fedcommons.web.sign_in import ACCOUNT, ADDRESS, LIMITS
from fedcommons.web.templating import STYLESHEET
import support_db
from support_nodes import served_node
from support_web import AP, HTML, PASSWORD, Clock, csrf_of, form_of, populate


@pytest.fixture
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        running.ids = populate(running.node)
        yield running


def browser_session(address: str = "127.0.0.1") -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1, as a browser does, connecting from `address`
    (any loopback address: the node sees it as the client's)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"Accept": HTML},
                                 connector=aiohttp.TCPConnector(local_addr=(address, 0)))


@pytest.fixture
async def http():
    async with browser_session() as session:
        yield session


async def page(http, url, **params) -> tuple[int, str]:
    async with http.get(url, params=params, allow_redirects=False) as response:
        return response.status, await response.text()


async def sign_in(http, base: str, account: str, password: str = PASSWORD, **headers) -> aiohttp.ClientResponse:
    status, text = await page(http, f"{base}/login")
    assert status == 200
    async with http.post(f"{base}/login", data={"csrf": csrf_of(text, "/login"), "account": account,
                                                 "password": password, "next": "/"},
                         headers=headers, allow_redirects=False) as response:
        await response.read()
        return response


def text_of(html: str) -> str:
    """The visible text of a page, roughly: tags dropped, entities decoded, spaces folded."""
    return " ".join(unescape(re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S)).split())


def section(html: str, heading: str) -> str:
    """The HTML from an <h2> heading to the next one."""
    match = re.search(r"<h2>" + re.escape(heading) + r"</h2>(.*?)(?=<h2>|</main>)", html, re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


# -- what the pages show ----------------------------------------------------------------


async def test_home_shows_pools_coops_log_witnesses_peers_and_a_fork_alarm(served, http):
    node = served.node
    status, html = await page(http, served.url + "/")
    assert status == 200
    text = text_of(html)
    assert "Community Garden" in text and "Wiki" in text and "Bakery Cooperative" in text
    size, _, note = log_store.latest_checkpoint(node.db)
    assert f"{size:,} entries" in text
    assert unescape(note.strip()) in unescape(html)
    assert "No witness has cosigned" in text and "replicates no other log yet" in text
    assert "Fork alarm" not in text
    garden = next(row for row in actor_store.local_actors(node.db, "pool") if row.display_name == "Community Garden")
    total, pending = (contribution_store.count_of_pool(node.db, garden.id),
                      contribution_store.count_of_pool(node.db, garden.id, status="pending"))
    assert 0 < pending < total
    row = re.search(r"<tr><td><a [^>]*>Community Garden</a>.*?</tr>", html).group(0)
    assert re.findall(r"<td class=num>([\d,]+)</td>", row) == [f"{total:,}", f"{pending:,}"]

    witness_store.add_cosignature(node.db, size, "witness.example", b"\x01\x02\x03\x04", 1700000000,
                                  "— witness.example AQIDBAAAAABlU/EA\n", "2026-01-01T00:00:00Z")
    mirror_store.create_mirror(node.db, "peer.example", "https://peer.example", "https://peer.example/actor",
                               "peer.example+01020304+AAAA", b"\0" * 32, "2026-01-01T00:00:00Z")
    mirror_store.create_mirror(node.db, "bad.example", "https://bad.example", "https://bad.example/actor",
                               "bad.example+01020304+AAAA", b"\0" * 32, "2026-01-01T00:00:00Z")
    mirror_store.record_sync(node.db, "peer.example", "2026-01-02T00:00:00Z", "connection refused")
    mirror_store.add_fork(node.db, "bad.example", "inconsistent", {"notes": ["a", "b"]}, None,
                          "2026-01-03T00:00:00Z")
    mirror_store.mark_forked(node.db, "bad.example", "two checkpoints of size 5")
    status, html = await page(http, served.url + "/")
    text = text_of(html)
    assert "Cosigned by 1 witness" in text and "witness.example AQIDBAAAAABlU/EA" in text
    peers = text_of(section(html, "Peers"))
    assert "peer.example" in peers and "connection refused" in peers
    assert "bad.example" in peers and "forked" in peers
    alarm = re.search(r"<div class=alarm role=alert>(.*?)</div>", html, re.S)
    assert alarm and "bad.example" in alarm.group(1) and "2026-01-03" in alarm.group(1)
    assert html.index("Fork alarm") < html.index("<h2>Pools</h2>")


async def test_pool_page_shows_facts_chart_ranking_statuses_and_proofs(served, http):
    node = served.node
    status, html = await page(http, f"{served.url}/pools/garden")
    assert status == 200
    text = text_of(html)
    assert "Community Garden" in text and "Beds, tools and a rota for watering." in text
    assert "CC-BY-SA-4.0" in text and re.search(r"Stewards\s+Bob", text)
    chart = re.search(r"<figure class=chart>(<svg .*?</svg>)</figure>", html, re.S)
    assert chart and "Carol" in chart.group(1) and "100.00%" in chart.group(1)
    ranking = re.findall(r"<tr><td class=num>(\d+)</td><td><a [^>]*>([^<]+)</a>",
                         re.search(r"<table class=ranking>.*?</table>", html, re.S).group(0))
    assert ranking == [("1", "Carol")]
    recent = re.search(r"<table class=contributions>.*?</table>", html, re.S).group(0)
    statuses = re.findall(r"class='status-(\w+)'", recent)
    assert sorted(statuses) == ["pending", "rejected", "validated"]
    assert f'href="{served.url}/pools/garden?format=json"' in html
    assert "/pools/garden/standing" in html

    # Each contribution links the inclusion proof of its log entry, and the proof verifies.
    row = contribution_store.contribution(node.db, served.ids["pending"])
    size = log_store.latest_checkpoint(node.db)[0]
    link = f"/log/proof/inclusion?index={row.entry}&amp;size={size}"
    assert link in recent
    async with http.get(served.url + unescape(link), headers={"Accept": "application/json"}) as response:
        proof = await response.json()
    leaf = log_store.entry(node.db, row.entry).leaf_hash
    assert base64.b64decode(proof["leafHash"]) == leaf
    verify_inclusion(row.entry, size, leaf, [base64.b64decode(h) for h in proof["proof"]],
                     log_store.latest_checkpoint(node.db)[1])


async def test_the_same_urls_still_answer_json_ld(served, http):
    for path, kind in (("/pools/garden", ["Group", "CommonPool"]), ("/users/carol", "Person"),
                       ("/coops/bakery", ["Organization", "Cooperative"])):
        async with http.get(served.url + path, headers={"Accept": AP}) as response:
            assert response.content_type == AP
            assert (await response.json(content_type=None))["type"] == kind


async def test_every_negotiated_answer_says_it_varies_with_accept(served, http):
    # A shared cache must not hand the page to an ActivityPub client, or the JSON to a browser.
    paths = ["/pools/garden", "/users/carol", "/coops/bakery", "/pools/garden/standing",
             served.ids["rejected"].removeprefix(served.url), "/users/nobody"]
    for path in paths:
        for accept in (AP, "text/html", "*/*"):
            async with http.get(served.url + path, headers={"Accept": accept}) as response:
                await response.read()
                vary = [part.strip().lower() for part in response.headers.get("Vary", "").split(",")]
                assert vary.count("accept") == 1, (path, accept, response.status, response.headers.get("Vary"))
    async with http.get(served.url + "/health") as response:  # not negotiated: no claim that it is
        assert "accept" not in response.headers.get("Vary", "").lower()


async def test_a_contribution_and_its_activity_have_pages_for_browsers(served, http):
    status, html = await page(http, served.ids["rejected"])
    shown = text_of(html)
    row = contribution_store.contribution(served.node.db, served.ids["rejected"])
    entry = log_store.entry(served.node.db, row.entry)
    assert status == 200
    assert "looked at the weeds" in shown and "not work on the garden" in shown
    assert entry.leaf_hash.hex() in shown
    status, html = await page(http, entry.activity_id)
    assert status == 200
    assert f"<h1>{entry.type}</h1>" in html and entry.leaf_hash.hex() in html
    assert "looked at the weeds" in text_of(html)  # the activity's JSON, shown


async def test_contributor_page_shows_work_standing_and_payouts(served, http):
    status, html = await page(http, f"{served.url}/users/carol")
    assert status == 200
    standing = text_of(section(html, "Standing"))
    assert "Community Garden 1 of 1" in standing and "Wiki 1 of 1" in standing
    payouts = section(html, "Payouts received")
    assert "Bakery Cooperative" in payouts and "90.00 EUR" in payouts
    assert f'href="{served.ids["distribution"]}"' in payouts
    assert f'href="{served.ids["distribution"]}.csv"' in payouts
    work = section(html, "Contributions")
    assert "watered the beds" in work and "wrote the tool page" in work and "oiled the hinges" in work
    assert "/log/proof/inclusion?index=" in work

    status, html = await page(http, f"{served.url}/users/alice")
    assert "none yet" in text_of(section(html, "Standing"))
    assert "No payouts" in section(html, "Payouts received")


async def test_cooperative_page_shows_weights_and_links_each_distribution(served, http):
    status, html = await page(http, f"{served.url}/coops/bakery")
    assert status == 200
    sustains = text_of(section(html, "Pools it sustains"))
    assert "Community Garden 2 66.67%" in sustains and "Wiki 1 33.33%" in sustains
    assert "<svg" in section(html, "Pools it sustains")
    books = section(html, "Distributions")
    distribution = served.ids["distribution"]
    assert "90.00 EUR" in books and "recent" in books
    assert f'href="{distribution}"' in books and f'href="{distribution}.csv"' in books
    status, detail = await page(http, distribution)
    assert status == 200 and "Carol" in detail
    async with http.get(distribution + ".csv") as response:
        assert response.status == 200 and response.content_type == "text/csv"
        assert "recipient,amount,currency" in await response.text()


async def test_log_browser_pages_entries_with_leaf_hashes_and_proofs(served, http):
    node = served.node
    size = log_store.log_size(node.db)
    status, html = await page(http, f"{served.url}/log")
    assert status == 200
    numbers = [int(n) for n in re.findall(r"<tr id=entry-(\d+)", html)]
    assert numbers == list(range(size - 1, max(-1, size - 51), -1))
    newest = log_store.entry(node.db, size - 1)
    assert newest.leaf_hash.hex() in html
    assert f"/log/proof/inclusion?index={size - 1}&amp;size={size}" in html
    assert f"/log/entries?start={size - 1}&amp;limit=1" in html

    status, html = await page(http, f"{served.url}/log", entry="2")
    assert status == 200 and "<tr id=entry-2 class=highlight>" in html
    assert log_store.entry(node.db, 0).leaf_hash.hex() in html
    status, html = await page(http, f"{served.url}/log", entry="two")
    assert status == 400 and "entry must be an entry number" in text_of(html)
    async with http.get(f"{served.url}/log", headers={"Accept": "application/json"}) as response:
        index = await response.json()
    assert index["size"] == size and index["checkpoint"] == f"{served.url}/log/checkpoint"
    # The data endpoints under /log/ stay data.
    async with http.get(f"{served.url}/log/entries?start=0&limit=1") as response:
        assert response.content_type == "application/json"


async def test_pages_load_nothing_from_another_host(served, http):
    for path in ("/", "/pools/garden", "/users/carol", "/coops/bakery", "/log", "/login"):
        async with http.get(served.url + path) as response:
            html = await response.text()
            policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "<script" not in html
        # The one link is the stylesheet, served by this node.
        assert re.findall(r"<link[^>]*>", html) == [f'<link rel=stylesheet href="{STYLESHEET}">']
        assert not re.search(r'\ssrc=["\']?(https?:)?//', html)


async def test_unknown_pages_are_404_pages(served, http):
    for path in ("/nothing/here", "/pools/nope", "/users/nobody", "/pools/nope/pending", "/coops/nope"):
        status, html = await page(http, served.url + path)
        assert status == 404, path
        assert "<h1>404 Not found</h1>" in html and "Traceback" not in html
    async with http.get(served.url + "/pools/nope", headers={"Accept": AP}) as response:
        assert response.status == 404 and response.content_type == "application/problem+json"


# -- signing in ---------------------------------------------------------------------------


async def test_session_cookie_flags_and_hashed_storage(served, http):
    response = await sign_in(http, served.url, "alice")
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith("fc_session="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # the node's URL is http
    token = cookie.split(";")[0].split("=", 1)[1]
    stored = served.node.db.conn.execute("SELECT token_hash, expires_at FROM web_sessions").fetchall()
    assert stored == [(hashlib.sha256(token.encode()).digest(), stored[0][1])]
    assert token not in support_db.dump(served.node.db)
    if not served.node.config.on_postgresql:  # and in no byte of the file
        assert token.encode() not in served.node.config.database.read_bytes()
    status, html = await page(http, served.url + "/")
    assert csrf_of(html, "/logout") and f'href="{served.url}/users/alice">alice</a>' in html


async def test_session_cookie_is_secure_when_the_node_is_https(tmp_path):
    async with served_node(tmp_path, "s", url="https://commons.example", workers=False) as running, \
            aiohttp.ClientSession(running.url) as client:
        create_actor(running.node, "person", "alice")
        accounts.set_password(running.node, "alice", PASSWORD)
        response = await client.get("/login", headers={"Accept": HTML})
        text = await response.text()
        login_cookie = response.headers["Set-Cookie"]
        assert "Secure" in login_cookie and "HttpOnly" in login_cookie
        nonce = login_cookie.split(";")[0].split("=", 1)[1]
        response = await client.post("/login", data={"csrf": csrf_of(text, "/login"), "account": "alice",
                                                     "password": PASSWORD},
                                     cookies={"fc_login": nonce}, allow_redirects=False)
        assert response.status == 303
        cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith("fc_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


async def test_wrong_password_is_said_next_to_the_field_and_keeps_the_account(served, http):
    response = await sign_in(http, served.url, "alice", "not her password")
    assert response.status == 400
    assert "fc_session" not in {c.key for c in http.cookie_jar}
    status, text = await page(http, served.url + "/login")
    async with http.post(served.url + "/login", data={"csrf": csrf_of(text, "/login"), "account": "alice",
                                                      "password": "wrong again"}) as response:
        html = await response.text()
    field = re.search(r'<div class=field id="field-password">(.*?)</div>', html, re.S).group(1)
    assert "Wrong account name or password." in field
    assert re.search(r'id="account" name="account" type=text value="alice"', html)


@pytest.fixture
def clock(served):
    """The sign-in limits' clock, moved by the test."""
    clock = Clock()
    served.app[LIMITS].clock = clock
    return clock


class PasswordChecks:
    """Stands in for scrypt (tested in test_accounts): counts the checks, each taking `delay`."""

    def __init__(self):
        self.calls = 0
        self.delay = 0.0

    def __call__(self, stored, password):
        self.calls += 1
        time.sleep(self.delay)
        return stored is not None and password == PASSWORD


@pytest.fixture
def checks(monkeypatch):
    checks = PasswordChecks()
    monkeypatch.setattr(accounts, "password_matches", checks)
    return checks


async def test_wrong_passwords_are_limited_per_account_whatever_its_spelling(served, http, clock, checks):
    host = served.url.split("//")[1]
    spellings = ["alice", "@alice", "Alice ", f"alice@{host}", f"@ALICE@{host}"]
    for n in range(ACCOUNT.allowance):
        assert (await sign_in(http, served.url, spellings[n % len(spellings)], "a guess")).status == 400
    # Now even the right password is refused for a while, unchecked, however the name is written.
    for spelling in spellings:
        response = await sign_in(http, served.url, spelling, PASSWORD)
        assert response.status == 429 and "Too many wrong passwords" in await response.text()
        assert response.headers["Retry-After"] == str(ACCOUNT.lane_seconds)
    assert "fc_session" not in {c.key for c in http.cookie_jar}
    assert checks.calls == ACCOUNT.allowance
    # A name of nobody is counted the same way, so the answers do not tell who has an account.
    for n in range(ACCOUNT.allowance):
        assert (await sign_in(http, served.url, ["nobody", "@Nobody"][n % 2], "a guess")).status == 400
    response = await sign_in(http, served.url, f"nobody@{host}", "a guess")
    assert response.status == 429 and response.headers["Retry-After"] == str(ACCOUNT.lane_seconds)


async def test_concurrent_wrong_guesses_past_the_allowance_are_not_checked(served, http, clock, checks):
    checks.delay = 0.1  # every guess is in flight before the first is answered
    status, text = await page(http, served.url + "/login")
    token = csrf_of(text, "/login")

    async def guess(n):
        async with http.post(served.url + "/login", data={"csrf": token, "account": "alice", "password": f"guess {n}"},
                             allow_redirects=False) as response:
            return response.status, response.headers.get("Retry-After")

    answers = await asyncio.gather(*(guess(n) for n in range(60)))
    assert checks.calls == ACCOUNT.allowance
    assert sorted(status for status, _ in answers) == [400] * ACCOUNT.allowance + [429] * (60 - ACCOUNT.allowance)
    assert {after for status, after in answers if status == 429} == {str(ACCOUNT.lane_seconds)}


async def test_the_owner_gets_in_after_a_short_wait_while_a_guesser_keeps_failing(served, http, clock, checks):
    for _ in range(ACCOUNT.allowance):
        assert (await sign_in(http, served.url, "@alice", "a guess")).status == 400
    async with browser_session("127.0.0.3") as owner:
        response = await sign_in(owner, served.url, "alice")
        assert response.status == 429
        assert 0 < int(response.headers["Retry-After"]) <= ACCOUNT.lane_seconds
        clock.now += ACCOUNT.lane_seconds
        # The guesser, always first when the slow lane opens, gets one guess and no more ...
        assert (await sign_in(http, served.url, "ALICE", "another guess")).status == 400
        assert (await sign_in(http, served.url, "ALICE", "and another")).status == 429
        response = await sign_in(owner, served.url, "alice")
        assert response.status == 429 and response.headers["Retry-After"] == str(ACCOUNT.lane_seconds)
        clock.now += ACCOUNT.lane_seconds
        # ... and must leave the next opening to someone else: the owner is in, 20 seconds on.
        assert (await sign_in(http, served.url, "ALICE", "another guess")).status == 429
        assert (await sign_in(owner, served.url, "alice")).status == 303
        status, html = await page(owner, served.url + "/")
        assert "sign out" in html
    assert (await sign_in(http, served.url, "alice", "a guess")).status == 429
    assert checks.calls == ACCOUNT.allowance + 2


async def test_one_address_cannot_guess_across_many_accounts(served, http, clock, checks):
    # X-Forwarded-For is anyone's to write: changing it changes nothing.
    for n in range(ADDRESS.allowance):
        response = await sign_in(http, served.url, f"user{n}", "password1", **{"X-Forwarded-For": f"203.0.113.{n}"})
        assert response.status == 400
    response = await sign_in(http, served.url, "alice", PASSWORD, **{"X-Forwarded-For": "203.0.113.200"})
    assert response.status == 429 and response.headers["Retry-After"] == str(ADDRESS.lane_seconds)
    async with browser_session("127.0.0.2") as elsewhere:  # the account itself is not slowed
        assert (await sign_in(elsewhere, served.url, "alice")).status == 303
    assert checks.calls == ADDRESS.allowance + 1
    clock.now += ADDRESS.lane_seconds
    assert (await sign_in(http, served.url, "bob", "password1")).status == 400
    assert (await sign_in(http, served.url, "carol", "password1")).status == 429


async def test_sign_in_and_out_need_the_forms_token(served, http):
    await page(http, served.url + "/login")  # the form's cookie, but a made-up token
    async with http.post(served.url + "/login", data={"csrf": "forged", "account": "alice",
                                                      "password": PASSWORD}, allow_redirects=False) as response:
        assert response.status == 403 and response.content_type == "text/html"
        assert "was not issued to this browser" in await response.text()
    assert served.node.db.conn.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 0

    await sign_in(http, served.url, "alice")
    async with http.post(served.url + "/logout", data={"csrf": "forged"}, allow_redirects=False) as response:
        assert response.status == 403 and "<h1>403 Forbidden</h1>" in await response.text()
    status, html = await page(http, served.url + "/")
    assert "sign out" in html  # still signed in
    async with http.post(served.url + "/logout", data={"csrf": csrf_of(html, "/logout")},
                         allow_redirects=False) as response:
        assert response.status == 303
    assert session_store.count_sessions(served.node.db, f"{served.url}/users/alice") == 0
    status, html = await page(http, served.url + "/")
    assert "sign in" in html and "sign out" not in html


def test_sessions_expire_and_only_their_hash_is_kept(tmp_path):
    node = init_node(tmp_path / "s", "http://127.0.0.1:9")
    person = create_actor(node, "person", "alice")
    with pytest.raises(Unauthorized):
        sessions.start(node, person)  # no password, no session
    accounts.set_password(node, "alice", PASSWORD)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    session = sessions.start(node, person, at=start)
    assert sessions.resume(node, session.token, at=start + timedelta(days=13, hours=23)).person.id == person.id
    assert sessions.resume(node, session.token, at=start + timedelta(days=14)) is None
    assert sessions.resume(node, session.token[:-1], at=start) is None
    assert sessions.resume(node, "x" * 4096, at=start) is None
    # The next sign-in clears sessions that ran out.
    sessions.start(node, person, at=start + timedelta(days=15))
    assert session_store.count_sessions(node.db, person.id) == 1
    node.close()


async def test_a_new_password_ends_every_session(served, http):
    await sign_in(http, served.url, "alice")
    status, html = await page(http, served.url + "/contribute")
    assert status == 200
    accounts.set_password(served.node, "alice", "a brand new password")
    status, _ = await page(http, served.url + "/contribute")
    assert status == 303
    response = await sign_in(http, served.url, "alice", "a brand new password")
    assert response.status == 303
    status, _ = await page(http, served.url + "/contribute")
    assert status == 200


# -- logging work -------------------------------------------------------------------------


async def test_the_contribution_form_needs_a_signed_in_person(served, http):
    status, _ = await page(http, served.url + "/contribute")
    assert status == 303
    async with http.get(served.url + "/contribute?pool=wiki") as response:
        assert response.url.path == "/login"
        html = await response.text()
    # Signed in, the browser comes back to the form it asked for.
    assert '<input type=hidden name="next" value="/contribute?pool=wiki">' in html
    async with http.post(served.url + "/login", allow_redirects=False, data={
            "csrf": csrf_of(html, "/login"), "account": "alice", "password": PASSWORD,
            "next": "/contribute?pool=wiki"}) as response:
        assert response.headers["Location"] == "/contribute?pool=wiki"
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        async with browser_session() as other:
            _, html = await page(other, served.url + "/login")
            async with other.post(served.url + "/login", allow_redirects=False, data={
                    "csrf": csrf_of(html, "/login"), "account": "alice", "password": PASSWORD,
                    "next": target}) as response:
                assert response.headers["Location"] == "/"


async def test_a_bad_effort_is_said_next_to_the_field_and_the_rest_is_kept(served, http):
    await sign_in(http, served.url, "alice")
    status, html = await page(http, served.url + "/contribute", pool="garden")
    assert status == 200 and '<option value="garden" selected>' in html
    kinds = re.findall(r'<option value="(\w+)"', form_of(html, "/contribute").split('name="kind"')[1])
    assert kinds[:len(served.node.config.kinds)] == list(served.node.config.kinds)
    size = log_store.log_size(served.node.db)
    fields = {"csrf": csrf_of(html, "/contribute"), "pool": "garden", "effort": "three hours", "kind": "docs",
              "summary": "drew the <bed> plan", "evidence": "https://git.example/plan\nhttps://git.example/2",
              "date": "2026-01-10"}
    async with http.post(served.url + "/contribute", data=fields, allow_redirects=False) as response:
        assert response.status == 400
        html = await response.text()
    effort = re.search(r'<div class=field id="field-effort">(.*?)</div>', html, re.S).group(1)
    assert "Cannot read effort &#39;three hours&#39;" in effort and "aria-invalid=true" in effort
    assert 'value="three hours"' in effort
    assert '<option value="garden" selected>' in html and '<option value="docs" selected>' in html
    assert "drew the &lt;bed&gt; plan</textarea>" in html
    assert "https://git.example/plan\nhttps://git.example/2</textarea>" in html
    assert 'value="2026-01-10"' in html
    assert log_store.log_size(served.node.db) == size

    fields.update(effort="2h", date="2999-01-01", evidence="not a link")
    async with http.post(served.url + "/contribute", data=fields) as response:
        html = await response.text()
    assert "in the future" in re.search(r'id="field-date">(.*?)</div>', html, re.S).group(1)
    assert "not a link" in re.search(r'id="field-evidence">(.*?)</div>', html, re.S).group(1)
    assert "field-error" not in re.search(r'id="field-effort">(.*?)</div>', html, re.S).group(1)


async def test_logging_a_contribution_writes_it_pending(served, http):
    await sign_in(http, served.url, "alice")
    status, html = await page(http, served.url + "/contribute")
    async with http.post(served.url + "/contribute", allow_redirects=False, data={
            "csrf": csrf_of(html, "/contribute"), "pool": "garden", "effort": "1h30m", "kind": "design",
            "summary": "drew the bed plan", "evidence": "https://git.example/plan", "date": "2026-01-10"}) as response:
        assert response.status == 303
        location = response.headers["Location"]
    row = contribution_store.contribution(served.node.db, location)
    assert (row.contributor, row.minutes, row.kind, row.status) == (f"{served.url}/users/alice", 90, "design",
                                                                    "pending")
    assert row.published == "2026-01-10T00:00:00Z"
    status, html = await page(http, location)
    assert status == 200 and "pending" in html


async def test_a_forged_or_foreign_token_is_refused_and_nothing_is_written(served):
    size = log_store.log_size(served.node.db)
    async with browser_session() as alice, browser_session() as carol:
        await sign_in(alice, served.url, "alice")
        await sign_in(carol, served.url, "carol")
        _, carols_form = await page(carol, served.url + "/contribute")
        fields = {"pool": "garden", "effort": "1h", "kind": "care", "summary": "x", "evidence": "", "date": ""}
        for token in ("forged", csrf_of(carols_form, "/contribute"), None):
            data = dict(fields, **({"csrf": token} if token else {}))
            async with alice.post(served.url + "/contribute", data=data, allow_redirects=False) as response:
                assert response.status == 403 and response.content_type == "text/html"
                assert "<h1>403 Forbidden</h1>" in await response.text()
    assert log_store.log_size(served.node.db) == size


# -- reviewing ----------------------------------------------------------------------------


async def test_only_stewards_see_the_queue(served, http):
    await sign_in(http, served.url, "carol")
    status, html = await page(http, served.url + "/pools/garden/pending")
    assert status == 403 and "only the stewards of Community Garden" in html
    status, html = await page(http, served.url + "/pools/garden")
    assert "wait for review" not in html and "waits for review" not in html


async def test_a_steward_validates_and_rejects_from_the_queue(served, http):
    node = served.node
    pending = served.ids["pending"]
    await sign_in(http, served.url, "bob")
    status, html = await page(http, served.url + "/pools/garden")
    assert "1 contribution waits for review" in text_of(html)
    status, html = await page(http, served.url + "/pools/garden/pending")
    assert status == 200 and "oiled the hinges" in html
    action = f"{served.url}/pools/garden/pending"
    token = csrf_of(html, action)

    async with http.post(action, data={"csrf": token, "contribution": pending, "decision": "reject",
                                       "reason": " "}) as response:
        assert response.status == 400
        html = await response.text()
    item = pending.rsplit("/", 1)[1]
    field = re.search(rf'<div class=field id="field-reason-{item}">(.*?)</div>', html, re.S).group(1)
    assert "Say why" in field
    assert contribution_store.contribution(node.db, pending).status == "pending"

    async with http.post(action, data={"csrf": "forged", "contribution": pending, "decision": "validate"},
                         allow_redirects=False) as response:
        assert response.status == 403
    async with http.post(action, data={"csrf": token, "contribution": pending, "decision": "validate"},
                         allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"].endswith("/pending?done=validated")
    assert contribution_store.contribution(node.db, pending).status == "validated"
    status, html = await page(http, action + "?done=validated")
    assert "Validated" in html and "Nothing waits for review." in html

    # A decision cannot be made twice; the page says so instead of failing.
    async with http.post(action, data={"csrf": token, "contribution": pending, "decision": "reject",
                                       "reason": "changed my mind"}) as response:
        assert response.status == 409 and "already validated" in await response.text()


async def test_a_rejection_keeps_its_reason_and_own_work_has_no_buttons(served, http):
    node = served.node
    from fedcommons.services.contributions import contributions

    own = contributions.contribute(node, pool="garden", person="bob", effort="1h", kind="care", summary="mine")
    await sign_in(http, served.url, "bob")
    status, html = await page(http, served.url + "/pools/garden/pending")
    item = re.search(r"<article class=pending-item>(?:(?!</article>).)*?>mine</a>.*?</article>", html, re.S).group(0)
    assert "another steward decides" in item and "<form" not in item
    action = f"{served.url}/pools/garden/pending"
    async with http.post(action, allow_redirects=False, data={
            "csrf": csrf_of(html, action), "contribution": served.ids["pending"], "decision": "reject",
            "reason": "hinges were done last week"}) as response:
        assert response.status == 303
    row = contribution_store.contribution(node.db, served.ids["pending"])
    assert (row.status, row.reason) == ("rejected", "hinges were done last week")
    async with http.post(action, data={"csrf": csrf_of(html, action), "contribution": own,
                                       "decision": "validate"}) as response:
        assert response.status == 403
    assert contribution_store.contribution(node.db, own).status == "pending"
