"""The in-memory engine: instances, faults and rate-limit buckets of one process, each behind a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from operator import attrgetter
from typing import Any

from ..domain import ConditionalUpdate, Instance, instance_of
from ..faults import Fault
from ..rate_limit import Bucket, RateLimit, take
from .interfaces import DuplicateInstance, FaultSnapshot, InstanceLimitReached, StaleFaults

MAX_MEMORY_BUCKETS = 10_000

_Stored = Instance | tuple[Any, ...]  # an Instance, or its fields as a plain tuple (see MemoryInstanceStore)


class MemoryInstanceStore:
    """Instances in a dict behind one lock: fast, and per process.

    What a write stores is a plain tuple of the instance's fields, not the Instance: the
    cyclic garbage collector stops tracking a tuple of strings the first time it sees one,
    while every Instance it keeps walking. Kept as Instances, 100,000 discarded instances
    made each full collection a pause of 20 ms, every second or so under load. The
    instances `replace_all` is given (the seed) are kept as they are: they are frozen out
    of the collector's sight when the server starts, and tuples of a million would cost
    another 100 MB.
    """

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, _Stored] = {}
        self._added = 0  # instances `add`ed since the last replace_all
        self.replace_all(instances)

    def get(self, workflow_instance_id: str) -> Instance | None:
        return _instance(self._by_id.get(workflow_instance_id))

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        """`update` on the stored tuple, by field position: no Instance built until the answer needs one.

        The same test and assignment as `update.matches` and `update.applied`, in this store's terms
        (as SQLite's is one UPDATE and Redis's one script); building and replacing dataclasses was
        a fifth of a discard's time.
        """
        wanted = update.workflow_instance_id
        with self._lock:
            stored = self._by_id.get(wanted)
            if stored is None:
                return None, False
            row = stored if type(stored) is tuple else _fields(stored)  # type: ignore[arg-type]
            if row[_ID] != wanted:
                return instance_of(*row), False
            for name, value in update.expect.items():
                if row[_POSITION[name]] != value:
                    return instance_of(*row), False
            changed = list(row)
            for name, value in update.assign.items():
                changed[_POSITION[name]] = value
            written = tuple(changed)
            self._by_id[wanted] = written
        return instance_of(*written), True

    def update_if_faults(self, update: ConditionalUpdate, faults: FaultSnapshot) -> tuple[Instance | None, bool]:
        """`update_if`: no other process shares this store's faults, so a snapshot of them is never outdated."""
        return self.update_if(update)

    def add(self, instance: Instance, limit: int | None = None) -> None:
        with self._lock:
            if limit is not None and self._added >= limit:
                raise InstanceLimitReached(limit)
            if instance.workflow_instance_id in self._by_id:
                raise DuplicateInstance(instance.workflow_instance_id)
            self._by_id[instance.workflow_instance_id] = _fields(instance)
            self._added += 1

    def instances(self) -> list[Instance]:
        with self._lock:
            stored = list(self._by_id.values())
        return [_instance(each) for each in stored]  # type: ignore[misc]  # none is None

    def replace_all(self, instances: Iterable[Instance]) -> None:
        fresh: dict[str, _Stored] = {instance.workflow_instance_id: instance for instance in instances}
        with self._lock:
            self._by_id = fresh
            self._added = 0


_fields: Callable[[Instance], tuple[Any, ...]] = attrgetter(*(field.name for field in fields(Instance)))
_POSITION = {field.name: index for index, field in enumerate(fields(Instance))}  # a field's place in the tuple
_ID = _POSITION["workflow_instance_id"]


def _instance(stored: _Stored | None) -> Instance | None:
    return instance_of(*stored) if type(stored) is tuple else stored  # type: ignore[return-value]


class MemoryFaultRegistry:
    """Faults of one process, behind a lock; the snapshot is rebuilt on change, so reading it is near free.

    The version counts the changes to the list that can fire (a fault added or removed, a count
    spent), as a shared store's does; `confirm` and `consume` compare it as theirs do.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._version = 0
        self._snapshot = FaultSnapshot(self._version, ())

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults[fault.id] = fault
            self._changed()

    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults.values())

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            found = self._faults.pop(fault_id, None) is not None
            self._changed()
            return found

    def clear(self) -> int:
        with self._lock:
            removed = len(self._faults)
            self._faults.clear()
            self._changed()
            return removed

    def snapshot(self) -> FaultSnapshot:
        return self._snapshot

    def reload(self) -> FaultSnapshot:
        return self._snapshot

    def confirm(self, faults: FaultSnapshot) -> None:
        if faults.version != self._snapshot.version:
            raise StaleFaults

    def consume(self, fault: Fault, faults: FaultSnapshot) -> FaultSnapshot | None:
        with self._lock:
            self.confirm(faults)
            current = self._faults.get(fault.id)
            if current is None or not current.count:
                return None
            self._faults[fault.id] = replace(current, count=current.count - 1)
            if current.count == 1:
                self._changed()  # spent: it leaves the list that can fire
            return self._snapshot

    def _changed(self) -> None:
        self._version += 1
        self._snapshot = FaultSnapshot(self._version, tuple(f for f in self._faults.values() if f.count != 0))


class MemoryBuckets:
    """Token buckets of one process; past MAX_MEMORY_BUCKETS keys, refilled ones are forgotten."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}

    def take(self, key: str, limit: RateLimit, now: float) -> float | None:
        with self._lock:
            bucket, wait = take(self._buckets.get(key), now, limit)
            if len(self._buckets) >= MAX_MEMORY_BUCKETS and key not in self._buckets:
                self._forget_full(limit, now)
            self._buckets[key] = bucket
            return wait

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _forget_full(self, limit: RateLimit, now: float) -> None:
        """Drops buckets that have refilled: forgetting them changes no answer."""
        refill_seconds = limit.burst / limit.per_second
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < refill_seconds}
