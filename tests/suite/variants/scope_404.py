"""scope-404 broken: the campaign in the path is not part of the lookup."""

from __future__ import annotations

from dataclasses import replace

from discard_contract import rules
from mock_server.domain import ConditionalUpdate, Instance
from mock_server.storage.memory import MemoryInstanceStore

from .bug import Bug
from .serving import (
    with_store,
)


class UnscopedStore(MemoryInstanceStore):
    """Finds the instance by its ID alone, ignoring the campaign in the path."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        unscoped = {k: v for k, v in update.expect.items() if k != "campaign_id"}
        return super().update_if(replace(update, expect=unscoped))


campaign_scope_ignored = with_store(UnscopedStore)


BUGS = {
    "campaign scope ignored": Bug(
        campaign_scope_ignored, ("test_an_instance_of_another_campaign_is_not_found",), rules.SCOPE_404
    ),
}
