"""The one password check behind every form that takes a password (signing in to the
pages, approving an OAuth client), and the limits that make guessing slow without
locking the account's owner out.

Each attempt is counted when it starts, before the password is hashed, so that attempts
sent together are counted together; it is counted twice, against the account and
against the client's address. An attempt that succeeds is un-counted; a wrong one stays.

- The account is the one the typed name resolves to, however it is spelled (``alice``,
  ``@Alice``, ``alice@HOST``). A name that resolves to nobody is counted under its
  normalised spelling the same way, so probing for names costs as much as guessing
  passwords and answers alike.
- The address is ``request.remote`` as aiohttp gives it; an IPv6 address counts by its
  /64, the block one customer is usually given. X-Forwarded-For is not read: anyone can
  send it. Behind a reverse proxy every request comes from the proxy's address unless the
  server is set up to see the client's, and the per-address count is then one count for
  everyone.

Each count is a bucket that drains at a steady rate. Below its allowance, attempts go
through at once. Past it the bucket is not shut for a quarter of an hour (that let
anyone lock anyone out with ten requests): it becomes a slow lane, admitting one attempt
per interval. Refused attempts are answered 429 with Retry-After, are not counted, and
cost no hash.

    count      allowance  drains                          slow lane
    account    10         10 per 15 minutes (1 per 90 s)  1 per 10 s
    address    30         30 per 15 minutes (1 per 30 s)  1 per 30 s

and, while an account is in its slow lane, one address takes at most one of its
openings per TURN_SECONDS (30 s).

Why these numbers: 10 wrong passwords are more than a person's typos. Past them an
account takes at most 6 guesses a minute, whatever number of addresses the guesser has,
and its owner, who needs one attempt, waits 10 seconds. One address gets 30 attempts
across all accounts and then one every 30 seconds, so it cannot spray a common password
over many accounts. And one address takes at most one in three of an account's openings,
even before its own 30 are spent, so one guesser cannot keep the owner out: the owner's
next try, 10 seconds on, finds the lane open. Three or more addresses acting in concert
can keep a lane busy; no count can tell them from the owner without knowing the owner's
browser.

Scrypt runs on a pool of two threads of its own, so a flood of sign-ins waits there
rather than taking the threads that other requests need.

The counts are kept in memory, per application: at most MAX_KEYS buckets of each kind,
the least recently used going first (a few MB). A restart forgets them, which costs a
guesser a restart of the server they cannot cause.
"""

import asyncio
import ipaddress
import math
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from aiohttp import web

from ..errors import BadInput, TryLater
from ..services.accounts import accounts
from ..store.actors import ActorRow
from .keys import NODE, WRITER


@dataclass(frozen=True)
class Rule:
    """How one kind of count drains and when it turns into a slow lane."""

    allowance: int  # attempts that go through at once
    drain_seconds: float  # time for a full bucket to empty
    lane_seconds: float  # past the allowance, one attempt per this many seconds


ACCOUNT = Rule(allowance=10, drain_seconds=15 * 60, lane_seconds=10)
ADDRESS = Rule(allowance=30, drain_seconds=15 * 60, lane_seconds=30)
TURN_SECONDS = 30  # one address at one account's slow lane: one attempt per this many seconds
MAX_KEYS = 10_000

_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-check")


class _Bucket:
    __slots__ = ("level", "updated", "last")

    def __init__(self, now: float):
        self.level, self.updated, self.last = 0.0, now, now


