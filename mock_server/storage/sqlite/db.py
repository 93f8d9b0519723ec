"""One SQLite file shared by every worker process: connections and transactions.

The server builds the app in its main process and then forks the workers. A
SQLite connection must never cross a fork, so connections are opened lazily,
one per thread of each process, and a connection inherited from a parent is
left alone (never used, never closed: closing it in the child could drop the
child's own POSIX locks on the file).

Writers take turns before SQLite sees them: a thread lock within a process,
then flock on a file beside the store (`PATH-writer.lock`) across processes.
A writer that finds the SQLite lock taken would otherwise sleep in SQLite's
busy handler (1, 2, 5 ... 100 ms, whatever the holder's speed), which under
load put p99 latency in the hundreds of milliseconds; a queued writer is
woken the moment the last one is done.

Durability: WAL with synchronous=NORMAL. A COMMIT returns once the transaction
is in the WAL file (written, not fsynced), so an answer sent after it survives
a killed process; only an operating-system crash or power loss could lose the
last commits, which a mock can afford.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..interfaces import StoreOpenError

BUSY_TIMEOUT_SECONDS = 10.0
SCHEMA_VERSION = 1
APPLICATION_ID = 0x44534D4B  # "DSMK": marks a file as this mock's store


class WriterQueue:
    """One writer at a time across the threads and processes of a store, each woken as soon as it is its turn.

    The lock file is opened once per process: an open file inherited across
    a fork shares its flock with the parent, so it would exclude nobody.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._guard = threading.Lock()
        self._pid: int | None = None
        self._fd = -1
        self._threads = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        fd, threads = self._for_this_process()
        with threads:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _for_this_process(self) -> tuple[int, threading.Lock]:
        if self._pid != os.getpid():
            with self._guard:
                if self._pid != os.getpid():
                    try:
                        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                    except OSError as exc:
                        raise StoreOpenError(f"{self.path}: cannot open the writers' lock file: {exc}") from exc
                    self._threads = threading.Lock()
                    self._pid = os.getpid()
        return self._fd, self._threads


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
        self._writers = WriterQueue(self.path.with_name(self.path.name + "-writer.lock"))

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use in this process."""
        local = self._local
        if getattr(local, "pid", None) == os.getpid():
            connection: sqlite3.Connection = local.connection
            return connection
        return self._open_for_this_thread()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the write lock from its first statement.

        BEGIN IMMEDIATE waits for other writers up front (busy timeout), so a
        read inside the transaction can never be overtaken by another process's
        commit before this one writes.
        """
        conn = self.connection()
        with self._writers.turn():
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
