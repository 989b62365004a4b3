"""How often anyone may ask to enrol: token buckets per source address and overall.

``POST /v1/enrolment-requests`` is the one call that needs no credentials, so it is the one a
script can flood. Each source address (an IPv6 address counts by its /64, which one host or
network usually holds whole) has a bucket of ``per_source`` requests that refills at
``per_source`` a minute, and all sources share one of ``total``. A request that finds either
bucket empty is refused with the seconds until it would not be (``Retry-After``).

The buckets live in this process's memory: they start full when it starts, and several service
processes each keep their own (so the limits are per process). The source is the address that
connected, unless uvicorn trusts the proxy in front (``serve --trusted-proxies``) and takes the
client's address from its X-Forwarded-For: otherwise, behind a reverse proxy, every client is
the proxy and shares one bucket.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable

ENROLMENT_RATE = 60  # enrolment requests a minute from one source address
ENROLMENT_RATE_TOTAL = 600  # and from all of them together
SIGNIN_RATE = 10  # staff page sign-in attempts a minute from one address (ten times that in all)
MAX_SOURCES = 10_000  # buckets remembered; the least recently seen go first (they are full)


def source_key(host: str | None) -> str:
    """The address a limit applies to: IPv4 as it is, IPv6 by its /64, anything else as text."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens, self.at = tokens, at


class RateLimiter:
    """``take(source)``: None when the request may go ahead, else the seconds to wait."""

    def __init__(self, per_source: int, total: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_source < 1 or total < 1:
            raise ValueError("limits must be at least 1 a minute")
        self.per_source, self.total = per_source, total
        self._clock = clock
        self._all = _Bucket(float(total), clock())
        self._sources: OrderedDict[str, _Bucket] = OrderedDict()

    def _refill(self, bucket: _Bucket, size: int, now: float) -> None:
        bucket.tokens = min(float(size), bucket.tokens + (now - bucket.at) * size / 60.0)
        bucket.at = now

    def take(self, source: str) -> int | None:
        now = self._clock()
        bucket = self._sources.pop(source, None) or _Bucket(float(self.per_source), now)
        self._sources[source] = bucket  # most recently seen last
        while len(self._sources) > MAX_SOURCES:
            self._sources.popitem(last=False)
        self._refill(bucket, self.per_source, now)
        self._refill(self._all, self.total, now)
        if bucket.tokens < 1:
            return self._wait(bucket, self.per_source)
        if self._all.tokens < 1:
            return self._wait(self._all, self.total)
        bucket.tokens -= 1
        self._all.tokens -= 1
        return None

    @staticmethod
    def _wait(bucket: _Bucket, size: int) -> int:
        return max(1, math.ceil((1 - bucket.tokens) * 60.0 / size))
