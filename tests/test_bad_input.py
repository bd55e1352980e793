"""Every bad request gets a 4xx: the reported 500s, the limits of untrusted JSON and of
query parameters, and a fuzz over every endpoint a stranger or a client can reach.

The fuzz serves one node from its own thread and event loop, so that hypothesis drives
it from plain synchronous tests over real HTTP on 127.0.0.1. Its client may reach only
127.0.0.1, whatever URL an example names.
"""

import asyncio
import base64
import hashlib
import http.client
import json
import os
import secrets
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, quote_from_bytes, urlencode, urlsplit

import pytest
from aiohttp import web
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fedcommons.app import CLIENT
from fedcommons.errors import BadInput, FetchError
from fedcommons.federation import netguard
from fedcommons.home import open_node
from fedcommons.services.accounts import oauth, sessions
from fedcommons.sig.httpsig import sign_request
from fedcommons.store import actors as actor_store
from fedcommons.untrusted import MAX_DEPTH, MAX_WHOLE, calendar_day, instant, load_json, whole_number
from fedcommons.web import csrf
from fedcommons.web.pages.consent import COOKIE as CONSENT_COOKIE
from fedcommons.web.pages.login import LOGIN_COOKIE
from fedcommons.web.errors import error_middleware
from fedcommons.web.session import COOKIE as SESSION_COOKIE
from support_nodes import RunningNode
from support_web import AP, HTML, populate

# CI runs each fuzz for a few seconds; FEDCOMMONS_FUZZ_SCALE=50 runs them fifty times longer.
SCALE = float(os.environ.get("FEDCOMMONS_FUZZ_SCALE", "1"))


def fuzz(examples: int):
    """Settings for one fuzz: ``examples`` of them (times the scale), no deadline (a
    standing takes what it takes)."""
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


CLIENT_ID = "http://127.0.0.1:1/fuzz-client"
REDIRECT = "http://127.0.0.1:1/callback"


# -- a node served from a thread --------------------------------------------------------------


