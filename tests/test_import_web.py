"""The stewards' page of a pool's unmapped source identities, and its import runs."""

import re

import aiohttp
import pytest
from support_git import build_history
from support_nodes import served_node
from support_web import HTML, csrf_of, populate

from fedcommons.services.actors.actors import create_actor
from fedcommons.services.importing import sources
from fedcommons.services.importing.aliases import listing
from fedcommons.store import contributions as contribution_store
from test_pages import page, sign_in, text_of

NOAM = "email:u674e794a91@example.invalid"


@pytest.fixture
async def served(tmp_path, history):
    repo = build_history(tmp_path / "repo", history[:60])
    async with served_node(tmp_path) as running:
        populate(running.node, payout=False)
        create_actor(running.node, "person", "noam", display_name="Noam Yorav-Raphael")
        row = sources.add_source(running.node, "tq", pool="garden", type_="git", location=str(repo))
        sources.import_source(running.node, row, sources.open_source(row))
        yield running


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"Accept": HTML}) as session:
        yield session


async def test_only_stewards_see_identities(served, http):
    url = served.url + "/pools/garden/identities"
    status, html = await page(http, url)
    assert status in (303, 401, 403) and NOAM.split(":")[1] not in html
    await sign_in(http, served.url, "carol")
    status, html = await page(http, url)
    assert status == 403 and NOAM.split(":")[1] not in html


async def test_a_steward_binds_an_identity_with_a_click(served, http):
    node = served.node
    await sign_in(http, served.url, "bob")
    status, html = await page(http, served.url + "/pools/garden")
    assert "/pools/garden/identities" in html
    url = served.url + "/pools/garden/identities"
    status, html = await page(http, url)
    assert status == 200 and NOAM in html
    item = re.search(rf"<article class=identity><h2><code>{re.escape(NOAM)}</code>.*?</article>", html, re.S).group(0)
    waiting = int(re.search(r"(\d+) items? waiting", text_of(item)).group(1))
    assert waiting >= 10 and f"This is {served.url}/users/noam" in text_of(item) and "same name" in item
    runs = re.search(r"<table class=runs>.*?</table>", html, re.S).group(0)
    assert "<td>tq</td>" in runs
    token = csrf_of(html, url)
    before = contribution_store.count_of_pool(node.db, f"{served.url}/pools/garden")

    async with http.post(url, data={"csrf": "forged", "key": NOAM, "actor": f"{served.url}/users/noam"},
                         allow_redirects=False) as response:
        assert response.status == 403
    async with http.post(url, data={"csrf": token, "key": NOAM, "actor": "nobody"}, allow_redirects=False) as response:
        assert response.status == 404 and "no local person named 'nobody'" in text_of(await response.text())
    assert listing(node) == []
    async with http.post(url, data={"csrf": token, "key": NOAM, "actor": f"{served.url}/users/noam"},
                         allow_redirects=False) as response:
        assert response.status == 303 and "/identities?bound=" in response.headers["Location"]
    assert [a["actor"] for a in listing(node)] == [f"{served.url}/users/noam"]
    assert contribution_store.count_of_pool(node.db, f"{served.url}/pools/garden") == before + waiting
    status, html = await page(http, url)
    assert NOAM not in html
