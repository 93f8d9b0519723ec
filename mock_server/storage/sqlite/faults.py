"""Faults in the SQLite file, so every worker process sees the same ones.

Every change, from any process, bumps the list's version. Each process caches
the list with its version and decides a request's faults from the cache
without reading the file; the discard's UPDATE (instances.py) runs in a
transaction that first checks the version is still the cached one, and a
request that ends before the store confirms it with one read.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from ...faults import Fault
from ..interfaces import FaultSnapshot, StaleFaults
from .db import SqliteDatabase

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS faults (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL,
        remaining INTEGER
    )""",
    "CREATE TABLE IF NOT EXISTS fault_version (only INTEGER PRIMARY KEY CHECK (only = 1), version INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO fault_version (only, version) VALUES (1, 0)",
)
_BUMP = "UPDATE fault_version SET version = version + 1"
VERSION = "SELECT version FROM fault_version"  # the list's version; the discard's transaction reads it too


class SqliteFaultRegistry:
    """Faults in the SQLite file, so every worker process sees the same ones."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self._cache: FaultSnapshot | None = None
        with db.write() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def add(self, fault: Fault) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO faults (id, doc, remaining) VALUES (?, ?, ?)",
                (fault.id, json.dumps(fault.to_json()), fault.count),
            )
            conn.execute(_BUMP)

    def faults(self) -> list[Fault]:
        rows = self._db.connection().execute("SELECT doc, remaining FROM faults ORDER BY seq").fetchall()
        return [_fault(doc, remaining) for doc, remaining in rows]

    def remove(self, fault_id: str) -> bool:
        with self._db.write() as conn:
            removed = conn.execute("DELETE FROM faults WHERE id = ?", (fault_id,)).rowcount
            conn.execute(_BUMP)
        return removed > 0

    def clear(self) -> int:
        with self._db.write() as conn:
            removed = conn.execute("DELETE FROM faults").rowcount
            conn.execute(_BUMP)
        return removed

    def snapshot(self) -> FaultSnapshot:
        cached = self._cache
        return cached if cached is not None else self.reload()

    def reload(self) -> FaultSnapshot:
        # One statement, so the version and the faults come from one snapshot of the file.
        rows = (
            self._db.connection()
            .execute(
                """SELECT v.version, f.doc, f.remaining FROM fault_version AS v
                LEFT JOIN faults AS f ON f.remaining IS NULL OR f.remaining > 0
                ORDER BY f.seq"""
            )
            .fetchall()
        )
        active = tuple(_fault(doc, remaining) for _, doc, remaining in rows if doc is not None)
        faults = FaultSnapshot(rows[0][0], active)
        self._cache = faults
        return faults

    def confirm(self, faults: FaultSnapshot) -> None:
        check_version(self._db.connection(), faults)

    def consume(self, fault: Fault, faults: FaultSnapshot) -> FaultSnapshot | None:
        with self._db.write() as conn:
            check_version(conn, faults)
            rows = conn.execute(
                "UPDATE faults SET remaining = remaining - 1 WHERE id = ? AND remaining > 0 RETURNING remaining",
                (fault.id,),
            ).fetchall()
            if not rows:
                return None
            if rows[0][0] > 0:
                return faults
            # Spent: every process drops it from its list.
            version = conn.execute(_BUMP + " RETURNING version").fetchall()[0][0]
        after = faults.spent(fault, version)
        if self._cache == faults:
            self._cache = after
        return after


def check_version(conn: sqlite3.Connection, faults: FaultSnapshot) -> None:
    """StaleFaults unless the file's fault list is still at `faults.version` (inside a write, before it writes)."""
    if conn.execute(VERSION).fetchall()[0][0] != faults.version:
        raise StaleFaults


def _fault(doc: str, remaining: int | None) -> Fault:
    return replace(Fault.from_json(json.loads(doc)), count=remaining)
