"""The limits on password guessing: allowance, slow lane, refunds, per-address counts,
address keys and bounded memory, on a clock the tests move."""

import pytest

from fedcommons.web import sign_in
from fedcommons.web.sign_in import ACCOUNT, ADDRESS, TURN_SECONDS, SignInLimits, address_key
from support_web import Clock


@pytest.fixture
def clock():
    return Clock()


def test_past_the_allowance_one_attempt_per_lane_interval(clock):
    limits = SignInLimits(clock)
    for _ in range(ACCOUNT.allowance):
        assert limits.begin("alice", "192.0.2.1").retry_after == 0
    refused = limits.begin("alice", "192.0.2.2")
    assert refused.retry_after == ACCOUNT.lane_seconds  # from any address: the count is the account's
    clock.now += ACCOUNT.lane_seconds - 1
    assert limits.begin("alice", "192.0.2.2").retry_after == 1
    clock.now += 1
    assert limits.begin("alice", "192.0.2.2").retry_after == 0
    assert limits.begin("alice", "192.0.2.3").retry_after == ACCOUNT.lane_seconds
    assert limits.begin("bob", "192.0.2.3").retry_after == 0  # other accounts are not slowed


def test_the_lane_closes_once_the_guessing_stops(clock):
    limits = SignInLimits(clock)
    for _ in range(ACCOUNT.allowance):
        limits.begin("alice", "192.0.2.1")
    for n in range(20):  # a guesser keeping at the slow lane from three addresses
        clock.now += ACCOUNT.lane_seconds
        assert limits.begin("alice", f"192.0.2.{10 + n % 3}").retry_after == 0
    clock.now += ACCOUNT.drain_seconds  # a quarter of an hour later: the whole allowance again
    for _ in range(ACCOUNT.allowance):
        assert limits.begin("alice", "192.0.2.2").retry_after == 0
    assert limits.begin("alice", "192.0.2.2").retry_after > 0


def test_one_address_takes_one_turn_at_an_accounts_slow_lane(clock):
    limits = SignInLimits(clock)
    for _ in range(ACCOUNT.allowance):
        limits.begin("alice", "192.0.2.1")
    clock.now += ACCOUNT.lane_seconds
    assert limits.begin("alice", "192.0.2.1").retry_after == 0
    for _ in range(TURN_SECONDS // ACCOUNT.lane_seconds - 1):
        clock.now += ACCOUNT.lane_seconds
        # The opening is left to others, though this address has attempts left to spend.
        assert limits.begin("alice", "192.0.2.1").retry_after > 0
    assert limits.begin("alice", "192.0.2.2").retry_after == 0
    clock.now += ACCOUNT.lane_seconds
    assert limits.begin("alice", "192.0.2.1").retry_after == 0
    assert limits.begin("bob", "192.0.2.1").retry_after == 0  # turns are per account


def test_a_right_password_is_not_counted(clock):
    limits = SignInLimits(clock)
    for _ in range(3 * ACCOUNT.allowance):
        attempt = limits.begin("alice", "192.0.2.1")
        assert attempt.retry_after == 0
        limits.succeeded(attempt)
    for _ in range(ACCOUNT.allowance):  # the wrong ones still have their full allowance
        assert limits.begin("alice", "192.0.2.1").retry_after == 0
    assert limits.begin("alice", "192.0.2.1").retry_after > 0


def test_one_address_is_limited_across_accounts(clock):
    limits = SignInLimits(clock)
    for n in range(ADDRESS.allowance):
        assert limits.begin(f"name:user{n}", "192.0.2.1").retry_after == 0
    assert limits.begin("name:one-more", "192.0.2.1").retry_after == ADDRESS.lane_seconds
    assert limits.begin("name:one-more", "192.0.2.9").retry_after == 0  # another address is not slowed
    clock.now += ADDRESS.lane_seconds
    assert limits.begin("name:one-more", "192.0.2.1").retry_after == 0
    assert limits.begin("name:and-another", "192.0.2.1").retry_after == ADDRESS.lane_seconds


def test_memory_is_bounded(clock, monkeypatch):
    monkeypatch.setattr(sign_in, "MAX_KEYS", 50)
    limits = SignInLimits(clock)
    for n in range(500):
        limits.begin(f"name:user{n}", f"198.51.100.{n % 256}")
        clock.now += ADDRESS.lane_seconds
    assert len(limits._accounts.buckets) <= 50 and len(limits._addresses.buckets) <= 50


@pytest.mark.parametrize("remote, key", [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("::ffff:192.0.2.7", "192.0.2.7"),
    (None, "unknown"),
])
def test_address_keys(remote, key):
    assert address_key(remote) == key
