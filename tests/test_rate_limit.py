"""Token buckets: per caller, overall, refilled with time, and bounded in memory."""

from fedcommons.rate_limit import Rate, TokenBuckets, caller_key


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_caller_gets_its_burst_then_one_per_interval():
    clock = Clock()
    limits = TokenBuckets(Rate(3, 60), Rate(100, 1), clock=clock)
    assert [limits.take("a") for _ in range(3)] == [0, 0, 0]
    assert limits.take("a") == 60
    assert limits.take("b") == 0, "another caller has its own bucket"
    clock.now += 45
    assert limits.take("a") == 15, "a refused request takes nothing"
    clock.now += 15
    assert limits.take("a") == 0
    assert limits.take("a") == 60


def test_the_overall_limit_holds_whoever_asks():
    clock = Clock()
    limits = TokenBuckets(Rate(5, 60), Rate(4, 10), clock=clock)
    assert [limits.take(f"10.0.0.{n}") for n in range(4)] == [0, 0, 0, 0]
    assert limits.take("10.0.0.9") == 10
    clock.now += 10
    assert limits.take("10.0.0.9") == 0
    # A caller refused by its own bucket does not use up the shared one.
    tight = TokenBuckets(Rate(1, 60), Rate(2, 60), clock=clock)
    assert tight.take("x") == 0 and tight.take("x") == 60 and tight.take("x") == 60
    assert tight.take("y") == 0


def test_memory_stays_bounded_and_refilled_buckets_go_first():
    clock = Clock()
    limits = TokenBuckets(Rate(2, 60), Rate(10**9, 1), max_keys=3, clock=clock)
    limits.take("busy")
    limits.take("busy")
    limits.take("a")
    limits.take("b")
    clock.now += 60  # a and b are full again, busy has one token
    limits.take("c")
    assert len(limits) == 2, "a and b were forgotten"
    assert limits.take("busy") == 0 and limits.take("busy") == 60, "busy kept its count"
    for n in range(1000):
        limits.take(f"caller-{n}")
        assert len(limits) <= 3


def test_callers_are_addresses_and_ipv6_counts_per_64():
    assert caller_key("203.0.113.7") == "203.0.113.7"
    assert caller_key("2001:db8:1:2:aaaa::1") == caller_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert caller_key("2001:db8:1:3::1") != caller_key("2001:db8:1:2::1")
    assert caller_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert caller_key(None) == "unknown"
