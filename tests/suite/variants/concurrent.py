"""concurrent broken: check, then write, with a window between."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import suppress

from discard_contract import rules
from mock_server.domain import ConditionalUpdate, Instance
from mock_server.storage.memory import MemoryInstanceStore

from .bug import Bug
from .serving import (
    unconditionally,
    with_store,
)

RACE_WINDOW_SECONDS = 0.002


class RoundTrip:
    """The gap a round trip to a database leaves between a read and a write, as a window.

    A barrier with a 2 ms timeout, not a sleep: it closes as soon as a second caller is
    there, and it is only open as long as a real round trip would be.
    """

    def __init__(self) -> None:
        self._rendezvous = threading.Barrier(2, timeout=RACE_WINDOW_SECONDS)

    def wait(self) -> None:
        with suppress(threading.BrokenBarrierError):
            self._rendezvous.wait()
        self._rendezvous.reset()


class RacyStore(MemoryInstanceStore):
    """Checks, then writes up to 2 ms later (a round trip to a database would do): a second
    discard that arrives inside that window also sees a pending instance, and both succeed.
    What it reads before the round trip and writes after it are its subclasses' to change."""

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        super().__init__(instances)
        self._round_trip = RoundTrip()

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current = self.get(update.workflow_instance_id)
        if current is None or not update.matches(current):
            return current, False
        read = self._read(current)
        self._round_trip.wait()
        return self._write(read, current, update), True

    def _read(self, current: Instance) -> list[Instance]:
        return [current]

    def _write(self, read: list[Instance], current: Instance, update: ConditionalUpdate) -> Instance | None:
        written, _ = super().update_if(unconditionally(update))
        return written


racy_discard = with_store(RacyStore)


BUGS = {
    "check-then-write window of 2 ms": Bug(
        racy_discard, ("test_parallel_discards_of_one_instance_succeed_exactly_once",), rules.CONCURRENT
    ),
}


class CampaignLockStore(MemoryInstanceStore):
    """Takes a lock per campaign without waiting for it: a discard that finds its campaign busy
    answers as if the instance were not pending (409), though it is."""

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        super().__init__(instances)
        self._busy: set[str] = set()
        self._guard = threading.Lock()

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current = self.get(update.workflow_instance_id)
        if current is None:
            return None, False
        with self._guard:
            if current.campaign_id in self._busy:
                return current, False
            self._busy.add(current.campaign_id)
        try:
            RoundTrip().wait()  # held as long as a database round trip
            return super().update_if(update)
        finally:
            with self._guard:
                self._busy.discard(current.campaign_id)


per_campaign_lock = with_store(CampaignLockStore)

BUGS["a per-campaign lock that refuses the second"] = Bug(
    per_campaign_lock, ("test_parallel_discards_of_different_instances_each_succeed",), rules.CONCURRENT
)
