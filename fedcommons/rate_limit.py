"""Token buckets in memory: one per caller plus one shared by all, of bounded size.

A bucket holds at most ``burst`` tokens and gains one every ``every`` seconds; a request
takes one from its caller's bucket and one from the shared bucket, or neither. A bucket
that has filled up again is the same as no bucket, so it is forgotten when the map grows;
past ``max_keys`` the least recently used buckets go, and the shared bucket still holds.
"""

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """``burst`` requests at once, then one every ``every`` seconds."""

    burst: int
    every: float


class _Bucket:
    __slots__ = ("tokens", "at")

    def __init__(self, tokens: float, at: float):
        self.tokens, self.at = tokens, at

    def refill(self, rate: Rate, now: float) -> None:
        self.tokens = min(rate.burst, self.tokens + (now - self.at) / rate.every)
        self.at = now

    def wait(self, rate: Rate) -> float:
        """Seconds until a token is there (0 when one is)."""
        return max(0.0, (1 - self.tokens) * rate.every)


class TokenBuckets:
    """Per-caller and overall limits; :meth:`take` says whether a request may go ahead."""

    def __init__(self, per_caller: Rate, overall: Rate, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self.per_caller, self.overall, self.max_keys, self.clock = per_caller, overall, max_keys, clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._shared = _Bucket(overall.burst, clock())

    def take(self, caller: str) -> float:
        """0 when the request may go ahead (a token is taken from both buckets), else the
        seconds until it may (nothing is taken)."""
        now = self.clock()
        bucket = self._buckets.get(caller)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[caller] = _Bucket(self.per_caller.burst, now)
        self._buckets.move_to_end(caller)
        bucket.refill(self.per_caller, now)
        self._shared.refill(self.overall, now)
        wait = max(bucket.wait(self.per_caller), self._shared.wait(self.overall))
        if wait > 0:
            return wait
        bucket.tokens -= 1
        self._shared.tokens -= 1
        return 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self.max_keys:
            return
        rate = self.per_caller
        for key in [k for k, b in self._buckets.items() if b.tokens + (now - b.at) / rate.every >= rate.burst]:
            del self._buckets[key]
        while len(self._buckets) >= self.max_keys:
            self._buckets.popitem(last=False)


def caller_key(address: str | None) -> str:
    """Who is calling, for a limit: the IP address, or for IPv6 its /64, which one
    subscriber usually holds whole."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
