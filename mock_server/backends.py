"""The mock's state behind one choice: `memory` (one process) or `sqlite:PATH` (shared).

Instances, faults and rate-limit buckets always live side by side, so a store
shared by several worker processes shares all three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .domain import Instance
from .fault_registry import FaultRegistry, MemoryFaultRegistry, SqliteFaultRegistry
from .rate_buckets import BucketStore, MemoryBuckets, SqliteBuckets
from .sqlite_db import SqliteDatabase, StoreOpenError
from .sqlite_store import SqliteInstanceStore
from .store import InstanceStore, MemoryInstanceStore

MEMORY = "memory"
SQLITE_PREFIX = "sqlite:"


@dataclass
class Backend:
    store: InstanceStore
    faults: FaultRegistry
    buckets: BucketStore
    release: Callable[[], None]  # closes what start-up opened, before gunicorn forks


def open_backend(choice: str | None, seed: Iterable[Instance]) -> Backend:
    """`memory` (the default) or `sqlite:PATH`; StoreOpenError for anything else."""
    choice = choice or MEMORY
    if choice == MEMORY:
        return Backend(MemoryInstanceStore(seed), MemoryFaultRegistry(), MemoryBuckets(), lambda: None)
    if choice.startswith(SQLITE_PREFIX) and choice[len(SQLITE_PREFIX) :]:
        db = SqliteDatabase(choice[len(SQLITE_PREFIX) :])
        return Backend(SqliteInstanceStore(db, seed), SqliteFaultRegistry(db), SqliteBuckets(db), db.close)
    raise StoreOpenError(f"store {choice!r}: expected {MEMORY!r} or '{SQLITE_PREFIX}PATH' (e.g. sqlite:mock.db)")
