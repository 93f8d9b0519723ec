"""Faults in the SQLite file, so every worker process sees the same ones.

`active` is on every request's path, so it reads one integer (a version
bumped by every change, from any process) and reloads the faults only when
it moved.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from ...faults import Fault
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


class SqliteFaultRegistry:
    """Faults in the SQLite file, so every worker process sees the same ones."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self._cache: tuple[int, tuple[Fault, ...]] = (-1, ())
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

    def active(self) -> Sequence[Fault]:
        conn = self._db.connection()
        version = conn.execute("SELECT version FROM fault_version").fetchall()[0][0]
        cached_version, cached = self._cache
        if version == cached_version:
            return cached
        return self._reload(conn)

    def consume(self, fault: Fault) -> bool:
        with self._db.write() as conn:
            rows = conn.execute(
                "UPDATE faults SET remaining = remaining - 1 WHERE id = ? AND remaining > 0 RETURNING remaining",
                (fault.id,),
            ).fetchall()
            if rows and rows[0][0] == 0:
                conn.execute(_BUMP)  # spent: every process drops it from its active list
        return bool(rows)

    def _reload(self, conn: sqlite3.Connection) -> tuple[Fault, ...]:
        # One statement, so the version and the faults come from one snapshot.
        rows = conn.execute(
            """SELECT v.version, f.doc, f.remaining FROM fault_version AS v
            LEFT JOIN faults AS f ON f.remaining IS NULL OR f.remaining > 0
            ORDER BY f.seq"""
        ).fetchall()
        version = rows[0][0]
        active = tuple(_fault(doc, remaining) for _, doc, remaining in rows if doc is not None)
        self._cache = (version, active)
        return active


def _fault(doc: str, remaining: int | None) -> Fault:
    return replace(Fault.from_json(json.loads(doc)), count=remaining)
