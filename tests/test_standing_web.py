"""GET /pools/{slug}/standing on a node served on loopback: JSON-LD, the page, errors."""

import asyncio
import json
import re
from decimal import Decimal

import pytest
from support_nodes import RunningNode

from fedcommons.cli.network import with_client
from fedcommons.errors import FedcommonsError
from fedcommons.federation.client import Client
from fedcommons.home import open_node
from fedcommons.ld.canonical import canonicalize
from fedcommons.services.actors import pools
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.contributions import contributions
from fedcommons.services.standing import standing as service
from fedcommons.sig.proof import verify_proof
from fedcommons.web.body_cache import BodyCache
from fedcommons.store import log as log_store
from fedcommons.store import mirrors as mirror_store
import support_db

AP = "application/activity+json"
HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def base_node(tmp_path_factory):
    """A node home (keys are slow to make, so once per module) with Garden and validated work."""
    running = RunningNode.create(tmp_path_factory.mktemp("web"), "a")
    node = open_node(running.home)
    for name in ("alice", "bob", "carol"):
        create_actor(node, "person", name, display_name=name.title())
    pools.create_pool(node, "garden", name="Garden", stewards=["bob"])
    for who, effort in (("alice", "2h"), ("carol", "1h"), ("alice", "30m")):
        cid = contributions.contribute(node, pool="garden", person=who, effort=effort, kind="code",
                                       summary="work", when="2026-01-02")
        contributions.decide(node, cid, "bob")
    node.close()
    return running


@pytest.fixture
async def served(base_node, tmp_path):
    """A private copy of the base node, served on its port."""
    home = tmp_path / "a"
    support_db.copy_home(base_node.home, home)
    running = RunningNode(home, base_node.port)
    await running.start()
    yield running
    await running.stop()


async def get(http, url, accept=AP, **params):
    async with http.get(url, headers={"Accept": accept}, params=params) as response:
        return response.status, response.headers, await response.read()


async def test_json_clients_get_the_signed_document(served, http):
    status, headers, body = await get(http, f"{served.url}/pools/garden/standing")
    assert status == 200 and headers["Content-Type"].startswith(AP)
    doc = json.loads(body)
    assert body == canonicalize(doc)
    assert doc["type"] == ["Document", "Standing"] and doc["pool"] == f"{served.url}/pools/garden"
    assert [(r["contributor"].rsplit("/", 1)[1], r["score"]) for r in doc["standings"]] == [
        ("alice", "2.500000"), ("carol", "1.000000")]
    assert sum(Decimal(r["share"]) for r in doc["standings"]) == 1
    assert doc["checkpoint"]["treeSize"] == log_store.log_size(served.node.db)
    assert verify_proof(doc, served.node.keys.ed25519("node", "node").public_key()).ok
    assert "Cache-Control" not in headers  # "now" moves on

    # Its id answers with the same bytes, now and after the log has grown.
    status, headers, again = await get(http, doc["id"])
    assert again == body and headers["Cache-Control"] == "public, max-age=86400"
    contributions.contribute(served.node, pool="garden", person="carol", effort="4h", kind="care", summary="more")
    assert (await get(http, doc["id"]))[2] == body
    # And it is what the service computes for those inputs.
    client = Client(served.node)
    try:
        local = await service.fetch_standing(served.node, client, doc["id"])
    finally:
        await client.close()
    assert canonicalize(local) == body


async def test_browsers_get_a_table_and_an_svg_chart(served, http):
    status, headers, body = await get(http, f"{served.url}/pools/garden/standing", accept=HTML)
    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "<h1>Standing in Garden</h1>" in page
    table = page[page.index("<table>"):page.index("</table>")]
    assert re.search(r"<td class=num>1</td><td><a href=\"[^\"]+/users/alice\">Alice</a></td>"
                     r"<td class=num>2.500000</td><td class=num>71.43%</td>", table)
    assert "28.57%" in table
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and "viewBox=" in svg and "71.43%" in svg and "Carol" in svg
    assert "<script" not in page
    # Nothing is loaded from another host: the only absolute URLs are links and the SVG namespace.
    assert not re.search(r"""\b(src|srcset)=""", page)
    assert "fedcommons standing verify " in page


async def test_other_method_and_date(served, http):
    status, _, body = await get(http, f"{served.url}/pools/garden/standing", method="peer-rank/1")
    assert status == 200 and json.loads(body)["method"] == "peer-rank/1"
    status, _, body = await get(http, f"{served.url}/pools/garden/standing", asOf="2026-01-02")
    # The pool was created today, so it did not exist at the end of that day.
    assert status == 404 and b"no Create of pool" in body
    status, _, page = await get(http, f"{served.url}/pools/garden/standing", accept=HTML, method="peer-rank/1")
    assert b"<option selected>peer-rank/1</option>" in page


