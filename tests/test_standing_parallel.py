"""Reading a large log on two processes (fedcommons.services.standing.parallel) gives the
bytes reading it in one does: the joined ledger, the Merkle root, the Standing document."""

from __future__ import annotations

import multiprocessing
import os
import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
import support_db
from test_standing_fast import GARDEN, LIBRARY, START, URL, append_in_batches, log_size, logs

from fedcommons.errors import FedcommonsError, HomeError
from fedcommons.home import init_node, open_node
from fedcommons.log.merkle import Frontier
from fedcommons.node import NODE_NAME
from fedcommons.services.log import redaction
from fedcommons.services.standing import parallel
from fedcommons.services.standing import standing as service
from fedcommons.services.standing.pool_state import read_ledger
from fedcommons.standing import PoolLedger


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    """A new node's home, copied for each example."""
    home = tmp_path_factory.mktemp("par") / "home"
    init_node(home, URL).close()
    return home


@settings(max_examples=200, deadline=None, phases=[Phase.generate])
@given(log=logs(), data=st.data())
def test_a_ledger_joined_from_two_runs_is_the_ledger_of_both(log, data):
    """Whatever the point the log is cut at: the same URLs' numbers, rows and records."""
    activities, _ = log
    cut = data.draw(st.integers(0, len(activities)))
    for pool in (GARDEN, LIBRARY):
        whole = PoolLedger(pool).extend(activities)
        joined = PoolLedger(pool).extend(activities[:cut])
        # Through a snapshot, as the second process sends it.
        later = PoolLedger.restore(b"".join(PoolLedger(pool).extend(activities[cut:]).snapshot_parts()))
        joined.absorb(later)
        assert joined.snapshot() == whole.snapshot()
        assert joined.counts == whole.counts
        # And read on after the join, as a held ledger is.
        more = activities[: len(activities) // 3]
        assert joined.extend(more).snapshot() == whole.extend(more).snapshot()


def test_a_ledger_of_another_pool_is_not_joined():
    with pytest.raises(FedcommonsError):
        PoolLedger(GARDEN).absorb(PoolLedger(LIBRARY))


@settings(max_examples=3, deadline=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(log=logs(), data=st.data())
def test_two_processes_read_the_bytes_one_reads(base_home, tmp_path_factory, log, data, monkeypatch):
    """On a random log with redacted entries: the ledger, the frontier and the document."""
    activities, batches = log
    home = tmp_path_factory.mktemp("par") / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)
    try:
        append_in_batches(node, activities, batches)
        rng = random.Random(data.draw(st.integers(0, 2**32)))
        for index in rng.sample(range(1, log_size(node)), min(4, log_size(node) - 1)):
            try:
                redaction.redact(node, index, reason="personal data", by=NODE_NAME)
            except FedcommonsError:
                pass  # not redactable (a key, a notice): the others still are
        log_view = service.local_log(node)
        size = log_view.checkpoint()["treeSize"]
        as_of = START + timedelta(days=30)
        for pool in (GARDEN, LIBRARY):
            plain_frontier, split_frontier = Frontier.empty(), Frontier.empty()
            plain = read_ledger(log_view.entries(0, size), pool, plain_frontier, log_view.retained())
            monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
            split = parallel.log_ledger(log_view, size, pool, split_frontier)
            assert split.snapshot() == plain.snapshot()
            assert split_frontier == plain_frontier
            assert split_frontier.root() == log_view.root_at(size)
            two = outcome(node, pool, as_of)
            monkeypatch.setattr(parallel, "PARALLEL_MIN", 10**9)
            assert two == outcome(node, pool, as_of)
        assert multiprocessing.active_children() == []
    finally:
        node.close()


def outcome(node, pool, as_of):
    try:
        return service.pool_standing(node, pool, as_of=as_of, full=True).body
    except FedcommonsError as exc:
        return f"{type(exc).__name__}: {exc}"


def test_small_logs_stay_in_one_process(base_home, monkeypatch):
    """Below the threshold no second process starts (that would cost more than it saves)."""
    node = open_node(base_home)
    try:
        started = []
        monkeypatch.setattr(parallel.multiprocessing, "get_context", lambda *a: started.append(a))
        log_view = service.local_log(node)
        parallel.log_ledger(log_view, log_view.size, GARDEN)
        assert started == []
    finally:
        node.close()


def test_a_failing_second_process_raises_here_and_is_gone(small_node, monkeypatch):
    """The second process's error comes back as this process's; no process is left."""
    log_view = service.local_log(small_node)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parallel, "_read_part", _read_nowhere)
    with pytest.raises(HomeError, match="no database"):
        parallel.log_ledger(log_view, log_view.size, GARDEN)
    assert multiprocessing.active_children() == []


def _read_nowhere(sender, source, *rest):
    """The second process's reading, of a database that is not there."""
    parallel._read_part(sender, (support_db.elsewhere(source[0]), None), *rest)


def test_a_second_process_that_dies_is_an_error_not_a_wait(small_node, monkeypatch):
    log_view = service.local_log(small_node)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parallel, "_POLL", 0.05)
    monkeypatch.setattr(parallel, "_read_part", _die)
    with pytest.raises(FedcommonsError, match="stopped"):
        parallel.log_ledger(log_view, log_view.size, GARDEN)
    assert multiprocessing.active_children() == []


def _die(*_):
    """Stands for a reader killed midway (out of memory, a signal): exits without a word."""
    os._exit(9)


@pytest.fixture
def small_node(base_home, tmp_path):
    """A node whose log holds a few entries of the garden."""
    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)
    append_in_batches(node, _few(), [2, 2, 2])
    assert service.local_log(node).size >= 4
    yield node
    node.close()


def _few():
    return [{"type": "Like", "id": f"{GARDEN}/like/{i}", "actor": f"{GARDEN}/people/{i}",
             "object": f"{GARDEN}/c/{i}", "published": "2025-01-01T00:00:00Z"} for i in range(6)]
