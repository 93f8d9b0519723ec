"""Rate-limit buckets in Redis: one token bucket per key for the whole fleet, on Redis's clock."""

from __future__ import annotations

import redis

from ..rate_limit import RateLimit
from .redis_connection import RedisConnection

UNLINK_BATCH = 1000  # keys per SCAN page and per UNLINK while clearing


class RedisBuckets:
    """The BucketStore protocol in Redis: one bucket per key for the whole fleet, on Redis's clock."""

    def __init__(self, connection: RedisConnection) -> None:
        self._redis = connection

    def take(self, key: str, limit: RateLimit, now: float) -> float | None:
        """`now` is ignored: the replicas' hosts need not agree on the time, Redis's TIME decides."""
        bucket = self._redis.key("bucket:" + key)
        args = [repr(limit.per_second), limit.burst]
        wait = self._redis.run(lambda _: self._redis.script(self._redis.scripts.take_token, [bucket], args))
        return float(wait) if wait else None

    def clear(self) -> None:
        pattern = _glob_escape(self._redis.key("bucket:")) + "*"

        def drop(client: redis.Redis) -> None:
            batch = []
            for key in client.scan_iter(match=pattern, count=UNLINK_BATCH):
                batch.append(key)
                if len(batch) >= UNLINK_BATCH:
                    client.unlink(*batch)
                    batch = []
            if batch:
                client.unlink(*batch)

        self._redis.run(drop)


def _glob_escape(text: str) -> str:
    """A prefix as a SCAN MATCH pattern that matches only itself."""
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)