class ThreadedNode:
    """A populated node on 127.0.0.1, served by an event loop in a thread of its own."""

    def __init__(self, root):
        self.served = RunningNode.create(root, "a")
        self.port, self.url = self.served.port, self.served.url
        self.node = open_node(self.served.home)
        self.ids = populate(self.node)
        self.sessions = {name: _session(self.node, name) for name in ("alice", "bob", "carol")}
        self.access = _access_token(self.node, "carol")
        self.unreached: list[str] = []
        self.peer_was_down = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.run(self._serve())

    async def _serve(self):
        await self.served.start(workers=False)  # nothing is delivered anywhere
        _only_to_itself(self.served.app[CLIENT], self.url, self.unreached)

    def run(self, coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.run(self.served.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()
        self.node.close()

    def request(self, method: str, target: str, body: bytes | None = None, headers: dict | None = None):
        """(status, body) of one request; ``target`` is sent as it is, already encoded."""
        tried = len(self.unreached)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            status, answer = response.status, response.read()
        finally:
            connection.close()
        self.peer_was_down = len(self.unreached) > tried
        return status, answer

    def assert_no_server_error(self, status: int, body: bytes, what: str) -> None:
        """The last answer was no 5xx, unless a 502 because a peer it named did not answer
        (which is not the asker's mistake), and it shows no trace."""
        event(f"status {status}")  # --hypothesis-show-statistics shows how far examples got
        assert b"Traceback" not in body
        if status == 502 and self.peer_was_down:
            return
        assert status < 500, f"{what} -> {status}: {body[:300]!r}"

    def cookie(self, person: str) -> str:
        return f"{SESSION_COOKIE}={self.sessions[person].token}"

    def form_token(self, person: str, purpose: str) -> str:
        return csrf.token(self.node, self.sessions[person].token, purpose)


def _session(node, name: str):
    return sessions.start(node, actor_store.local_actor(node.db, name, "person"))


def _access_token(node, name: str) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    actor = actor_store.local_actor(node.db, name, "person").id
    code = oauth.issue_code(node, client_id=CLIENT_ID, actor=actor, redirect_uri=REDIRECT,
                            scopes=("read", "write"), code_challenge=challenge)
    tokens = oauth.exchange_code(node, code=code, client_id=CLIENT_ID, redirect_uri=REDIRECT,
                                 code_verifier=verifier)
    return tokens["access_token"]


def _only_to_itself(client, own_url: str, unreached: list) -> None:
    """Let the node's client reach only the node itself. A well-formed URL of any other
    server stands for one that cannot be reached, and goes into ``unreached`` (the node may
    then answer 502, as it would for a peer that is down); what the node refuses to fetch
    at all it refuses as usual."""
    send, own = client._send, urlsplit(own_url).netloc

    async def send_to_itself(method, url, *args):
        netguard.check_url(url, allow_private=True)
        if urlsplit(url).netloc != own:
            unreached.append(url)
            raise FetchError(f"{method} {url}: no server answers there in these tests")
        return await send(method, url, *args)

    client._send = send_to_itself


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    running = ThreadedNode(tmp_path_factory.mktemp("bad-input"))
    yield running
    running.stop()


# -- the four reported 500s --------------------------------------------------------------------

DEEP = b"[" * 1000 + b"]" * 1000


def activity_with(value: bytes, actor: str = "https://peer.example/users/mallory") -> bytes:
    return (b'{"@context":"https://www.w3.org/ns/activitystreams","id":"https://peer.example/a/1",'
            b'"type":"Create","actor":"' + actor.encode() + b'","object":' + value + b"}")


@pytest.mark.parametrize("inbox", ["/inbox", "/users/alice/inbox"])
def test_deeply_nested_json_in_an_inbox_is_400(served, inbox):
    status, body = served.request("POST", inbox, activity_with(DEEP), {"Content-Type": AP})
    assert status == 400, body
    assert b"nested more than" in body


def test_deeply_nested_json_is_400_even_when_signed(served):
    carol = actor_store.local_actor(served.node.db, "carol", "person")
    url = f"{served.url}/users/alice/inbox"
    headers = {"Content-Type": AP}
    for value, expected in ((b'{"type":"Note","content":"hi"}', 202), (DEEP, 400)):
        body = activity_with(value, actor=carol.id).replace(b"https://peer.example/a/1", f"{carol.id}/fuzz".encode())
        signed = {**headers, **sign_request("POST", url, headers, body, key_id=carol.rsa_key_id,
                                            private_key=served.node.keys.rsa("person", "carol"))}
        status, answer = served.request("POST", "/users/alice/inbox", body, signed)
        # The shallow one shows the signature is good: only the nesting is refused.
        assert status == expected, answer


def test_an_integer_of_thousands_of_digits_in_an_inbox_is_400(served):
    status, body = served.request("POST", "/inbox", activity_with(b"9" * 5000), {"Content-Type": AP})
    assert status == 400 and b"integer" in body, body


@pytest.mark.parametrize("start", [str(2**63), str(2**63 - 1), "9" * 19, "9" * 5000])
def test_log_entries_past_what_a_number_holds_is_400(served, start):
    status, body = served.request("GET", f"/log/entries?start={start}")
    assert status == 400, body
    assert json.loads(body)["detail"].startswith("start must be a whole number")


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
@pytest.mark.parametrize("accept", [AP, HTML])
def test_standing_as_of_the_edge_of_the_calendar_is_400(served, as_of, accept):
    status, body = served.request("GET", f"/pools/garden/standing?asOf={quote(as_of)}", headers={"Accept": accept})
    assert status == 400, body
    assert b"asOf" in body


# -- what the fuzz found besides -----------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("path", "body", "content_type", "status"), [
    ("/oauth/token", b"grant_type=\xff", FORM, 400),  # not UTF-8
    ("/oauth/token", b"grant_type=x", FORM + "; charset=no-such-charset", 400),
    ("/oauth/revoke", b"", "multipart/form-data; boundary=x", 400),  # no boundary in the body
    ("/oauth/register", b'{"client_name": ' + b"9" * 5000 + b"}", "application/json", 400),
    ("/witness/add-checkpoint", b"old " + b"9" * 5000 + b"\n\nexample.com/log\n1\nAAAA\n", "text/plain", 400),
])
def test_bodies_that_crashed_a_parser_are_refused(served, path, body, content_type, status):
    answer_status, answer = served.request("POST", path, body, {"Content-Type": content_type})
    assert answer_status == status, answer


