"""The enrolment rate limiter on its own, on a clock the test moves."""

from __future__ import annotations

from frontdoor import limits
from frontdoor.limits import RateLimiter, source_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_source_then_overall_and_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(per_source=3, total=5, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    assert limiter.take("a") == 20  # one request back every 60/3 s
    assert [limiter.take("b") for _ in range(2)] == [None, None]
    assert limiter.take("c") == 12  # the overall bucket is empty: one back every 60/5 s
    clock.now += 12
    assert limiter.take("c") is None
    clock.now += 3600  # refills to the bucket's size, no further
    assert [limiter.take("a") for _ in range(4)] == [None, None, None, 20]


def test_a_refused_request_costs_nothing_overall() -> None:
    limiter = RateLimiter(per_source=1, total=2, clock=Clock())
    assert limiter.take("flood") is None
    for _ in range(100):
        assert limiter.take("flood") is not None
    assert limiter.take("school") is None


def test_sources_are_addresses_and_ipv6_networks() -> None:
    assert source_key("192.0.2.7") == "192.0.2.7"
    assert source_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert source_key("2001:db8:1:2:3:4:5:6") == source_key("2001:db8:1:2:ffff::1") \
        == "2001:db8:1:2::/64"
    assert source_key(None) == "unknown"
    assert source_key("not an address") == "not an address"


def test_memory_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_SOURCES", 10)
    limiter = RateLimiter(per_source=1, total=1000, clock=Clock())
    for n in range(50):
        limiter.take(f"198.51.100.{n}")
    assert len(limiter._sources) == 10
