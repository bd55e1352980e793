"""Running a node: settings from the environment, the client's address behind trusted
proxies, request ids, JSON log lines, /metrics and /health/ready."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import aiohttp
import pytest
from multidict import CIMultiDict

from fedcommons.config import environment_settings, load_config, save_config, with_setting
from fedcommons.errors import HomeError
from fedcommons.services.accounts import oauth_clients
from fedcommons.web import health
from fedcommons.web.client_address import client_address
from fedcommons.web.keys import INBOX
import support_db
from support_cli import invoke, run
from support_nodes import RunningNode, free_port

URL = "http://127.0.0.1:8080"


# -- settings from the environment ------------------------------------------------------

def test_every_setting_can_come_from_the_environment(tmp_path, monkeypatch):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    monkeypatch.setenv("FEDCOMMONS_AUTHORIZED_FETCH", "yes")
    monkeypatch.setenv("FEDCOMMONS_TRUSTED_PROXIES", "10.0.0.1, 2001:db8::/64")
    monkeypatch.setenv("FEDCOMMONS_KINDS", "code,care")
    monkeypatch.setenv("FEDCOMMONS_METRICS_TOKEN", "a-token-of-sixteen-chars")
    config = load_config(home)
    assert config.authorized_fetch is True and config.kinds == ("code", "care")
    assert config.trusted_proxies == ("10.0.0.1/32", "2001:db8::/64")
    assert config.metrics_token == "a-token-of-sixteen-chars"
    # Changing a setting writes the file's own values, never the environment's.
    run(home, "settings", "--allow-private-addresses")
    saved = json.loads((home / "config.json").read_text())
    assert saved["authorized_fetch"] is False and "metrics_token" not in saved and saved["trusted_proxies"] == []
    assert saved["allow_private_addresses"] is True
    shown = json.loads(run(home, "settings", "--format", "json").stdout)
    assert shown["authorized_fetch"] is True and shown["metrics_token"] == "set"  # the token itself is never shown


@pytest.mark.parametrize("variable, value, says", [
    ("FEDCOMMONS_AUTHORIZED_FETCH", "maybe", "write true or false"),
    ("FEDCOMMONS_TRUSTED_PROXIES", "10.0.0.1,proxy.example", "not an IP address"),
    ("FEDCOMMONS_URL", "https://elsewhere.example", "fixed when it is made"),
])
def test_an_unreadable_environment_setting_is_one_line_and_exit_2(tmp_path, monkeypatch, variable, value, says):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    monkeypatch.setenv(variable, value)
    result = invoke(home, "settings")
    assert result.exit_code == 2 and says in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_command_options_come_from_the_environment_too():
    assert environment_settings({"FEDCOMMONS_URL": " " + URL}) == {"url": URL}
    result = subprocess.run([sys.executable, "-m", "fedcommons", "serve", "--help"], capture_output=True, text=True,
                            env={**os.environ, "FEDCOMMONS_SERVE_PORT": "not a port"}, timeout=60)
    assert result.returncode == 0  # --help reads no option values
    result = subprocess.run([sys.executable, "-m", "fedcommons", "--home", "/nonexistent/home", "serve"],
                            capture_output=True, text=True, env={**os.environ, "FEDCOMMONS_SERVE_PORT": "x"},
                            timeout=60)
    assert result.returncode == 2 and "'x' is not a valid integer" in result.stderr


def test_a_short_metrics_token_is_refused(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    assert "at least 16 characters" in run(home, "settings", "--metrics-token", "short", code=2).stderr
    with pytest.raises(HomeError):
        load_config(home, environ={"FEDCOMMONS_TRUSTED_PROXIES": "x"})


# -- the client's address ---------------------------------------------------------------

TRUSTED = ("10.0.0.0/8", "::1/128")


@pytest.mark.parametrize("peer, forwarded, client", [
    ("192.0.2.9", ["198.51.100.1"], "192.0.2.9"),  # not a proxy of ours: the header is anyone's
    ("10.0.0.2", [], "10.0.0.2"),
    ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
    ("10.0.0.2", ["203.0.113.5, 198.51.100.1"], "198.51.100.1"),  # the left is what the client wrote
    ("10.0.0.2", ["198.51.100.1, 10.0.0.3"], "198.51.100.1"),  # through two proxies of ours
    ("10.0.0.2", ["198.51.100.1", "10.0.0.3"], "198.51.100.1"),  # as two header lines
    ("::1", ["[2001:db8::7]:443"], "2001:db8::7"),
    ("10.0.0.2", ["not an address, 198.51.100.1"], "198.51.100.1"),
    ("10.0.0.2", ["198.51.100.1, nonsense"], "10.0.0.2"),  # garbage at the right: trust none of it
    ("10.0.0.2", ["10.0.0.4"], "10.0.0.4"),  # only proxies: the left-most
    ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
])
def test_the_client_is_the_rightmost_address_no_trusted_proxy_added(peer, forwarded, client):
    assert client_address(peer, forwarded, TRUSTED) == client
    assert client_address(peer, forwarded, ()) == peer  # no proxy trusted: the peer, always


async def _registrations(url: str, forwarded_for: str | None, count: int) -> list[int]:
    statuses = []
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with aiohttp.ClientSession() as http:
        for _ in range(count):
            async with http.post(url + "/oauth/register", json={"redirect_uris": ["https://app.example/cb"]},
                                 headers=headers) as response:
                statuses.append(response.status)
    return statuses


async def test_limits_count_the_client_behind_a_trusted_proxy(tmp_path):
    burst = oauth_clients.REGISTRATIONS_PER_ADDRESS.burst
    trusting = RunningNode.create(tmp_path, "trusting")
    save_config(with_setting(load_config(trusting.home), trusted_proxies=("127.0.0.1/32",)))
    await trusting.start(workers=False)
    try:
        # Two clients behind the proxy have an allowance each...
        assert await _registrations(trusting.url, "198.51.100.1", burst) == [201] * burst
        assert await _registrations(trusting.url, "198.51.100.2", burst) == [201] * burst
        # ...and each is held to it.
        assert (await _registrations(trusting.url, "198.51.100.1", 1)) == [429]
    finally:
        await trusting.stop()
    plain = RunningNode.create(tmp_path, "plain")
    await plain.start(workers=False)
    try:
        # A node that trusts no proxy counts the peer, whatever the header says.
        statuses = await _registrations(plain.url, "198.51.100.1", burst) + await _registrations(
            plain.url, "198.51.100.2", 1)
        assert statuses == [201] * burst + [429]
    finally:
        await plain.stop()


# -- request ids, logs, metrics, readiness: a real `serve` ------------------------------

async def _get(url: str, **headers) -> tuple[int, CIMultiDict, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers) as response:
            return response.status, response.headers.copy(), await response.text()


@pytest.fixture
def served_process(tmp_path):
    """`fedcommons serve --log-format json --metrics-port N` in a process of its own."""
    home = tmp_path / "home"
    port, metrics_port = free_port(), free_port()
    run(home, "init", "--url", f"http://127.0.0.1:{port}", "--allow-private-addresses")
    run(home, "settings", "--metrics-token", "metrics-token-0123456789", "--trusted-proxies", "127.0.0.1")
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "fedcommons", "--home", str(home), "serve", "--port", str(port),
             "--log-format", "json", "--metrics-port", str(metrics_port)],
            stdout=subprocess.DEVNULL, stderr=log_file)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            status, _, _ = asyncio.run(_get(url + "/health"))
            if status == 200:
                break
        except aiohttp.ClientError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.1)
    yield url, f"http://127.0.0.1:{metrics_port}", log_path
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_request_ids_json_logs_metrics_and_readiness_of_a_real_server(served_process):
    url, metrics_url, log_path = served_process

    async def scenario():
        status, headers, _ = await _get(url + "/pools/nowhere", Accept="application/activity+json")
        made = headers["X-Request-Id"]
        assert status == 404 and len(made) == 16
        # A trusted proxy's id is kept (the node is reached from 127.0.0.1, which it trusts).
        status, headers, _ = await _get(url + "/health", **{"X-Request-Id": "proxy-id-42"})
        assert headers["X-Request-Id"] == "proxy-id-42"
        # A refused signature is counted by reason.
        async with aiohttp.ClientSession() as http:
            activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": "http://127.0.0.1:9/a/1",
                        "type": "Follow", "actor": "http://127.0.0.1:9/users/x", "object": url + "/actor"}
            async with http.post(url + "/inbox", data=json.dumps(activity).encode(), headers={
                    "Content-Type": "application/activity+json", "Signature": "nonsense"}) as response:
                assert response.status == 401
        status, _, _ = await _get(url + "/metrics")
        assert status == 401  # a token is set; none was shown
        status, _, _ = await _get(url + "/metrics", Authorization="Bearer wrong-token-0123456789")
        assert status == 401
        status, headers, public = await _get(url + "/metrics", Authorization="Bearer metrics-token-0123456789")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        status, _, local = await _get(metrics_url + "/metrics")  # the loopback port needs no token
        assert status == 200
        status, _, text = await _get(url + "/health/ready")
        return made, public, local, status, json.loads(text)

    made, public, local, ready_status, ready = asyncio.run(scenario())
    for text in (public, local):
        assert 'fedcommons_http_request_duration_seconds_count{method="GET",route="/{kind}/{name}",status="404"}' in text
        assert 'fedcommons_signature_failures_total{reason="malformed"} 1.0' in text
        assert 'fedcommons_inbox_items{state="received"} 0.0' in text
        assert 'fedcommons_deliveries{state="pending"}' in text
        assert "fedcommons_checkpoint_age_seconds" in text and "fedcommons_log_entries 1.0" in text
        assert 'fedcommons_worker_up{worker="inbox"} 1.0' in text
    assert "/pools/nowhere" not in public  # routes are labelled by pattern, never by path
    assert ready_status == 200 and ready["status"] == "ok" and set(ready["workers"]) == {
        "inbox", "delivery", "sync", "inbox-writer", "housekeeping", "settling", "poll-updates", "wikis"}

    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
        access = [line for line in lines if line.get("path") == "/pools/nowhere"]
        if access or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert access and access[0]["status"] == 404 and access[0]["request_id"] == made
    assert access[0]["client"] == "127.0.0.1" and access[0]["logger"] == "aiohttp.access"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)


async def test_readiness_fails_when_a_worker_dies_or_the_database_cannot_be_written(tmp_path, monkeypatch):
    running = RunningNode.create(tmp_path, "a")
    await running.start()
    try:
        status, _, text = await _get(running.url + "/health/ready")
        assert status == 200, text
        # A worker that died: the node still answers, and readiness says what stopped.
        task = running.app[INBOX]._task
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        status, _, text = await _get(running.url + "/health/ready")
        assert status == 503 and "the inbox worker has stopped" in json.loads(text)["problems"]
        status, _, _ = await _get(running.url + "/health")
        assert status == 200  # alive all the same: restarting is the orchestrator's call
        # The write lock held elsewhere for longer than the probe waits.
        monkeypatch.setattr(health, "WRITE_PROBE_SECONDS", 0.5)
        with support_db.hold_write_lock(running.home):
            status, _, text = await _get(running.url + "/health/ready")
        assert status == 503 and any("cannot be written" in p for p in json.loads(text)["problems"])
    finally:
        await running.stop()


async def test_metrics_are_not_served_on_the_public_port_without_a_token(tmp_path):
    running = RunningNode.create(tmp_path, "a")
    await running.start(workers=False)
    try:
        status, _, _ = await _get(running.url + "/metrics")
        assert status == 404
    finally:
        await running.stop()
