"""Where the rate limiter's buckets live: memory for one process, SQLite for many.

With several workers every process must draw from the same bucket, or N
workers would allow N times the configured rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from .rate_limit import Bucket, RateLimit, take
from .sqlite_db import SqliteDatabase

MAX_MEMORY_BUCKETS = 10_000


class BucketStore(Protocol):
    def take(self, key: str, limit: RateLimit, now: float) -> float | None:
        """Takes a token from `key`'s bucket atomically; None, or the seconds to wait."""
        ...

    def clear(self) -> None: ...


class MemoryBuckets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}

    def take(self, key: str, limit: RateLimit, now: float) -> float | None:
        with self._lock:
            bucket, wait = take(self._buckets.get(key), now, limit)
            if len(self._buckets) >= MAX_MEMORY_BUCKETS and key not in self._buckets:
                self._forget_full(limit, now)
            self._buckets[key] = bucket
            return wait

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _forget_full(self, limit: RateLimit, now: float) -> None:
        """Drops buckets that have refilled: forgetting them changes no answer."""
        refill_seconds = limit.burst / limit.per_second
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < refill_seconds}


class SqliteBuckets:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        with db.write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS rate_buckets "
                "(key TEXT PRIMARY KEY, tokens REAL NOT NULL, updated REAL NOT NULL) WITHOUT ROWID"
            )

    def take(self, key: str, limit: RateLimit, now: float) -> float | None:
        # Read and write inside one IMMEDIATE transaction: no other process can
        # spend the same token in between.
        with self._db.write() as conn:
            rows = conn.execute("SELECT tokens, updated FROM rate_buckets WHERE key = ?", (key,)).fetchall()
            bucket, wait = take(Bucket(*rows[0]) if rows else None, now, limit)
            conn.execute(
                "INSERT OR REPLACE INTO rate_buckets (key, tokens, updated) VALUES (?, ?, ?)",
                (key, bucket.tokens, bucket.updated),
            )
        return wait

    def clear(self) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM rate_buckets")


class RateLimiter:
    """A limit, the buckets it draws from, and the clock it reads."""

    def __init__(self, limit: RateLimit, buckets: BucketStore, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._buckets = buckets
        self._clock = clock

    def check(self, key: str) -> float | None:
        """None when the request may pass, else the seconds until it could."""
        return self._buckets.take(key, self.limit, self._clock())