@pytest.mark.parametrize("expiry", ["²", "9" * 5000])
def test_a_consent_form_token_with_a_strange_expiry_is_refused(served, expiry):
    body = urlencode({"csrf": f"{expiry}.x", "decision": "approve"}).encode()
    status, answer = served.request("POST", "/oauth/authorize", body,
                                    {"Content-Type": FORM, "Cookie": f"{CONSENT_COOKIE}=nonce"})
    assert status == 403, answer


@pytest.mark.parametrize("target", ["0", "mailto:x@example.com", "http://[::1"])
def test_following_what_is_not_a_url_is_400(served, target):
    body = json.dumps({"type": "Follow", "object": target}).encode()
    status, answer = served.request("POST", "/users/carol/outbox", body,
                                    {"Content-Type": AP, "Authorization": f"Bearer {served.access}"})
    assert status == 400 and b"http(s) URL" in answer, answer


async def test_an_unexpected_error_is_a_500_problem_without_its_trace(aiohttp_client, caplog):
    """The last resort, for whatever the fixes above missed."""
    async def broken(request):
        raise RecursionError("deep inside /srv/fedcommons/secret.py")

    app = web.Application(middlewares=[error_middleware])
    app.router.add_post("/broken", broken)
    client = await aiohttp_client(app)
    response = await client.post("/broken")
    body = await response.text()
    assert response.status == 500 and response.content_type == "application/problem+json"
    assert "secret.py" not in body and "Traceback" not in body and "RecursionError" not in body
    assert "secret.py" in caplog.text  # the node's own log has it


# -- the limits, one by one ---------------------------------------------------------------------


def test_json_nesting_stops_at_the_limit():
    assert load_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    nested = b'{"a":' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH
    assert load_json(nested)
    for too_deep in (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), b'{"a":' * 2000 + b"1" + b"}" * 2000):
        with pytest.raises(BadInput, match="nested more than"):
            load_json(too_deep)


@pytest.mark.parametrize("text", [b"9" * 400, b"-" + b"9" * 5000, b"1e999", b"-1e400", b"NaN", b"[Infinity]",
                                  b"-Infinity", b'"\\ud800"', b'{"\\udfff": 1}', b'"\xed\xa0\x80"', b"\xff",
                                  b'{"a": 1', b""])
def test_json_that_no_double_or_utf8_string_can_hold_is_refused(text):
    with pytest.raises(BadInput):
        load_json(text)


def test_json_within_the_limits_reads_as_the_standard_parser_does():
    text = b'{"n": [0, -1, 9007199254740993, 1e308, 2.5e-324, 1.5], "s": "\\ud83d\\ude00 caf\xc3\xa9", "t": true}'
    assert load_json(text) == json.loads(text)
    assert load_json(b"1" + b"0" * 300) == 10**300


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(), lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=30))
@settings(max_examples=200, deadline=None)
def test_any_json_a_standard_encoder_writes_reads_back(value):
    assert load_json(json.dumps(value).encode()) == value


def test_whole_numbers_are_plain_digits_within_their_bounds():
    assert whole_number("n", "0") == 0 and whole_number("n", "007") == 7
    assert whole_number("n", None, default=3) == 3
    assert whole_number("n", str(MAX_WHOLE)) == MAX_WHOLE
    for raw in ("-1", "+1", "1e3", " 1", "1_000", "²", "٣", "", str(MAX_WHOLE + 1), "9" * 5000, "0x10"):
        with pytest.raises(BadInput, match="n must be a whole number"):
            whole_number("n", raw)
    with pytest.raises(BadInput, match="required"):
        whole_number("n", None)
    with pytest.raises(BadInput, match="from 1 to 9"):
        whole_number("n", "10", minimum=1, maximum=9)


