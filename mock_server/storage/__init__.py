"""Where the mock keeps its state, chosen by one setting: `memory`, `sqlite:PATH`, or another engine.

An `Engine` turns the choice's location and the seeded instances into a
`Storage`; a new engine is one module and one line in `ENGINES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..domain import Instance
from .interfaces import (
    BucketStore,
    DuplicateInstance,
    FaultRegistry,
    InstanceStore,
    Storage,
    StoreOpenError,
    StoreUnavailable,
)
from .memory import MemoryBuckets, MemoryFaultRegistry, MemoryInstanceStore

__all__ = [
    "ENGINES",
    "MEMORY",
    "SQLITE_PREFIX",
    "BucketStore",
    "DuplicateInstance",
    "Engine",
    "FaultRegistry",
    "InstanceStore",
    "Storage",
    "StoreOpenError",
    "StoreUnavailable",
    "open_storage",
]

MEMORY = "memory"
SQLITE_PREFIX = "sqlite:"


@dataclass(frozen=True)
class Engine:
    prefix: str  # a choice that starts with it names this engine; the rest is its location
    form: str  # how a person writes the choice
    open: Callable[[str, Iterable[Instance]], Storage]  # (location, seeded instances) -> Storage


def _memory(_: str, seed: Iterable[Instance]) -> Storage:
    return Storage(MemoryInstanceStore(seed), MemoryFaultRegistry(), MemoryBuckets())


def _sqlite(path: str, seed: Iterable[Instance]) -> Storage:
    from .sqlite import open_sqlite  # sqlite3 is only loaded when chosen

    return open_sqlite(path, seed)


ENGINES: tuple[Engine, ...] = (
    Engine(MEMORY, MEMORY, _memory),
    Engine(SQLITE_PREFIX, f"{SQLITE_PREFIX}PATH", _sqlite),
)


def open_storage(choice: str | None, seed: Iterable[Instance]) -> Storage:
    """The engine `choice` names (default memory); StoreOpenError with the accepted forms otherwise."""
    choice = choice or MEMORY
    if choice == MEMORY:
        return _memory("", seed)
    for engine in ENGINES:
        if engine.prefix != MEMORY and choice.startswith(engine.prefix) and len(choice) > len(engine.prefix):
            return engine.open(choice[len(engine.prefix) :], seed)
    raise StoreOpenError(f"store {choice!r}: expected {' or '.join(e.form for e in ENGINES)} (e.g. sqlite:mock.db)")
