"""One SQLite file shared by every worker process: connections and transactions.

gunicorn builds the app in its master process and then forks the workers. A
SQLite connection must never cross a fork, so connections are opened lazily,
one per thread of each process, and a connection inherited from a parent is
left alone (never used, never closed: closing it in the child could drop the
child's own POSIX locks on the file).

Durability: WAL with synchronous=NORMAL. A COMMIT returns once the transaction
is in the WAL file (written, not fsynced), so an answer sent after it survives
a killed process; only an operating-system crash or power loss could lose the
last commits, which a mock can afford.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 10.0
SCHEMA_VERSION = 1
APPLICATION_ID = 0x44534D4B  # "DSMK": marks a file as this mock's store


class StoreOpenError(Exception):
    """The store file cannot be used; the message says which file and why."""


class SqliteDatabase:
    """Per-process, per-thread connections to one SQLite file, in WAL mode."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._connections: list[sqlite3.Connection] = []
        self._inherited: list[sqlite3.Connection] = []  # kept alive, see the module docstring
        self._prepare_file()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use in this process."""
        local = self._local
        if getattr(local, "pid", None) == os.getpid():
            return local.connection
        return self._open_for_this_thread()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the write lock from its first statement.

        BEGIN IMMEDIATE waits for other writers up front (busy timeout), so a
        read inside the transaction can never be overtaken by another process's
        commit before this one writes.
        """
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Closes this process's connections; later calls open new ones."""
        with self._lock:
            self._forget_parent_connections()
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def _open_for_this_thread(self) -> sqlite3.Connection:
        conn = self._connect()
        with self._lock:
            self._forget_parent_connections()
            self._connections.append(conn)
        self._local.pid = os.getpid()
        self._local.connection = conn
        return conn

    def _forget_parent_connections(self) -> None:
        if self._pid != os.getpid():
            self._inherited += self._connections
            self._connections = []
            self._pid = os.getpid()

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; `write` begins them.
        # check_same_thread=False only so that `close` may run on any thread;
        # each connection is still used by the one thread that opened it.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _prepare_file(self) -> None:
        """Turns WAL on and checks that the file is this mock's store (or new)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise StoreOpenError(f"{self.path}: cannot open the SQLite store: {exc}") from exc
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise StoreOpenError(f"{self.path}: SQLite refused WAL mode (got {mode!r}); use a local file system")
            conn.execute("BEGIN IMMEDIATE")
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if tables == 0:
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            elif application_id != APPLICATION_ID or version != SCHEMA_VERSION:
                conn.execute("ROLLBACK")
                raise StoreOpenError(
                    f"{self.path}: not a discard-mock store (schema version {SCHEMA_VERSION}); "
                    "name a new file or one this mock created"
                )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreOpenError(f"{self.path}: cannot use the SQLite store: {exc}") from exc
        finally:
            conn.close()
