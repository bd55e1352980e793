"""Open books on the wire: statements as pages, JSON-LD and CSV, exports by date range,
`books verify` from another node and against a tampered copy, and payee details that no
page or API ever serves."""

import asyncio
import copy
import csv
import io
import json

import pytest
from support_cli import invoke
from support_coops import garden_and_rootwork
from support_nodes import RunningNode

AP = "application/activity+json"
SECRET_NAME, SECRET_BANK = "Alice Quiet-Secretname", "DE89370400440532013000"


async def in_cli(home, *args):
    return await asyncio.to_thread(invoke, home, *args)


async def cli_ok(home, *args):
    result = await in_cli(home, *args)
    assert result.exit_code == 0, (args, result.output, result.stderr)
    return result


@pytest.fixture
async def served(tmp_path):
    """Node A: Rootwork (member carol) sustains Garden; books: 1000.00 EUR income in
    September 2025, 120.50 EUR rent in October, a 400.00 EUR payout, alice's payee
    details in the private table. Node B runs beside it."""
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    await a.start()
    await b.start()
    await asyncio.to_thread(garden_and_rootwork, a.node)
    common = ("--currency", "EUR", "--as", "carol", "--format", "json")
    a.income = json.loads((await cli_ok(a.home, "books", "income", "rootwork", "--amount", "1000.00", "--date",
                                        "2025-09-30", "--category", "grants", "--counterparty", "dave",
                                        *common)).stdout)
    a.rent = json.loads((await cli_ok(a.home, "books", "expense", "rootwork", "--amount", "120.50", "--date",
                                      "2025-10-05", "--category", "rent", "--counterparty-name", "Stadtwerke <b>",
                                      "--evidence", "https://files.example/rent.pdf", *common)).stdout)
    await cli_ok(a.home, "payout", "rootwork", "--amount", "400.00", "--currency", "EUR", "--policy", "immediate",
                 "--period", "2025-03", "--as", "carol", "--from-balance")
    await cli_ok(a.home, "books", "payee", "set", "alice", "--legal-name", SECRET_NAME, "--bank", SECRET_BANK)
    yield a, b
    await b.stop()
    await a.stop()


async def test_the_statement_as_page_json_ld_and_csv(served, http):
    a, _ = served
    url = f"{a.url}/coops/rootwork/books?period=2025-Q4"
    async with http.get(url, headers={"Accept": AP}) as r:
        assert r.status == 200
        doc = await r.json(content_type=None)
    assert doc["balances"] == [{"currency": "EUR", "opening": "1000.00", "income": "0.00", "expenses": "120.50",
                                "distributions": "0.00", "closing": "879.50"}]
    assert doc["lines"][0]["entry"] == a.rent["id"]
    async with http.get(doc["lines"][0]["inclusionProof"]) as r:
        assert r.status == 200 and (await r.json())["index"] == doc["lines"][0]["logIndex"]
    async with http.get(url, headers={"Accept": "text/html"}) as r:
        page = await r.text()
    assert r.status == 200 and a.rent["id"] in page and "/log/proof/inclusion?index=" in page
    assert "Stadtwerke &lt;b&gt;" in page and "879.50" in page
    async with http.get(url + "&format=csv") as r:
        rows = list(csv.reader(io.StringIO(await r.text())))
    assert r.status == 200 and ["2025-Q4", "EUR", "expense", "rent", "120.50"] in rows
    async with http.get(f"{a.url}/coops/rootwork/books?from=2025-09-01&to=2025-09-30", headers={"Accept": AP}) as r:
        ranged = await r.json(content_type=None)
    assert ranged["periodEnd"] == "2025-10-01" and ranged["balances"][0]["closing"] == "1000.00"
    async with http.get(f"{a.url}/coops/rootwork/books?from=&to=2025-09-30", headers={"Accept": "text/html"}) as r:
        assert r.status == 200  # the page's form sends a blank date field as an empty parameter
    async with http.get(f"{a.url}/coops/rootwork", headers={"Accept": "text/html"}) as r:
        coop_page = await r.text()
    assert "Books" in coop_page and "/coops/rootwork/books?period=" in coop_page
    assert "Payout defaults</dt><dd>none: ratio 8" in coop_page