def test_dates_and_times_stay_where_the_calendar_has_room():
    assert calendar_day("d", "2024-02-29").isoformat() == "2024-02-29"
    assert instant("t", "2024-06-30T12:00:00+02:00") == datetime(2024, 6, 30, 10, tzinfo=timezone.utc)
    assert instant("t", "2024-06-30T12:00:00") == datetime(2024, 6, 30, 12, tzinfo=timezone.utc)
    for text in ("9999-12-31", "0001-01-01", "1969-12-31", "2024-02-30", "20240229", "yesterday"):
        with pytest.raises(BadInput, match="d "):
            calendar_day("d", text)
    for text in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "noon"):
        with pytest.raises(BadInput, match="t "):
            instant("t", text)


# -- the fuzz ---------------------------------------------------------------------------------

# Around where numbers change type: C ints, doubles' exact integers, SQLite's integers.
BOUNDARIES = [2**31, 2**32, 2**53, 2**63, 2**64]
WHOLE = st.one_of(
    st.integers(min_value=-10, max_value=10**6).map(str),
    st.builds(lambda boundary, offset: str(boundary + offset), st.sampled_from(BOUNDARIES), st.integers(-2, 2)),
    st.integers(min_value=1, max_value=20_000).map(lambda n: "9" * n),  # int() stops at 4,300 digits
    st.sampled_from(["1e3", "0x10", "-0", "+1", " 1", "1_000", "²", "٣", "", "NaN", "1.5"]),
)
ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=14)), timezone(-timedelta(hours=23, minutes=59))])
DAY = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.builds(lambda moment, zone: moment.isoformat() + zone.tzname(None).removeprefix("UTC"), st.datetimes(), ZONES),
    st.sampled_from(["9999-12-31", "0001-01-01", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-23:59",
                     "2026-02-30", "2026-01-01T25:00:00Z", "yesterday", "1969-12-31", "2026-01-03"]),
)
TEXT = st.one_of(st.text(max_size=40), st.binary(max_size=20).map(lambda b: b.decode("latin-1")))


def encoded(value) -> str:
    """A query value percent-encoded, including bytes that are not UTF-8."""
    if isinstance(value, bytes):
        return quote_from_bytes(value, safe="")
    return quote(value, safe="")


QUERY_VALUE = st.one_of(WHOLE, DAY, TEXT, st.binary(max_size=12))
GETS = {
    "/log/entries": ("start", "limit"),
    "/log/proof/inclusion": ("index", "size"),
    "/log/proof/consistency": ("from", "to"),
    "/log/checkpoint": (),
    "/log/mirrors": (),
    "/log": ("entry", "before"),
    "/pools/garden/standing": ("asOf", "treeSize", "method", "format"),
    "/pools/garden": ("page",),
    "/pools/garden/contributions": ("page",),
    "/pools/garden/pending": ("done",),
    "/users/carol": ("page",),
    "/users/carol/outbox": ("page",),
    "/users/carol/followers": ("page",),
    "/coops/bakery": ("page", "format"),
    "/coops/bakery/distributions": ("page", "format"),
    "/": ("page",),
    "/contribute": ("pool",),
    "/login": ("next",),
    "/oauth/authorize": ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
                         "code_challenge_method", "login_hint"),
    "/.well-known/webfinger": ("resource",),
    "/nodeinfo/2.1": (),
}
NUMBERS = {"start", "limit", "index", "size", "from", "to", "entry", "before", "treeSize", "page"}
STANDING_METHODS = st.sampled_from(["effort/1", "karma/9", "", "effort", "peer-rank/1"])


