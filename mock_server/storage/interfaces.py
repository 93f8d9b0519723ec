"""What the mock needs from storage, whatever the engine: instances, faults, rate-limit buckets.

Every engine (memory, SQLite, Redis) implements these three, and nothing
here knows the rules: the discard rule is `domain.discard_update`, and a
store only applies a `ConditionalUpdate` in one atomic step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


class StaleFaults(Exception):
    """The fault list changed since this process cached it: nothing was written or spent.

    Raised by a store's check of a `FaultSnapshot` (`FaultRegistry.confirm`, `consume`,
    `InstanceStore.update_if_faults`); the endpoint reloads the list and runs its checks again,
    which is safe because nothing changed.
    """


@dataclass(frozen=True, slots=True)
class FaultSnapshot:
    """The faults that may still fire, and the version of the list they were read at.

    `version` means something only to the store that gave it (a counter, a token); a store
    compares it with its current one to tell whether decisions taken from `active` still hold.
    """

    version: object
    active: tuple[Fault, ...]

    def spent(self, fault: Fault, version: object) -> FaultSnapshot:
        """The list after `fault`'s last hit, which the store gave `version` in the same step as the hit."""
        return FaultSnapshot(version, tuple(each for each in self.active if each.id != fault.id))


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

    def update_if_faults(self, update: ConditionalUpdate, faults: FaultSnapshot) -> tuple[Instance | None, bool]:
        """`update_if`, in the same atomic step as a check that the fault list is still at `faults.version`.

        Raises StaleFaults, having changed nothing, when it is not: the request's fault decisions
        were taken from an outdated list. A store no other process shares may skip the check
        (its registry's snapshot is never outdated).
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

    def snapshot(self) -> FaultSnapshot:
        """The faults that may still fire, as this process last read them: no round trip to a shared store.

        It runs on every request; the store's write (`update_if_faults`) or `confirm` catches a
        snapshot that went out of date.
        """
        ...

    def reload(self) -> FaultSnapshot:
        """The faults that may still fire, read now (and cached for `snapshot`)."""
        ...

    def confirm(self, faults: FaultSnapshot) -> None:
        """StaleFaults unless the list is still at `faults.version` (one round trip to a shared store)."""
        ...

    def consume(self, fault: Fault, faults: FaultSnapshot) -> FaultSnapshot | None:
        """Takes one hit off a counted fault, atomically, if the list is still at `faults.version`.

        The list after the hit: `faults` itself, unless that was the last hit, which takes the
        fault off the list under a new version (so every process drops it, and the request that
        took it goes on at the new version). None when no hit was left; StaleFaults (nothing
        spent) when the list had changed.
        """
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
    # Its calls wait on the network by suspending when run as loop calls (loop_calls.py), so the
    # server may run the endpoint's calls on its event loop; a store that waits and cannot, never does.
    suspends: bool = False
    about: Mapping[str, str] = field(default_factory=lambda: {"kind": "memory"})  # what GET /__mock/health names