async def test_exports_by_date_range_and_each_entry(served, http):
    a, _ = served
    base = f"{a.url}/coops/rootwork/books"
    async with http.get(f"{base}/export.csv?from=2025-10-01&to=2025-12-31") as r:
        rows = list(csv.DictReader(io.StringIO(await r.text())))
    assert r.status == 200 and [row["kind"] for row in rows] == ["expense"]
    async with http.get(f"{base}/export.csv") as r:
        rows = list(csv.DictReader(io.StringIO(await r.text())))
    assert sorted(row["kind"] for row in rows) == ["expense", "income", "payout", "payout"]
    async with http.get(f"{base}/journal?to=2025-12-31") as r:
        assert r.status == 200 and "assets:cooperative" in await r.text()
    async with http.get(a.rent["id"], headers={"Accept": AP}) as r:
        assert r.status == 200 and (await r.json(content_type=None)) == a.rent
    async with http.get(a.rent["id"], headers={"Accept": "text/html"}) as r:
        assert r.status == 200 and "files.example/rent.pdf" in await r.text()


@pytest.mark.parametrize("query", ["period=2025-13", "period=soon", "from=2025-02-30", "from=2025-03-01&to=2025-01-01",
                                   "treeSize=abc", "treeSize=99999999", "period=2025&from=2025-01-01",
                                   "period=%00", "to=9999-12-31"])
async def test_bad_parameters_are_400_not_500(served, http, query):
    a, _ = served
    async with http.get(f"{a.url}/coops/rootwork/books?{query}", headers={"Accept": AP}) as r:
        assert r.status == 400, (query, await r.text())
    async with http.get(f"{a.url}/coops/rootwork/books/export.csv?{query}") as r:
        assert r.status in (200, 400)


async def test_payee_details_are_never_served(served, http):
    a, _ = served
    paths = ["/coops/rootwork", "/coops/rootwork/books", "/coops/rootwork/books?period=2025",
             "/coops/rootwork/books?period=2025&format=csv", "/coops/rootwork/books/export.csv",
             "/coops/rootwork/books/journal", "/coops/rootwork/distributions", "/coops/rootwork/outbox",
             "/users/alice", "/log/entries?start=0&limit=1000", "/log", "/"]
    paths.append(a.rent["id"].removeprefix(a.url))
    for path in paths:
        for accept in (AP, "text/html"):
            async with http.get(a.url + path, headers={"Accept": accept}) as r:
                body = await r.text()
            assert r.status == 200, path
            assert SECRET_NAME not in body and SECRET_BANK not in body, path
    async with http.get(f"{a.url}/coops/rootwork/books/export.csv?private=1") as r:
        assert SECRET_NAME not in await r.text()
    private = await cli_ok(a.home, "books", "export", "rootwork", "--private")
    assert SECRET_NAME in private.stdout  # it is there, for the bookkeeper only


async def test_another_node_verifies_a_statement_and_a_tampered_copy_fails(served, fake_peer):
    a, b = served
    url = f"{a.url}/coops/rootwork/books?from=2025-01-01"  # through today: the payout was made today
    result = await cli_ok(b.home, "books", "verify", url, "--format", "json")
    report = json.loads(result.stdout)
    assert report["ok"] and report["lines"] == 3
    assert "recomputes exactly" in (await cli_ok(a.home, "books", "verify", url)).stdout
    with_size = f"{a.url}/coops/rootwork/books?period=2025&treeSize=5"
    assert json.loads((await cli_ok(b.home, "books", "verify", with_size, "--format", "json")).stdout)["ok"]

    base, documents = fake_peer
    statement = json.loads((await cli_ok(a.home, "books", "statement", "rootwork", "--period", "2025",
                                         "--format", "json")).stdout)
    untouched = copy.deepcopy(statement)
    untouched["id"] = f"{base}/r"
    documents["/r"] = untouched
    assert (await in_cli(b.home, "books", "verify", f"{base}/r")).exit_code == 0  # a faithful copy passes
    tampered = copy.deepcopy(statement)
    tampered["balances"][0]["expenses"] = "20.50"
    tampered["balances"][0]["closing"] = "579.50"
    tampered["id"] = f"{base}/s"
    documents["/s"] = tampered
    result = await in_cli(b.home, "books", "verify", f"{base}/s")
    assert result.exit_code == 1 and "balances: published" in result.stderr
    dropped = copy.deepcopy(statement)
    dropped["lines"] = dropped["lines"][1:]
    dropped["id"] = f"{base}/t"
    documents["/t"] = dropped
    result = await in_cli(b.home, "books", "verify", f"{base}/t")
    assert result.exit_code == 1 and "lines: published" in result.stderr
    rerooted = copy.deepcopy(statement)
    rerooted["checkpoint"]["rootHash"] = "AAAA" + rerooted["checkpoint"]["rootHash"][4:]
    rerooted["id"] = f"{base}/u"
    documents["/u"] = rerooted
    result = await in_cli(b.home, "books", "verify", f"{base}/u")
    assert result.exit_code == 1 and "not the rootHash" in result.stderr

