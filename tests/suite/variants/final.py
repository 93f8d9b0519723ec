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


class ForgetfulStore(MemoryInstanceStore):
    """Answers a discard with 200, then loses the write a second later (a write to a cache
    that never reached the database): the instance is pending approval again.

    The loss is applied when the store is next used, not by a timer, so it happens
    exactly when a request comes a second or more after the discard, however loaded
    the machine.
    """

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        super().__init__(instances)
        self._to_forget: dict[str, tuple[float, ConditionalUpdate]] = {}
        self._forget_lock = threading.Lock()

    def _forget_old_writes(self) -> None:
        now = time.monotonic()
        with self._forget_lock:
            due = [undo for when, undo in self._to_forget.values() if now - when >= UNDONE_AFTER_SECONDS]
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


discard_undone_later = with_store(ForgetfulStore)


BUGS = {
    "discard undone a second later": Bug(
        discard_undone_later,
        ("test_every_discard_is_still_final_at_the_end_of_the_run",),
        rules.FINAL,
        also_run=("test_a_discard_answers_for_exactly_that_instance",),
    ),
}
