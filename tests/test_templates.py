"""What the templates guarantee whatever a page shows: links to outside URLs only for
http(s), attribute values escaped, and the stylesheet cached for a year under a hashed name."""

import re

import aiohttp
import pytest

from fedcommons.services.contributions import contributions
from fedcommons.services.log import log_writer
from fedcommons.store import actors as actor_store
from fedcommons.web.templating import ENV, IMMUTABLE, STYLESHEET, linkable
from support_nodes import RunningNode
from support_web import PASSWORD, csrf_of, populate

SCRIPT_URL = "javascript:alert(document.cookie)"


@pytest.fixture
async def served(tmp_path):
    running = RunningNode.create(tmp_path, "a")
    await running.start()
    running.ids = populate(running.node, payout=False)
    yield running
    await running.stop()


@pytest.fixture
async def http():
    # The session cookie is set for 127.0.0.1: an unsafe jar keeps cookies of an address.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     headers={"Accept": "text/html"}) as session:
        yield session


async def sign_in(http, base: str, account: str) -> None:
    async with http.get(f"{base}/login") as response:
        form = await response.text()
    async with http.post(f"{base}/login", data={"csrf": csrf_of(form, "/login"), "account": account,
                                                 "password": PASSWORD, "next": "/"},
                         allow_redirects=False) as response:
        assert response.status == 303


def contribution_with_evidence(node, evidence: list[str]) -> str:
    """A pending contribution to garden by carol whose logged object carries ``evidence``
    unchecked, as one arriving from another node could."""
    claim = contributions.Claim(actor_store.local_actor(node.db, "garden", "pool"),
                                actor_store.local_actor(node.db, "carol", "person"), 60, "care",
                                "fixed the gate", tuple(evidence), "2026-01-06T00:00:00Z")
    pending = contributions.contribution_activity(node, claim)
    log_writer.append(node, [pending])
    return pending.activity["object"]["id"]


async def test_a_javascript_evidence_url_is_text_not_a_link(served, http):
    contribution = contribution_with_evidence(served.node, [SCRIPT_URL, "https://git.example/gate"])
    await sign_in(http, served.url, "bob")
    for path in ("/pools/garden/pending", "/pools/garden", contribution[len(served.url):]):
        async with http.get(served.url + path) as response:
            assert response.status == 200, path
            html = await response.text()
        assert "fixed the gate" in html, path
        assert not re.search(r"href=[\"']?\s*javascript:", html, re.I), path
    async with http.get(served.url + "/pools/garden/pending") as response:
        review = await response.text()
    evidence = re.search(r"<ul class=evidence>(.*?)</ul>", review, re.S).group(1)
    assert f"<li>{SCRIPT_URL}</li>" in evidence
    assert '<li><a href="https://git.example/gate">https://git.example/gate</a></li>' in evidence


@pytest.mark.parametrize("url, ok", [
    ("https://x.example/a", True), ("http://x.example", True), ("/log?before=3", True),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), ("data:text/html,hi", False),
    ("//evil.example/x", False), ("/\\evil.example", False), ("https:no-host", False), ("java\nscript:x", False),
    (None, False)])
def test_only_http_urls_and_local_paths_are_linked(url, ok):
    assert linkable(url) is ok
    rendered = ENV.from_string('{% import "_macros.html" as m %}{{ m.link(url, "label") }}').render(url=url)
    assert rendered.startswith("<a href=") is ok
    assert "label" in rendered


def test_attribute_values_with_quotes_are_escaped():
    field = ENV.from_string('{% import "_macros.html" as m %}{{ m.text_field("q", "Q", value, attrs=attrs) }}')
    html = field.render(value='a" onfocus="alert(1)', attrs={"placeholder": 'say "hi" <b>', "required": True})
    assert 'value="a&#34; onfocus=&#34;alert(1)"' in html
    assert 'placeholder="say &#34;hi&#34; &lt;b&gt;"' in html and " required>" in html
    assert 'onfocus="' not in html


async def test_a_typed_account_with_quotes_comes_back_escaped(served, http):
    async with http.get(f"{served.url}/login") as response:
        form = await response.text()
    account = 'x" autofocus onfocus="alert(1)'
    async with http.post(f"{served.url}/login", data={"csrf": csrf_of(form, "/login"), "account": account,
                                                       "password": "wrong", "next": "/"}) as response:
        assert response.status == 400
        html = await response.text()
    assert 'value="x&#34; autofocus onfocus=&#34;alert(1)"' in html and 'onfocus="' not in html


async def test_the_stylesheet_is_cached_for_a_year_under_its_hash(served, http):
    async with http.get(served.url + "/") as response:
        assert f'<link rel=stylesheet href="{STYLESHEET}">' in await response.text()
        policy = response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    async with http.get(served.url + STYLESHEET) as response:
        assert response.status == 200 and response.content_type == "text/css"
        assert response.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
        assert "--accent" in await response.text()
    async with http.get(served.url + "/static/site-0000000000000000.css") as response:
        assert response.status == 404