@pytest.mark.parametrize(("params", "status", "detail"), [
    ({"asOf": "last tuesday"}, 400, "asOf"),
    ({"asOf": "2999-01-01"}, 400, "in the future"),
    ({"method": "karma/9"}, 400, "unknown standing method"),
    ({"treeSize": "lots"}, 400, "treeSize"),
    ({"treeSize": "99999"}, 400, "beyond"),
])
async def test_bad_queries_are_problem_details(served, http, params, status, detail):
    code, headers, body = await get(http, f"{served.url}/pools/garden/standing", **params)
    assert code == status and headers["Content-Type"].startswith("application/problem+json")
    assert detail in json.loads(body)["detail"]


async def test_unknown_pool_is_404(served, http):
    assert (await get(http, f"{served.url}/pools/orchard/standing"))[0] == 404
    assert (await get(http, f"{served.url}/pools/alice/standing"))[0] == 404


async def test_another_node_verifies_from_its_mirror(served, http, tmp_path):
    other = RunningNode.create(tmp_path, "b")
    await other.start()
    try:
        body = (await get(http, f"{served.url}/pools/garden/standing"))[2]
        url = json.loads(body)["id"]
        pool = f"{served.url}/pools/garden"
        with pytest.raises(FedcommonsError, match=f"replicate the log first with `fedcommons sync {served.url}`"):
            service.pool_standing(other.node, pool)

        def verify(tamper=None):
            async def fetch_and_verify(client):
                document = await service.fetch_standing(other.node, client, url)
                if tamper:
                    tamper(document)
                return await service.verify_standing(other.node, client, document)

            return with_client(other.node, fetch_and_verify)

        # The first check replicates the pool's home log, then recomputes from the mirror.
        check = await asyncio.to_thread(verify)
        assert check.ok, check.problem
        assert check.origin == f"127.0.0.1:{served.port}" and check.rows == 2
        assert mirror_store.mirror(other.node.db, check.origin).size >= check.tree_size

        def inflate(document):
            document["standings"][0]["score"] = "99.000000"

        check = await asyncio.to_thread(verify, inflate)
        assert not check.ok and "proof does not verify" in check.problem

        # The mirror computes the same figures, unsigned: only the home node signs for its pool.
        doc = json.loads(body)
        size = doc["checkpoint"]["treeSize"]
        as_of = service.parse_as_of(doc["asOf"])
        here = await asyncio.to_thread(service.pool_standing, other.node, pool, as_of=as_of, tree_size=size)
        unsigned = {k: v for k, v in doc.items() if k not in ("proof", "attributedTo")}
        assert here.body == canonicalize(unsigned)
    finally:
        await other.stop()


def test_chart_groups_the_tail_and_escapes_labels():
    from fedcommons.web.charts import Bar, share_bars

    assert share_bars([]) == ""
    bars = [Bar("<b>first</b>", "0.500000000", "https://x.example/?a=1&b=2")]
    bars += [Bar(f"p{i}", "0.031250000") for i in range(16)]
    svg = share_bars(bars, limit=12)
    assert svg.count("<rect") == 13
    assert "5 others" in svg and "15.62%" in svg  # 5 x 3.125%
    assert "&lt;b&gt;first&lt;/b&gt;" in svg and "<b>" not in svg
    assert 'href="https://x.example/?a=1&amp;b=2"' in svg
    widths = [float(w) for w in re.findall(r'<rect x="0" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[0] == max(widths) and widths[1] == round(widths[0] / 16, 1)


async def test_a_new_entry_changes_the_kept_page_and_document_at_once(served, http):
    """The page and document are kept for everyone not signed in, but never past a new entry."""
    page, document = f"{served.url}/pools/garden", f"{served.url}/pools/garden/standing"
    first_page, first_doc = (await get(http, page, HTML))[2], (await get(http, document))[2]
    assert (await get(http, page, HTML))[2] == first_page and (await get(http, document))[2] == first_doc
    cid = contributions.contribute(served.node, pool="garden", person="carol", effort="4h", kind="care",
                                   summary="weeded the kept beds")
    contributions.decide(served.node, cid, "bob")
    status, _, new_page = await get(http, page, HTML)
    assert status == 200 and b"weeded the kept beds" in new_page and b"weeded" not in first_page
    new_doc = json.loads((await get(http, document))[2])
    assert new_doc["checkpoint"]["treeSize"] == log_store.log_size(served.node.db) > json.loads(first_doc)[
        "checkpoint"]["treeSize"]
    assert [(r["contributor"].rsplit("/", 1)[1], r["score"]) for r in new_doc["standings"]] == [
        ("carol", "5.000000"), ("alice", "2.500000")]


def test_the_body_cache_drops_the_oldest():
    bodies = BodyCache(kept=2)
    bodies.put("a", b"1")
    bodies.put("b", b"2")
    assert bodies.get("a") == b"1"  # now the newest used
    bodies.put("c", b"3")
    assert (bodies.get("a"), bodies.get("b"), bodies.get("c")) == (b"1", None, b"3")
