"""What the mock needs from storage, whatever the engine: instances, faults, rate-limit buckets.

Every engine (memory, SQLite, Redis) implements these three, and nothing
here knows the rules: the discard rule is `domain.discard_update`, and a
store only applies a `ConditionalUpdate` in one atomic step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..domain import ConditionalUpdate, Instance
from ..faults import Fault
from ..rate_limit import RateLimit


class StoreOpenError(Exception):
    """The store cannot be used at start-up; the message says which and why."""


class StoreUnavailable(Exception):
    """The store could not be reached for this request (a network store that is down); answered with 503.

    `may_have_applied`: the store failed after a write was sent, before its reply came (a reply
    lost with the connection): the write may have been applied, so its client must check before
    retrying. False when nothing was sent, or the store refused it.
    """

    def __init__(self, message: str, *, may_have_applied: bool = False) -> None:
        super().__init__(message)
        self.may_have_applied = may_have_applied


class DuplicateInstance(Exception):
    """An instance with that workflowInstanceId exists already."""


class InstanceLimitReached(Exception):
    """The store holds as many created instances as the limit allows (seeded ones do not count) until a reset."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} created instances")
        self.limit = limit


class InstanceStore(Protocol):
    def get(self, workflow_instance_id: str) -> Instance | None: ...

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        """Applies `update` when the instance matches its expectations, as one atomic step.

        Returns (the instance after the update, True), or (the instance as it is,
        or None when there is none, False). The match and the write must not
        interleave with another caller's, so parallel discards of one instance
        give exactly one success whatever the engine and the number of processes.
        """
        ...

    def add(self, instance: Instance, limit: int | None = None) -> None:
        """Stores a new instance; raises DuplicateInstance, or InstanceLimitReached.

        The store counts the instances added since it was last seeded or `replace_all`ed, with the
        instances themselves (shared by every process that shares them, kept as long as they are),
        and refuses one past `limit`, in the same atomic step as the addition.
        """
        ...

    def instances(self) -> list[Instance]: ...

    def replace_all(self, instances: Iterable[Instance]) -> None:
        """Drops every instance and stores these (reset to seeded data); the count of added ones starts again."""
        ...


class FaultRegistry(Protocol):
    def add(self, fault: Fault) -> None: ...

    def faults(self) -> list[Fault]:
        """Every fault, in the order added, with the hits each has left."""
        ...

    def remove(self, fault_id: str) -> bool:
        """False when there was no such fault."""
        ...

    def clear(self) -> int:
        """Removes every fault; how many there were."""
        ...

    def active(self) -> Sequence[Fault]:
        """The faults that may still fire; cheap, it runs on every request."""
        ...

    def consume(self, fault: Fault) -> bool:
        """Takes one hit off a counted fault, atomically; False when none was left."""
        ...


class BucketStore(Protocol):
    def take(self, key: str, limit: RateLimit, now: float) -> float | None:
        """Takes a token from `key`'s bucket atomically; None, or the seconds to wait."""
        ...

    def clear(self) -> None: ...


@dataclass
class Storage:
    """One engine's three stores, always side by side: a store shared by several processes shares all three."""

    instances: InstanceStore
    faults: FaultRegistry
    buckets: BucketStore
    release: Callable[[], None] = lambda: None  # closes what start-up opened, before worker processes fork
    shared: bool = False  # several processes (and hosts) may serve from it
    health: Callable[[], str | None] = lambda: None  # why the store cannot serve now, or None
    about: Mapping[str, str] = field(default_factory=lambda: {"kind": "memory"})  # what GET /__mock/health names
