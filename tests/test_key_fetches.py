"""Key fetches: one request per URL however many ask, and slots per host and in total
for requests not yet verified, given back when a fetch ends however it ends."""

import asyncio

import pytest

from fedcommons.errors import TryLater
from fedcommons.federation.key_fetches import KeyFetches


class Peer:
    """Fetches that end when the test says so; counts how many were started per URL."""

    def __init__(self):
        self.started: dict[str, int] = {}
        self.gates: dict[str, asyncio.Future] = {}

    def fetch(self, url):
        async def run():
            self.started[url] = self.started.get(url, 0) + 1
            self.gates[url] = asyncio.get_running_loop().create_future()
            return await self.gates[url]
        return run

    def answer(self, url, value=None, error=None):
        gate = self.gates[url]
        gate.set_exception(error) if error else gate.set_result(value)


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


async def test_concurrent_fetches_of_one_url_share_one_request():
    fetches, peer = KeyFetches(total=4), Peer()
    url = "https://a.example/users/x"
    waiters = [asyncio.ensure_future(fetches.run(url, "a.example", peer.fetch(url), limited=True)) for _ in range(10)]
    await settle()
    assert peer.started == {url: 1} and fetches.limited_running == 1
    peer.answer(url, "key")
    assert await asyncio.wait_for(asyncio.gather(*waiters), 5) == ["key"] * 10
    assert fetches.limited_running == 0
    # Shared failures reach every caller; a later call fetches again.
    again = [asyncio.ensure_future(fetches.run(url, "a.example", peer.fetch(url), limited=True)) for _ in range(2)]
    await settle()
    peer.answer(url, error=RuntimeError("gone"))
    results = await asyncio.wait_for(asyncio.gather(*again, return_exceptions=True), 5)
    assert [str(r) for r in results] == ["gone", "gone"] and peer.started[url] == 2


async def test_a_full_host_is_refused_quickly_and_other_hosts_go_on():
    fetches, peer = KeyFetches(total=10, per_host=2, wait=0.2), Peer()
    slow = [f"https://slow.example/users/{n}" for n in range(3)]
    held = [asyncio.ensure_future(fetches.run(u, "slow.example", peer.fetch(u), limited=True)) for u in slow[:2]]
    await settle()
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(TryLater) as refused:
        await fetches.run(slow[2], "slow.example", peer.fetch(slow[2]), limited=True)
    assert refused.value.status == 503 and refused.value.retry_after > 0
    assert 0.15 < loop.time() - began < 2
    other = "https://other.example/users/y"
    task = asyncio.ensure_future(fetches.run(other, "other.example", peer.fetch(other), limited=True))
    await settle()
    peer.answer(other, "their key")
    assert await asyncio.wait_for(task, 5) == "their key"
    # Fetches for verified work are not limited.
    free = "https://slow.example/users/verified"
    task = asyncio.ensure_future(fetches.run(free, "slow.example", peer.fetch(free), limited=False))
    await settle()
    assert peer.started.get(free) == 1
    peer.answer(free, "k")
    await asyncio.wait_for(task, 5)
    for url in slow[:2]:
        peer.answer(url, error=RuntimeError("timed out"))
    await asyncio.gather(*held, return_exceptions=True)
    assert fetches.limited_running == 0


async def test_the_total_holds_across_hosts_and_a_freed_slot_is_taken_by_a_waiter():
    fetches, peer = KeyFetches(total=3, per_host=2, wait=2.0), Peer()
    urls = [f"https://h{n}.example/k" for n in range(4)]
    held = [asyncio.ensure_future(fetches.run(u, f"h{n}.example", peer.fetch(u), limited=True))
            for n, u in enumerate(urls[:3])]
    await settle()
    waiting = asyncio.ensure_future(fetches.run(urls[3], "h3.example", peer.fetch(urls[3]), limited=True))
    await asyncio.sleep(0.05)
    assert urls[3] not in peer.started, "three hosts hold the total"
    peer.answer(urls[0], "k0")
    await asyncio.wait_for(held[0], 5)
    await settle()
    assert peer.started.get(urls[3]) == 1 and fetches.limited_running == 3
    peer.answer(urls[3], "k3")
    assert await asyncio.wait_for(waiting, 5) == "k3"
    for url in urls[1:3]:
        peer.answer(url, "k")
    await asyncio.gather(*held)


async def test_a_caller_that_leaves_does_not_free_the_slot_before_the_fetch_ends():
    fetches, peer = KeyFetches(total=1, per_host=1, wait=0.05), Peer()
    url = "https://a.example/k"
    caller = asyncio.ensure_future(fetches.run(url, "a.example", peer.fetch(url), limited=True))
    await settle()
    caller.cancel()
    await asyncio.gather(caller, return_exceptions=True)
    with pytest.raises(TryLater):
        await fetches.run("https://b.example/k", "b.example", peer.fetch("https://b.example/k"), limited=True)
    peer.answer(url, "k")
    await settle()
    assert fetches.limited_running == 0
    await fetches.close()
