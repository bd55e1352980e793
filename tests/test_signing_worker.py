"""Signing in a worker process: the same bytes as signing here, proofs that verify (and
fail when tampered with), a worker that fails falls back, and none is left behind."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from support_import import force_signing_workers
from support_keys import FIXED_KEYS

from fedcommons.services.actors import signing, signing_worker
from fedcommons.sig.proof import create_proof_canonical, verify_proof

KEYS = [FIXED_KEYS.pairs[0][0], FIXED_KEYS.pairs[1][0]]
ACTORS = [SimpleNamespace(kind="pool", name="garden", ed25519_key_id="https://node.example/pools/garden#ed25519-key"),
          SimpleNamespace(kind="person", name="bob", ed25519_key_id="https://node.example/users/bob#ed25519-key")]


class Keys:
    def ed25519(self, kind, name):
        return KEYS[0] if kind == "pool" else KEYS[1]


NODE = SimpleNamespace(keys=Keys())


def documents(count, *, plain=True):
    """Activities of many shapes: with and without @context, nested, long and short; when
    not `plain`, with text beyond ASCII, floats and escapes too."""
    found = []
    for n in range(count):
        doc = {"id": f"https://node.example/activities/{n}", "type": ["Create", "Accept"][n % 2],
               "published": f"2024-05-{1 + n % 28:02d}T12:{n % 60:02d}:00Z",
               "object": {"name": "change " * (n % 7) + str(n), "minutes": n * 7, "tags": list(range(n % 5))}}
        if n % 3:
            doc["@context"] = ["https://www.w3.org/ns/activitystreams", {"fc": "https://fedcommons.example/ns#"}]
        if not plain:
            doc["object"].update(summary=f"Überarbeitung \u2028 {n} \"quoted\" 🌱", share=n / 7 + 0.5)
        found.append(doc)
    return found


@pytest.fixture
def worker_from_the_start(monkeypatch):
    """Every batch is signed by a worker; the worker processes started are listed here."""
    return force_signing_workers(monkeypatch)


def reference(actor, docs, plain):
    key = NODE.keys.ed25519(actor.kind, actor.name)
    return [create_proof_canonical(d, key, actor.ed25519_key_id, created=d["published"], plain=plain) for d in docs]


@pytest.mark.parametrize("plain", [True, False])
def test_the_worker_signs_the_same_bytes_as_this_process(worker_from_the_start, plain):
    batches = [(actor, documents(150 + 30 * i, plain=plain)) for i, actor in enumerate(ACTORS * 2)]
    with signing.BatchSigner(NODE) as signer:
        for actor, docs in batches:
            pending = signer.submit(actor, docs, plain=plain).result()
            assert [(p.activity, p.body) for p in pending] == reference(actor, docs, plain)
        assert signer.worker is not None and not signer.failed
    (process,) = worker_from_the_start
    assert process.returncode == 0  # ended by its closed input, and reaped


def test_a_proof_made_by_the_worker_verifies_and_a_tampered_document_does_not(worker_from_the_start):
    with signing.BatchSigner(NODE) as signer:
        pending = signer.submit(ACTORS[1], documents(5)).result()
    public = KEYS[1].public_key()
    for p in pending:
        assert verify_proof(p.activity, public).ok
        assert verify_proof(json.loads(p.body), public, canonical=p.body).ok
        tampered = {**p.activity, "object": {**p.activity["object"], "minutes": 1}}
        assert verify_proof(tampered, public).reason == "signature does not match"
        assert not verify_proof(p.activity, KEYS[0].public_key()).ok


def test_small_runs_sign_in_this_process(monkeypatch):
    monkeypatch.setattr(signing, "_Worker", None)  # would fail if called
    with signing.BatchSigner(NODE) as signer:
        for _ in range(3):
            signer.submit(ACTORS[0], documents(300)).result()
        assert signer.worker is None and signer.signed == 900


def test_the_worker_starts_once_a_run_is_long(monkeypatch, worker_from_the_start):
    monkeypatch.setattr(signing, "WORKER_AFTER", 500)
    with signing.BatchSigner(NODE) as signer:
        first = signer.submit(ACTORS[0], documents(600))
        assert signer.worker is None
        second = signer.submit(ACTORS[0], documents(10))
        assert signer.worker is not None and second.result() and first.result()


def test_a_run_that_breaks_off_ends_its_worker_at_once(worker_from_the_start):
    # Its answer to a large batch fills the pipe: it would never read the end of its input.
    started = time.monotonic()
    with pytest.raises(RuntimeError), signing.BatchSigner(NODE) as signer:
        signer.submit(ACTORS[0], documents(3000))
        time.sleep(0.5)
        raise RuntimeError("the disk is full")
    assert time.monotonic() - started < 4
    (process,) = worker_from_the_start
    assert process.returncode == -signal.SIGKILL


def failing(signer, how):
    """Make the signer's worker fail in one way."""
    process = signer.worker.process
    if how == "killed":
        process.kill()
    elif how == "stalled":
        os.kill(process.pid, signal.SIGSTOP)
    elif how == "other key":
        # The worker signs with another key from now on; the spot check must notice.
        os.write(signer.worker.to, signing_worker.frame(signing_worker.KEY + bytes(32)))


@pytest.mark.parametrize("how", ["killed", "stalled", "other key"])
def test_a_failing_worker_falls_back_to_signing_here(worker_from_the_start, monkeypatch, caplog, how):
    monkeypatch.setattr(signing, "WORKER_TIMEOUT", 1.0)
    docs = documents(40)
    with signing.BatchSigner(NODE) as signer, caplog.at_level(logging.WARNING, "fedcommons.signing"):
        assert [p.body for p in signer.submit(ACTORS[0], docs[:20]).result()] == \
            [b for _, b in reference(ACTORS[0], docs[:20], True)]
        failing(signer, how)
        started = time.monotonic()
        pending = signer.submit(ACTORS[0], docs[20:]).result()
        assert time.monotonic() - started < 10
        assert signer.failed and signer.worker is None
        assert [p.body for p in pending] == [b for _, b in reference(ACTORS[0], docs[20:], True)]
        assert signer.submit(ACTORS[0], docs).result()  # the rest of the run too
    assert "signing in this process instead" in caplog.text
    (process,) = worker_from_the_start
    assert process.returncode is not None  # reaped, even when stopped


def test_the_worker_ends_when_its_parent_dies(tmp_path):
    # A parent that starts a worker, says its pid, and is killed: the worker reads the end
    # of its input and exits.
    code = ("import sys, time\n"
            "from fedcommons.services.actors import signing\n"
            "worker = signing._Worker()\n"
            "print(worker.process.pid, flush=True)\n"
            "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": signing._PACKAGE_ROOT})
    try:
        pid = int(parent.stdout.readline())
    finally:
        parent.kill()
        parent.wait(timeout=10)
        parent.stdout.close()
    deadline = time.monotonic() + 10
    while _running(pid):
        assert time.monotonic() < deadline, "the worker outlived its parent"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (an exited one nobody reaped yet does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_worker_refuses_a_batch_before_a_key():
    done = subprocess.run([sys.executable, "-m", signing_worker.__name__],
                          input=signing_worker.frame(signing_worker.batch_body([(b"{}", b"{}")])),
                          capture_output=True, timeout=30, env={**os.environ, "PYTHONPATH": signing._PACKAGE_ROOT})
    assert done.returncode == 2 and b"unexpected message" in done.stderr and done.stdout == b""
