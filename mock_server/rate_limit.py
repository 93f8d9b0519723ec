"""Rate limiting per API key: a token bucket, free of HTTP and storage.

Off unless configured. A team turns it on to see how its client behaves when
the API says 429: the answer carries Retry-After and the request changes
nothing, as the real service's would.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from discard_contract.rates import RateError, parse_rate

from .request_parts import bearer_token

if TYPE_CHECKING:
    from .storage.interfaces import BucketStore


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`per_second` tokens flow in, up to `burst` wait in the bucket."""

    per_second: float
    burst: int

    @classmethod
    def parse(cls, text: str, burst: int | None = None) -> RateLimit:
        """'10/s', '600/min', '5/h'; the burst defaults to the count (10, 600, 5).

        Raises ValueError with a message for a person.
        """
        try:
            rate = parse_rate(text)
        except RateError as exc:
            raise ValueError(f"rate limit: expected COUNT/UNIT: {exc}") from None
        burst = max(1, math.ceil(rate.count)) if burst is None else burst
        if burst < 1:
            raise ValueError(f"rate limit burst must be at least 1; got {burst}")
        return cls(per_second=rate.per_second, burst=burst)


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    updated: float  # wall-clock seconds: shared by every process of the machine


def take(bucket: Bucket | None, now: float, limit: RateLimit) -> tuple[Bucket, float | None]:
    """The bucket after one request, and None if it may pass, else the seconds until it could."""
    if bucket is None:
        tokens = float(limit.burst)
    else:
        elapsed = max(0.0, now - bucket.updated)  # a clock stepping back refills nothing
        tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.per_second)
    if tokens >= 1.0:
        return Bucket(tokens - 1.0, now), None
    return Bucket(tokens, now), (1.0 - tokens) / limit.per_second


def rate_key(authorization: str | None, client_address: str | None) -> str:
    """Whose bucket: the Authorization token, else the client's address.

    Hashed, so the store file never holds API keys.
    """
    token = bearer_token(authorization) or (authorization or "").strip()
    raw = f"key:{token}" if token else f"addr:{client_address or '-'}"
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]


class RateLimiter:
    """A limit, the buckets it draws from, and the clock it reads (injectable, for tests)."""

    def __init__(self, limit: RateLimit, buckets: BucketStore, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._buckets = buckets
        self._clock = clock

    def check(self, key: str) -> float | None:
        """None when the request may pass, else the seconds until it could."""
        return self._buckets.take(key, self.limit, self._clock())
