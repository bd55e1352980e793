"""The polite wiki client against a scripted wiki on loopback: User-Agent, maxlag, pacing,
bounded retries with backoff on 5xx and maxlag answers, and the answers it refuses."""

import json

import pytest
from aiohttp import web

from fedcommons.errors import FetchError
from fedcommons.federation.wiki_client import WikiClient
from fedcommons.importers.mediawiki_api import WikiApiError
from support_nodes import serve_on_loopback

MAXLAG = {"error": {"code": "maxlag", "info": "Waiting for a database server: 7 seconds lagged."}}


async def scripted(answers):
    """A wiki that answers each request with the next (status, body, headers); records requests."""
    seen = []

    async def api(request):
        seen.append(request)
        status, body, headers = answers.pop(0)
        text = body if isinstance(body, str) else json.dumps(body)
        return web.Response(status=status, text=text, headers=headers, content_type="application/json")

    app = web.Application()
    app.router.add_get("/w/api.php", api)
    runner, port = await serve_on_loopback(app)
    return runner, f"http://127.0.0.1:{port}/w/api.php", seen


async def client_for(answers, **options):
    runner, url, seen = await scripted(answers)
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    client = WikiClient(url, node_url="https://commons.example", allow_private=True, sleep=sleep, **options)
    return runner, client, seen, waits


async def test_retries_5xx_and_maxlag_with_backoff_then_answers():
    runner, client, seen, waits = await client_for(
        [(503, "busy", {}), (200, MAXLAG, {"Retry-After": "7"}), (200, {"query": {"ok": 1}}, {})],
        min_interval=0)
    try:
        assert await client({"action": "query"}) == {"query": {"ok": 1}}
    finally:
        await client.close()
        await runner.cleanup()
    assert len(seen) == 3 and client.requests == 3
    assert waits == [2.0, 7.0]  # backoff 2 s, then the wiki's Retry-After (longer than 4 s)
    first = seen[0]
    assert first.query["maxlag"] == "5" and first.query["action"] == "query"
    assert "https://commons.example" in first.headers["User-Agent"]
    assert first.headers["User-Agent"].startswith("fedcommons/")


async def test_gives_up_after_the_bounded_retries():
    runner, client, seen, waits = await client_for([(500, "down", {})] * 3, retries=2, min_interval=0)
    try:
        with pytest.raises(FetchError, match="HTTP 500 .gave up after 3 attempts"):
            await client({"action": "query"})
    finally:
        await client.close()
        await runner.cleanup()
    assert len(seen) == 3 and waits == [2.0, 4.0]


async def test_requests_are_paced():
    runner, client, seen, waits = await client_for([(200, {}, {})] * 3, min_interval=1.0)
    try:
        for _ in range(3):
            await client({"action": "query"})
    finally:
        await client.close()
        await runner.cleanup()
    assert len(waits) == 2 and all(0.9 < wait <= 1.0 for wait in waits)


@pytest.mark.parametrize("answer, error, message", [
    ((200, "<html>a login page</html>", {}), WikiApiError, "not JSON"),
    ((404, "{}", {}), FetchError, "HTTP 404"),
])
async def test_answers_that_are_not_an_api(answer, error, message):
    runner, client, seen, waits = await client_for([answer], min_interval=0)
    try:
        with pytest.raises(error, match=message):
            await client({"action": "query"})
    finally:
        await client.close()
        await runner.cleanup()


async def test_private_addresses_are_refused_unless_allowed():
    client = WikiClient("http://127.0.0.1:9/api.php", node_url="https://commons.example")
    with pytest.raises(FetchError, match="refusing"):
        await client({"action": "query"})
    await client.close()
