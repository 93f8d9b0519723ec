"""The SQLite engine: one file that every worker process shares, and that survives restarts."""

from __future__ import annotations

import sqlite3
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
        SqliteInstanceStore(db, seed),
        SqliteFaultRegistry(db),
        SqliteBuckets(db),
        release=db.close,
        shared=True,
        health=lambda: _health(db),
        about={"kind": "sqlite", "target": str(db.path)},
    )


def _health(db: SqliteDatabase) -> str | None:
    """None while the file answers a read, else SQLite's reason (a deleted directory, a full or broken disk)."""
    try:
        db.connection().execute("SELECT count(*) FROM instances").fetchone()
    except sqlite3.Error as exc:
        return f"SQLite store {db.path}: {exc}"
    return None
