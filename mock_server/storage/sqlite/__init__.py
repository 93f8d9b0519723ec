"""The SQLite engine: one file that every worker process shares, and that survives restarts."""

from __future__ import annotations

from collections.abc import Iterable

from ...domain import Instance
from ..interfaces import Storage
from .buckets import SqliteBuckets
from .db import SqliteDatabase
from .faults import SqliteFaultRegistry
from .instances import SqliteInstanceStore

__all__ = ["SqliteBuckets", "SqliteDatabase", "SqliteFaultRegistry", "SqliteInstanceStore", "open_sqlite"]


def open_sqlite(path: str, seed: Iterable[Instance]) -> Storage:
    db = SqliteDatabase(path)
    return Storage(
        SqliteInstanceStore(db, seed), SqliteFaultRegistry(db), SqliteBuckets(db), release=db.close, shared=True
    )
