"""A live wiki as a source: a real MediaWiki on 127.0.0.1 holding the de.wiktionary fixtures.

The wiki is built once for the session (support_wiki_server). The counts are those the dump
tests pin, read back through ``list=allrevisions`` with continuation by the node's polite
client; the bot group is the wiki's own (it differs from the name patterns on purpose).
"""

import json
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio

from fedcommons.federation.wiki_client import WikiClient
from fedcommons.federation.wiki_worker import WikiWorker
from fedcommons.home import open_node
from fedcommons.importers.mediawiki_dump import MediaWikiDump
from fedcommons.store import imports as import_store
from fedcommons.importers.items import REVERT, REVERTED
from fedcommons.importers.mediawiki_api import MediaWikiApi
from support_cli import invoke, run
from support_mediawiki import HALLO, text_for
from support_wiki_server import build_wiki, edit, stop
from test_importer_mediawiki_dump import HALLO_COUNTS, census

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Through the bot group, "Instance of Bot" (5 edits) is no bot and "RobotGMwikt" (4) is one.
HALLO_BY_GROUP = {**HALLO_COUNTS, "bot_edits": 33 - 5 + 4}


@pytest.fixture(scope="module")
def wiki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mediawiki")
    api, process = build_wiki(directory)
    yield api, directory
    stop(process)


@pytest_asyncio.fixture(loop_scope="module")
async def client(wiki):
    # Small pages (limit 50) so that continuation is exercised; no pause between requests.
    client = WikiClient(wiki[0], node_url="http://127.0.0.1:9/", allow_private=True, min_interval=0)
    yield client
    await client.close()


async def read_all(source, cursor=None):
    return [read async for read in source.read_async(cursor)]


async def test_the_whole_history_of_a_page_as_the_dump_says(client):
    reads = await read_all(MediaWikiApi(client, pages=["Hallo"], limit="50"))
    assert census(reads) == HALLO_BY_GROUP
    assert client.requests >= 4  # siteinfo, bots, the title, three pages of revisions
    item = reads[0].item
    assert item.time == datetime(2004, 4, 16, 10, 3, 25, tzinfo=timezone.utc)
    assert item.evidence.startswith("http://127.0.0.1:") and "Special:Diff/" in item.evidence
    assert item.summary == "Hallo: Spielwiese verlinkt" and item.kind == "docs"
    assert {r.item.people[0].name for r in reads if r.item.people[0].bot} >= {"RobotGMwikt", "BaluBot"}


async def test_a_namespace(client):
    reads = await read_all(MediaWikiApi(client, namespaces=[8]))
    counts = census(reads)
    assert (counts["revisions"], counts["registered"], counts["ips"]) == (18, 7, 0)


async def test_resuming_reads_only_what_is_new_with_the_same_flags(client):
    whole = await read_all(MediaWikiApi(client, pages=["Hallo"]))
    for cut in (1, 40, 128):
        rest = await read_all(MediaWikiApi(client, pages=["Hallo"], limit="20"), whole[cut - 1].cursor)
        assert [r.item for r in rest] == [r.item for r in whole[cut:]]
    assert await read_all(MediaWikiApi(client, pages=["Hallo"]), whole[-1].cursor) == []


async def test_live_edits_a_revert_and_the_settling_time(client, wiki):
    _, directory = wiki
    for text, user in (("first", "Melancholie"), ("vandalism", "Kronf"), ("first", "Acf")):
        edit(directory, "Sandbox", f"{text_for(text, 40)} {text} [[Category:Sandbox]]", user)
    # Made just now: within a day, a later revert could still flag them, so they wait.
    assert await read_all(MediaWikiApi(client, pages=["Sandbox"])) == []
    later = datetime.now(timezone.utc) + timedelta(days=2)
    reads = await read_all(MediaWikiApi(client, pages=["Sandbox"], clock=lambda: later))
    assert [sorted(r.item.flags) for r in reads] == [[], [REVERTED], [REVERT]]
    assert [r.item.metrics["bytes_added"] > 0 for r in reads][0]
    # Resumed after the vandalism: the page's window is fetched back, so the revert is known.
    resumed = await read_all(MediaWikiApi(client, pages=["Sandbox"], clock=lambda: later), reads[1].cursor)
    assert [r.item.flags for r in resumed] == [frozenset({REVERT})]
    # The same page through its category.
    by_category = await read_all(MediaWikiApi(client, category="Category:Sandbox", clock=lambda: later))
    assert [r.item for r in by_category] == [r.item for r in reads]


def node_home(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--url", "http://127.0.0.1:8080", "--allow-private-addresses")
    config = json.loads((home / "config.json").read_text())
    (home / "config.json").write_text(json.dumps({**config, "wiki_request_interval": 0}))
    run(home, "actor", "add", "bob")
    run(home, "pool", "create", "wiktionary", "--name", "Wiktionary", "--steward", "bob")
    return home


async def test_import_run_from_a_live_wiki(wiki, tmp_path):
    home = node_home(tmp_path)
    run(home, "import", "source", "add", "live", "--pool", "wiktionary", "--mediawiki-api", wiki[0],
        "--page", "Hallo")
    (first,) = json.loads(run(home, "import", "run", "live", "--format", "json").stdout)
    dump_reads = list(MediaWikiDump(HALLO).read(None))
    assert first["items"] == 135 and first["recorded"] == 0
    assert first["skipped"] == sum(bool(r.item.flags & {REVERT, REVERTED}) for r in dump_reads)
    (again,) = json.loads(run(home, "import", "run", "live", "--format", "json").stdout)
    assert again["items"] == 0
    # A refused address: a node that may not reach private addresses does not reach the wiki.
    config = json.loads((home / "config.json").read_text())
    (home / "config.json").write_text(json.dumps({**config, "allow_private_addresses": False}))
    result = invoke(home, "import", "run", "live")
    assert result.exit_code != 0 and "refusing" in result.stderr


async def test_the_server_follows_a_wiki(wiki, tmp_path):
    home = node_home(tmp_path)
    run(home, "import", "source", "add", "live", "--pool", "wiktionary", "--mediawiki-api", wiki[0],
        "--namespace", "8")
    node = open_node(home)
    try:
        worker = WikiWorker(node, chunk=7)
        assert await worker.run_round() == {"live": 18}
        assert await worker.run_round() == {"live": 0}
        assert worker.rounds == 2 and not worker.last_errors
        runs = import_store.runs(node.db)
        assert sum(r.items for r in runs) == 18 and len(runs) == 3  # chunks of 7: 7, 7, 4
        (source,) = import_store.sources(node.db)
        assert source.cursor is not None
    finally:
        node.close()