@st.composite
def queries(draw, path: str):
    """(the query string, the Accept header, who is signed in) for a GET of ``path``."""
    names = GETS[path] + ("format",)  # which every JSON-or-page URL reads
    params = []
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
        if name == "method":
            value = draw(STANDING_METHODS | QUERY_VALUE)
        elif name == "asOf":
            value = draw(DAY | QUERY_VALUE)
        elif name in NUMBERS:
            value = draw(WHOLE | QUERY_VALUE)
        elif name in ("client_id", "redirect_uri", "resource"):
            value = draw(st.sampled_from([CLIENT_ID, REDIRECT, "acct:carol@127.0.0.1", "http://127.0.0.1:1/x",
                                          "https://peer.example/app"]) | QUERY_VALUE)
        else:
            value = draw(QUERY_VALUE)
        params.append(f"{quote(name)}={encoded(value)}")
    accept = draw(st.sampled_from([AP, HTML, "application/json", "*/*", "text/html;q=nan", ""]))
    return "&".join(params), accept, draw(st.sampled_from([None, "bob", "carol"]))


@pytest.mark.parametrize("path", sorted(GETS))
@given(data=st.data())
@fuzz(80)
def test_no_query_gets_a_server_error(served, path, data):
    query, accept, who = data.draw(queries(path))
    headers = {"Accept": accept} if accept else {}
    if who:
        headers["Cookie"] = served.cookie(who)
    status, body = served.request("GET", f"{path}?{query}", headers=headers)
    served.assert_no_server_error(status, body, f"GET {path}?{query}")


def json_values(max_leaves: int = 20):
    """Any JSON value, its strings sometimes URLs, dates or durations."""
    leaves = (st.none() | st.booleans() | st.integers() | st.floats() | TEXT
              | st.sampled_from(["https://peer.example/users/x", "http://127.0.0.1:1/x", "2026-01-02",
                                 "2026-01-02T03:04:05Z", "PT2H", "2h", "as:Public",
                                 "https://www.w3.org/ns/activitystreams#Public"]))
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=max_leaves)


def raw_json_bodies():
    """JSON text past what the parser may take: deep, long numbers, bare constants, bad bytes."""
    deep = st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n)
    deep_objects = st.integers(min_value=1, max_value=3000).map(lambda n: b'{"a":' * n + b"0" + b"}" * n)
    numbers = st.one_of(st.integers(min_value=1, max_value=20_000).map(lambda n: b"9" * n),
                        st.sampled_from([b"1e999", b"-1e400", b"NaN", b"Infinity", b"-Infinity", b"1" * 400 + b".5",
                                         b"0." + b"0" * 5000 + b"1", b"1e-99999"]))
    strings = st.sampled_from([b'"\\ud800"', b'"\\udc00\\ud800"', b'"\xed\xa0\x80"', b'"\xff"', b'"\\u0000"'])
    inner = st.one_of(deep, deep_objects, numbers, strings)
    return st.one_of(inner, inner.map(activity_with), st.binary(max_size=64))


RAW_JSON = raw_json_bodies()


JSON_VALUES = json_values()
FIELD_VALUES = json_values(max_leaves=6)
ACTIVITY_TYPES = st.sampled_from(["Create", "Update", "Delete", "Follow", "Undo", "Like", "Announce", "Accept",
                                  "Reject", "Add", "Remove", "Offer"])
OBJECT_TYPES = st.sampled_from(["Note", "Contribution", "fc:Contribution", "Article", "Tombstone", "Person"])


@st.composite
def activities(draw, actor: str, own: str):
    """Activities shaped enough to get past the first checks, with any value in any field."""
    obj = {"type": draw(OBJECT_TYPES | FIELD_VALUES)}
    for name in draw(st.lists(st.sampled_from(["id", "to", "cc", "tag", "content", "receiver", "effort",
                                               "kind", "published", "summary", "evidence", "inReplyTo",
                                               "attributedTo", "pool", "name", "startTime", "endTime",
                                               "@context", "url"]), max_size=6)):
        obj[name] = draw(st.sampled_from([f"{own}/objects/{draw(st.integers(0, 9))}", actor, f"{own}/pools/garden"])
                         | FIELD_VALUES)
    doc = {"type": draw(ACTIVITY_TYPES), "actor": actor,
           "object": draw(st.just(obj) | FIELD_VALUES | st.sampled_from([own, actor]))}
    if draw(st.booleans()):
        doc["@context"] = "https://www.w3.org/ns/activitystreams"
    if draw(st.booleans()):
        doc["id"] = f"{own}/activities/{draw(st.integers(0, 10**6))}"
    for name in draw(st.lists(st.sampled_from(["to", "cc", "published", "target", "result"]), max_size=3)):
        doc[name] = draw(FIELD_VALUES)
    return json.dumps(doc).encode()


