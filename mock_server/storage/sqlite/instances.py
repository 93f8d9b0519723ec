"""Instances in a SQLite file: durable, and shared by every worker process.

A ConditionalUpdate (the discard) is one UPDATE whose WHERE clause is the
update's expectations: the check and the write are a single statement, so
parallel discards from any number of processes give exactly one success. Only
when it changes no row does a SELECT, in the same transaction, return the
instance as it is, for the rule to say why.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import astuple, fields

from ...domain import ConditionalUpdate, Instance
from ..interfaces import DuplicateInstance, FaultSnapshot, InstanceLimitReached
from .db import SqliteDatabase
from .faults import check_version

COLUMNS = tuple(field.name for field in fields(Instance))
_SELECT = ", ".join(COLUMNS)
_PLACEHOLDERS = ", ".join("?" * len(COLUMNS))

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    workflow_instance_id TEXT PRIMARY KEY,
    account_group_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    workflow_status TEXT NOT NULL,
    latest_step TEXT NOT NULL,
    workflow_stop_reason TEXT,
    has_pending_approval INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS store_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SqliteInstanceStore:
    """The InstanceStore protocol over a SQLite file.

    The file is seeded with `seed` when it holds no instances yet and has never
    been seeded, so a restart keeps every discard while a new file starts from
    the data file, as the in-memory store does.
    """

    def __init__(self, db: SqliteDatabase, seed: Iterable[Instance] = ()) -> None:
        self._db = db
        with db.write() as conn:
            _create_schema(conn)
            seeded = conn.execute("SELECT 1 FROM store_meta WHERE name = 'seeded'").fetchone()
            if seeded is None:
                _insert(conn, seed)
                conn.execute("INSERT INTO store_meta (name, value) VALUES ('seeded', '1')")

    def get(self, workflow_instance_id: str) -> Instance | None:
        rows = (
            self._db.connection()
            .execute(f"SELECT {_SELECT} FROM instances WHERE workflow_instance_id = ?", (workflow_instance_id,))
            .fetchall()
        )
        return _instance(rows[0]) if rows else None

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        return self._write(update, None)

    def update_if_faults(self, update: ConditionalUpdate, faults: FaultSnapshot) -> tuple[Instance | None, bool]:
        """The same UPDATE, in a transaction that first checks the fault list's version (else StaleFaults)."""
        return self._write(update, faults)

    def _write(self, update: ConditionalUpdate, faults: FaultSnapshot | None) -> tuple[Instance | None, bool]:
        # Column names come from Instance's fields (ConditionalUpdate refuses any other), never from input.
        assignments = ", ".join(f"{name} = ?" for name in update.assign)
        conditions = "".join(f" AND {name} = ?" for name in update.expect)
        statement = f"UPDATE instances SET {assignments} WHERE workflow_instance_id = ?{conditions} RETURNING {_SELECT}"
        with self._db.write() as conn:
            if faults is not None:
                check_version(conn, faults)
            rows = conn.execute(
                statement, (*update.assign.values(), update.workflow_instance_id, *update.expect.values())
            ).fetchall()
            if rows:
                return _instance(rows[0]), True
            found = conn.execute(
                f"SELECT {_SELECT} FROM instances WHERE workflow_instance_id = ?", (update.workflow_instance_id,)
            ).fetchall()
        return (_instance(found[0]) if found else None), False

    def add(self, instance: Instance, limit: int | None = None) -> None:
        """The limit's count is a row beside the instances, read and raised in the insert's transaction."""
        try:
            with self._db.write() as conn:
                added = _added(conn)
                if limit is not None and added >= limit:
                    raise InstanceLimitReached(limit)
                _insert(conn, [instance])
                _set_added(conn, added + 1)
        except sqlite3.IntegrityError:
            raise DuplicateInstance(instance.workflow_instance_id) from None

    def instances(self) -> list[Instance]:
        rows = self._db.connection().execute(f"SELECT {_SELECT} FROM instances ORDER BY rowid").fetchall()
        return [_instance(row) for row in rows]

    def replace_all(self, instances: Iterable[Instance]) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM instances")
            _insert(conn, instances)
            _set_added(conn, 0)


def _create_schema(conn: sqlite3.Connection) -> None:
    # executescript would commit the open transaction; run the statements one by one.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _added(conn: sqlite3.Connection) -> int:
    """Instances added since the file was seeded or reset (none recorded: a file from before the count)."""
    row = conn.execute("SELECT value FROM store_meta WHERE name = 'added'").fetchone()
    return int(row[0]) if row else 0


def _set_added(conn: sqlite3.Connection, count: int) -> None:
    conn.execute("INSERT OR REPLACE INTO store_meta (name, value) VALUES ('added', ?)", (str(count),))


def _insert(conn: sqlite3.Connection, instances: Iterable[Instance]) -> None:
    conn.executemany(f"INSERT INTO instances ({_SELECT}) VALUES ({_PLACEHOLDERS})", map(astuple, instances))


def _instance(row: Sequence[object]) -> Instance:
    values = dict(zip(COLUMNS, row, strict=True))
    values["has_pending_approval"] = bool(values["has_pending_approval"])
    return Instance(**values)  # type: ignore[arg-type]
