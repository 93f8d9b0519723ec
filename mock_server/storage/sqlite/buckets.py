"""Rate-limit buckets in the SQLite file.

With several workers every process must draw from the same bucket, or N
workers would allow N times the configured rate.
"""

from __future__ import annotations

from ...rate_limit import Bucket, RateLimit, take
from .db import SqliteDatabase


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
