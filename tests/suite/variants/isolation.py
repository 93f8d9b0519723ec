"""isolation broken: a request changes an instance its path does not name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from discard_contract import rules
from mock_server.domain import ConditionalUpdate, Instance
from mock_server.storage.memory import MemoryInstanceStore

from .bug import Bug
from .concurrent import RacyStore
from .serving import with_store


class LimitTwoStore(MemoryInstanceStore):
    """A discard updates its instance and the one created right after it (an UPDATE ... LIMIT 2 over
    the creation order): the next instance's gate closes, unasked, and nothing says so."""

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        self._order: list[str] = []
        super().__init__(instances)

    def add(self, instance: Instance, limit: int | None = None) -> None:
        super().add(instance, limit)
        self._order.append(instance.workflow_instance_id)

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current, applied = super().update_if(update)
        if applied and update.workflow_instance_id in self._order:
            at = self._order.index(update.workflow_instance_id)
            for neighbour in self._order[at + 1 : at + 2]:
                super().update_if(ConditionalUpdate(neighbour, {}, dict(update.assign)))
        return current, applied


class CampaignDocumentStore(RacyStore):
    """Keeps a campaign as one document: a discard reads the whole campaign, changes its instance, and
    writes the whole campaign back. Two discards of different instances of one campaign that overlap
    both answer 200, and the second write puts the first instance back as it was."""

    def _read(self, current: Instance) -> list[Instance]:
        return [i for i in self.instances() if i.campaign_id == current.campaign_id]

    def _write(self, read: list[Instance], current: Instance, update: ConditionalUpdate) -> Instance | None:
        written = update.applied(current)
        for instance in read:  # the document, written back whole
            document = written if instance.workflow_instance_id == written.workflow_instance_id else instance
            MemoryInstanceStore.update_if(
                self, ConditionalUpdate(document.workflow_instance_id, {}, _fields_of(document))
            )
        return written


def _fields_of(instance: Instance) -> dict[str, object]:
    return {f.name: getattr(instance, f.name) for f in fields(instance) if f.name != "workflow_instance_id"}


BUGS = {
    "a discard also closes the next instance's gate": Bug(
        with_store(LimitTwoStore),
        ("census",),
        rules.ISOLATION,
        also_run=("test_a_query_never_changes_which_instance_is_addressed",),
    ),
    "a campaign document rewritten whole loses one of two discards": Bug(
        with_store(CampaignDocumentStore),
        ("census",),
        rules.FINAL,
        also_run=("test_parallel_discards_of_different_instances_each_succeed",),
    ),
}