def bodies(actor: str, own: str):
    return st.one_of(RAW_JSON, JSON_VALUES.map(lambda v: json.dumps(v).encode()),
                     activities(actor, own))


@given(st.data())
@fuzz(250)
def test_no_inbox_post_gets_a_server_error(served, data):
    body = data.draw(bodies("https://peer.example/users/mallory", "https://peer.example"))
    inbox = data.draw(st.sampled_from(["/inbox", "/users/alice/inbox", "/pools/garden/inbox"]))
    status, answer = served.request("POST", inbox, body, {"Content-Type": AP})
    served.assert_no_server_error(status, answer, f"POST {inbox} {body[:200]!r}")


@given(st.data())
@fuzz(250)
def test_no_outbox_post_gets_a_server_error(served, data):
    carol = f"{served.url}/users/carol"
    body = data.draw(bodies(carol, served.url))
    status, answer = served.request("POST", "/users/carol/outbox", body,
                                    {"Content-Type": AP, "Authorization": f"Bearer {served.access}"})
    served.assert_no_server_error(status, answer, f"POST outbox {body[:300]!r}")


OAUTH_VALUES = st.one_of(TEXT, WHOLE, st.sampled_from([CLIENT_ID, REDIRECT, "authorization_code", "refresh_token",
                                                       "read write", "fca_x", "fcr_x", "S256"]))


@st.composite
def form_bodies(draw, names: tuple[str, ...], extra: dict | None = None):
    """A form (urlencoded, or sometimes raw bytes, or JSON) with fuzzed values for ``names``."""
    kind = draw(st.sampled_from(["form", "form", "json", "raw"]))
    fields = {name: draw(OAUTH_VALUES) for name in draw(st.lists(st.sampled_from(names), max_size=len(names)))}
    fields.update(extra or {})
    if kind == "form":
        return urlencode(fields).encode("utf-8", "surrogatepass"), "application/x-www-form-urlencoded"
    if kind == "json":
        body = draw(st.just(json.dumps(fields).encode()) | RAW_JSON)
        return body, "application/json"
    return draw(st.binary(max_size=80)), draw(st.sampled_from([
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=no-such-charset",
        "multipart/form-data; boundary=x", "multipart/form-data"]))


TOKEN_FIELDS = ("grant_type", "code", "client_id", "redirect_uri", "code_verifier", "refresh_token", "scope")


@given(st.data())
@fuzz(250)
def test_no_oauth_post_gets_a_server_error(served, data):
    path = data.draw(st.sampled_from(["/oauth/token", "/oauth/revoke", "/oauth/register"]))
    if path == "/oauth/register":
        metadata = data.draw(st.fixed_dictionaries({}, optional={
            "client_name": OAUTH_VALUES, "redirect_uris": st.lists(OAUTH_VALUES, max_size=3) | OAUTH_VALUES,
            "grant_types": st.lists(OAUTH_VALUES, max_size=2), "token_endpoint_auth_method": OAUTH_VALUES,
            "scope": OAUTH_VALUES, "client_uri": OAUTH_VALUES}) | JSON_VALUES)
        body = data.draw(st.just(json.dumps(metadata).encode()) | RAW_JSON)
        content_type = "application/json"
    else:
        body, content_type = data.draw(form_bodies(TOKEN_FIELDS + ("token", "token_type_hint")))
    status, answer = served.request("POST", path, body, {"Content-Type": content_type})
    served.assert_no_server_error(status, answer, f"POST {path} {body[:200]!r}")


