"""Where the mock keeps its state, chosen by one setting: `memory`, `sqlite:PATH`, `redis://…`, or another engine.

An `Engine` turns the choice's location and the seeded instances into a
`Storage`; a new engine is one module and one line in `ENGINES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..domain import Instance
from .interfaces import (
    BucketStore,
    DuplicateInstance,
    FaultRegistry,
    InstanceLimitReached,
    InstanceStore,
    Storage,
    StoreOpenError,
    StoreUnavailable,
)
from .memory import MemoryBuckets, MemoryFaultRegistry, MemoryInstanceStore

__all__ = [
    "ENGINES",
    "MEMORY",
    "REDIS_SCHEMES",
    "SQLITE_PREFIX",
    "BucketStore",
    "DuplicateInstance",
    "Engine",
    "FaultRegistry",
    "InstanceLimitReached",
    "InstanceStore",
    "Storage",
    "StoreOpenError",
    "StoreUnavailable",
    "open_storage",
]

MEMORY = "memory"
SQLITE_PREFIX = "sqlite:"
REDIS_SCHEMES = ("redis://", "rediss://")


@dataclass(frozen=True)
class Engine:
    prefix: str  # a choice that starts with it names this engine; the rest is its location
    form: str  # how a person writes the choice
    # (location, seeded instances, the app's settings: an engine reads its own, e.g. REDIS_PREFIX) -> Storage
    open: Callable[[str, Iterable[Instance], Mapping[str, Any]], Storage]


def _memory(_: str, seed: Iterable[Instance], settings: Mapping[str, Any]) -> Storage:
    return Storage(MemoryInstanceStore(seed), MemoryFaultRegistry(), MemoryBuckets())


def _sqlite(path: str, seed: Iterable[Instance], settings: Mapping[str, Any]) -> Storage:
    from .sqlite import open_sqlite  # sqlite3 is only loaded when chosen

    return open_sqlite(path, seed)


def _redis(scheme: str) -> Callable[[str, Iterable[Instance], Mapping[str, Any]], Storage]:
    def open_redis_url(location: str, seed: Iterable[Instance], settings: Mapping[str, Any]) -> Storage:
        from .redis import open_redis  # redis-py is only loaded when chosen

        return open_redis(scheme + location, settings.get("REDIS_PREFIX"), seed)

    return open_redis_url


ENGINES: tuple[Engine, ...] = (
    Engine(MEMORY, MEMORY, _memory),
    Engine(SQLITE_PREFIX, f"{SQLITE_PREFIX}PATH", _sqlite),
    *(Engine(scheme, f"{scheme}HOST:PORT/DB", _redis(scheme)) for scheme in REDIS_SCHEMES),
)


def open_storage(choice: str | None, seed: Iterable[Instance], settings: Mapping[str, Any] | None = None) -> Storage:
    """The engine `choice` names (default memory); StoreOpenError with the accepted forms otherwise."""
    choice = choice or MEMORY
    settings = settings or {}
    if choice == MEMORY:
        return _memory("", seed, settings)
    for engine in ENGINES:
        if engine.prefix != MEMORY and choice.startswith(engine.prefix) and len(choice) > len(engine.prefix):
            return engine.open(choice[len(engine.prefix) :], seed, settings)
    raise StoreOpenError(
        f"store {choice!r}: expected {' or '.join(e.form for e in ENGINES)} "
        "(e.g. sqlite:mock.db, redis://127.0.0.1:6379/0, rediss://:PASSWORD@HOST:PORT/DB)"
    )
