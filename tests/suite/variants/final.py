"""final broken: a discard that does not last."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from discard_contract import rules
from mock_server.domain import ConditionalUpdate, Instance
from mock_server.storage.memory import MemoryInstanceStore

from .bug import Bug
from .serving import (
    with_store,
)

UNDONE_AFTER_SECONDS = 1.0
LATE_UNDO_SECONDS = 12.0  # later than any re-check inside a test: only the census's settle time covers it


class ForgetfulStore(MemoryInstanceStore):
    """Answers a discard with 200, then loses the write a second later (a write to a cache
    that never reached the database): the instance is pending approval again.

    The loss is applied when the store is next used, not by a timer, so it happens
    exactly when a request comes a second or more after the discard, however loaded
    the machine.
    """

    undone_after = UNDONE_AFTER_SECONDS

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        super().__init__(instances)
        self._to_forget: dict[str, tuple[float, ConditionalUpdate]] = {}
        self._forget_lock = threading.Lock()

    def _forget_old_writes(self) -> None:
        now = time.monotonic()
        with self._forget_lock:
            due = [undo for when, undo in self._to_forget.values() if now - when >= self.undone_after]
            for undo in due:
                del self._to_forget[undo.workflow_instance_id]
        for undo in due:
            super().update_if(undo)

    def get(self, workflow_instance_id: str) -> Instance | None:
        self._forget_old_writes()
        return super().get(workflow_instance_id)

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        self._forget_old_writes()
        before = super().get(update.workflow_instance_id)
        current, applied = super().update_if(update)
        if applied and before is not None:
            restore = {name: getattr(before, name) for name in update.assign}
            with self._forget_lock:
                self._to_forget[update.workflow_instance_id] = (
                    time.monotonic(),
                    ConditionalUpdate(update.workflow_instance_id, dict(update.assign), restore),
                )
        return current, applied


class LateForgetfulStore(ForgetfulStore):
    """The same loss, 12 s after the discard (a replica that catches up with an old snapshot)."""

    undone_after = LATE_UNDO_SECONDS


discard_undone_later = with_store(ForgetfulStore)
discard_undone_12_seconds_later = with_store(LateForgetfulStore)


BUGS = {
    "discard undone a second later": Bug(
        discard_undone_later,
        ("census",),
        rules.FINAL,
        also_run=("test_a_discard_answers_for_exactly_that_instance",),
        options=(f"--contract-settle-seconds={UNDONE_AFTER_SECONDS + 0.5:g}",),
    ),
    "discard undone 12 s later": Bug(
        discard_undone_12_seconds_later,
        ("census",),
        rules.FINAL,
        also_run=("test_a_discard_answers_for_exactly_that_instance",),
        options=(f"--contract-settle-seconds={LATE_UNDO_SECONDS + 1:g}",),
    ),
}