CONSENT_FIELDS = ("client_id", "client_name", "verified", "redirect_uri", "scope", "state", "code_challenge",
                  "decision", "account", "password", "csrf")


@given(st.data())
@fuzz(250)
def test_no_form_post_gets_a_server_error(served, data):
    path = data.draw(st.sampled_from(["/oauth/authorize", "/login", "/logout", "/contribute",
                                      "/pools/garden/pending"]))
    headers = {"Accept": HTML}
    extra = {}
    if path == "/oauth/authorize":
        names = CONSENT_FIELDS
        nonce = "fuzz-nonce"
        headers["Cookie"] = f"{CONSENT_COOKIE}={nonce}"
        expires = data.draw(WHOLE)
        extra["csrf"] = data.draw(st.sampled_from([f"{expires}.x", f"{expires}", ".", "x.y"]))
    elif path == "/login":
        names = ("account", "password", "next")
        headers["Cookie"] = f"{LOGIN_COOKIE}=fuzz-nonce"
        extra["csrf"] = csrf.token(served.node, "fuzz-nonce", "login")
        # A wrong password costs a scrypt: keep the accounts fuzzed to ones that do not exist.
        extra["account"] = "nobody-" + data.draw(st.text(max_size=10))
    else:
        person, purpose = ("bob", "review") if path.endswith("pending") else ("carol", "contribute")
        if path == "/logout":
            person, purpose = "alice", "logout"
        names = ("pool", "effort", "kind", "summary", "evidence", "date", "contribution", "decision", "reason")
        headers["Cookie"] = served.cookie(person)
        extra["csrf"] = served.form_token(person, purpose)
        extra.update(_plausible_form(data, served))
    body, content_type = data.draw(form_bodies(names, extra))
    headers["Content-Type"] = content_type
    status, answer = served.request("POST", path, body, headers)
    served.assert_no_server_error(status, answer, f"POST {path} {body[:200]!r}")


def _plausible_form(data, served) -> dict:
    """Values that pass the first checks, so the fuzz reaches the deeper ones."""
    fields = {}
    if data.draw(st.booleans()):
        fields["pool"] = data.draw(st.sampled_from(["garden", "wiki"]))
        fields["kind"] = data.draw(st.sampled_from(list(served.node.config.kinds)))
        fields["summary"] = data.draw(st.text(min_size=1, max_size=30))
        fields["effort"] = data.draw(st.one_of(WHOLE.map(lambda n: n + "h"), st.sampled_from(["2h", "90m", "1.5h"]),
                                               TEXT))
        fields["date"] = data.draw(DAY)
    if data.draw(st.booleans()):
        fields["contribution"] = served.ids["pending"]
        fields["decision"] = data.draw(st.sampled_from(["validate", "reject", "", "maybe"]))
    return fields


@st.composite
def add_checkpoint_bodies(draw):
    """tlog-witness requests: an old size, proof lines, and something like a signed checkpoint."""
    old = draw(WHOLE | st.sampled_from(["0", "1", "00"]))
    proof = draw(st.lists(st.sampled_from([base64.b64encode(bytes(32)).decode(), "AAAA", "not base64"]) | TEXT,
                          max_size=3))
    size = draw(WHOLE)
    origin = draw(st.sampled_from(["127.0.0.1", "peer.example/log"]) | TEXT)
    note = f"{origin}\n{size}\n{base64.b64encode(bytes(32)).decode()}\n\n— {origin} {draw(TEXT)}\n"
    text = "\n".join([f"old {old}", *proof]) + "\n\n" + note
    return draw(st.just(text.encode("utf-8", "surrogatepass")) | st.binary(max_size=80))


@given(add_checkpoint_bodies())
@fuzz(250)
def test_no_witness_post_gets_a_server_error(served, body):
    status, answer = served.request("POST", "/witness/add-checkpoint", body, {"Content-Type": "text/plain"})
    served.assert_no_server_error(status, answer, f"POST /witness/add-checkpoint {body[:200]!r}")