class _Counts:
    """Buckets of one kind, by key, least recently used first."""

    def __init__(self, rule: Rule):
        self.rule = rule
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _drained(self, key: str, now: float) -> _Bucket | None:
        bucket = self.buckets.get(key)
        if bucket is not None:
            self.buckets.move_to_end(key)
            rate = self.rule.allowance / self.rule.drain_seconds
            bucket.level = max(0.0, bucket.level - (now - bucket.updated) * rate)
            bucket.updated = now
        return bucket

    def in_lane(self, key: str, now: float) -> bool:
        """Whether `key` has spent its allowance (its attempts go through the slow lane)."""
        bucket = self._drained(key, now)
        return bucket is not None and bucket.level + 1 > self.rule.allowance

    def wait(self, key: str, now: float) -> float:
        """Seconds until an attempt for `key` may start (0: now)."""
        if not self.in_lane(key, now):
            return 0.0
        bucket = self.buckets[key]
        lane = bucket.last + self.rule.lane_seconds - now
        below = (bucket.level + 1 - self.rule.allowance) * self.rule.drain_seconds / self.rule.allowance
        return max(0.0, min(lane, below))

    def charge(self, key: str, now: float) -> float:
        """Count an attempt that starts now; returns what was added, for a refund."""
        bucket = self._drained(key, now)
        if bucket is None:
            if len(self.buckets) >= MAX_KEYS:
                self.buckets.popitem(last=False)
            bucket = self.buckets[key] = _Bucket(now)
        # Capped at the allowance: however long a guesser keeps at the slow lane, the
        # account is back to normal a quarter of an hour after they stop.
        added = min(1.0, self.rule.allowance - bucket.level)
        bucket.level += added
        bucket.last = now
        return added

    def refund(self, key: str, amount: float, now: float) -> None:
        bucket = self._drained(key, now)
        if bucket is not None:
            bucket.level = max(0.0, bucket.level - amount)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: refused for `retry_after` seconds, or started and counted."""

    account: str
    address: str
    retry_after: int = 0
    account_charge: float = 0.0
    address_charge: float = 0.0


class SignInLimits:
    """The counts of one application. `clock` is seconds, monotonic (tests pass their own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._accounts = _Counts(ACCOUNT)
        self._addresses = _Counts(ADDRESS)
        # (account, address) -> when that address last took that account's slow lane
        self._turns: OrderedDict[tuple[str, str], float] = OrderedDict()

    def begin(self, account: str, address: str) -> Attempt:
        """Start an attempt, counted against both keys, or refuse it (nothing counted)."""
        now = self.clock()
        wait = max(self._accounts.wait(account, now), self._addresses.wait(address, now))
        in_lane = self._accounts.in_lane(account, now)
        if in_lane:
            wait = max(wait, self._turns.get((account, address), -TURN_SECONDS) + TURN_SECONDS - now)
        if wait > 0:
            return Attempt(account, address, retry_after=math.ceil(wait))
        if in_lane:
            self._turns.pop((account, address), None)
            self._turns[account, address] = now
            while len(self._turns) > MAX_KEYS or next(iter(self._turns.values())) <= now - TURN_SECONDS:
                self._turns.popitem(last=False)
        return Attempt(account, address, account_charge=self._accounts.charge(account, now),
                       address_charge=self._addresses.charge(address, now))

    def succeeded(self, attempt: Attempt) -> None:
        """Un-count an attempt whose password was right."""
        now = self.clock()
        self._accounts.refund(attempt.account, attempt.account_charge, now)
        self._addresses.refund(attempt.address, attempt.address_charge, now)


LIMITS = web.AppKey("sign_in_limits", SignInLimits)


@dataclass(frozen=True)
class Verdict:
    """What a password check found: the person, or nobody (wrong, or refused unchecked
    when `retry_after` > 0: the seconds to wait before trying again)."""

    person: ActorRow | None
    retry_after: int = 0


async def check_password(request: web.Request, login: str, password: str) -> Verdict:
    """Whether `password` is right for the account typed as `login`, within the limits."""
    node = request.app[NODE]
    person, stored = accounts.account(node, login)
    account = person.id if person is not None else "name:" + accounts.login_name(node, login)[:200]
    attempt = request.app[LIMITS].begin(account, address_key(request.remote))
    if attempt.retry_after:
        return Verdict(None, attempt.retry_after)
    # A hash takes a tenth of a second: off the event loop, so other requests go on.
    loop = asyncio.get_running_loop()
    matches = await loop.run_in_executor(_HASHING, accounts.password_matches, stored, password)
    if person is None or not matches:
        return Verdict(None)
    request.app[LIMITS].succeeded(attempt)
    if accounts.needs_upgrade(stored):
        # The one moment the password is known: hash it again at today's cost.
        try:
            fresh = await loop.run_in_executor(_HASHING, accounts.hash_password, password)
            await request.app[WRITER].run(accounts.replace_hash, person.id, stored, fresh)
        except (BadInput, TryLater):
            pass  # a password shorter than today's minimum, or a busy database: next time

    return Verdict(person)


def refusal(retry_after: int) -> str:
    """What a refused attempt is told."""
    return f"Too many wrong passwords lately; try again in {retry_after} second{'s' if retry_after != 1 else ''}."


def address_key(remote: str | None) -> str:
    """The client's address as counted: IPv4 as is, IPv6 by its /64."""
    try:
        ip = ipaddress.ip_address((remote or "").split("%")[0])
    except ValueError:
        return remote or "unknown"  # a Unix socket, say
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)
