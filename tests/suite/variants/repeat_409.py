"""repeat-409 broken: a repeat discard answers 200 again."""

from __future__ import annotations

from discard_contract import rules
from mock_server.domain import ConditionalUpdate, Instance
from mock_server.storage.memory import MemoryInstanceStore

from .bug import Bug
from .serving import (
    PENDING_IGNORED,
    with_store,
)


class IdempotentStore(MemoryInstanceStore):
    """A repeat discard answers 200 again instead of 409."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current, applied = super().update_if(update)
        in_scope = ConditionalUpdate(update.workflow_instance_id, {**update.expect, **PENDING_IGNORED}, {})
        return current, applied or in_scope.matches(current)


idempotent_discard = with_store(IdempotentStore)


class DeletingStore(MemoryInstanceStore):
    """A discard deletes the instance's record: a repeat finds nothing (404) instead of a stopped instance (409)."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current, applied = super().update_if(update)
        if applied:
            self.replace_all(i for i in self.instances() if i.workflow_instance_id != update.workflow_instance_id)
        return current, applied


BUGS = {
    "idempotent discard": Bug(idempotent_discard, ("test_a_repeated_discard_is_a_conflict",), rules.REPEAT_409),
    "the record deleted on discard": Bug(
        with_store(DeletingStore), ("test_a_repeated_discard_is_a_conflict",), rules.REPEAT_409
    ),
}
