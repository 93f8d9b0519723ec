"""The in-memory store (mock_server/storage/memory.py): lookups, the atomic discard, adds and resets."""

from __future__ import annotations

import gc
import threading
from dataclasses import replace

import pytest

from mock_server.domain import Instance, NotFound, NotPendingApproval
from mock_server.storage import DuplicateInstance, InstanceStore
from mock_server.storage.memory import MemoryInstanceStore

from ..support.helpers import discard

GROUP = "acme-retail"
CAMPAIGN = "507f191e810c19729de860ea"


def make(instance_id: str, *, pending: bool = True, campaign: str = CAMPAIGN, group: str = GROUP) -> Instance:
    return Instance(
        workflow_instance_id=instance_id,
        account_group_id=group,
        campaign_id=campaign,
        lead_id="lead-" + instance_id,
        workflow_status="pending" if pending else "waiting",
        latest_step="awaiting_approval" if pending else "wait_3_days",
        workflow_stop_reason=None,
        has_pending_approval=pending,
    )


A, B, C = "a" * 24, "b" * 24, "c" * 24


@pytest.fixture
def store() -> MemoryInstanceStore:
    return MemoryInstanceStore([make(A), make(B), make(C, pending=False)])


def test_the_memory_store_satisfies_the_store_interface(store: MemoryInstanceStore) -> None:
    typed: InstanceStore = store
    assert {i.workflow_instance_id for i in typed.instances()} == {A, B, C}


def test_get_returns_the_instance_or_none(store: MemoryInstanceStore) -> None:
    assert store.get(A) == make(A)
    assert store.get("0" * 24) is None


def test_discard_writes_the_discarded_instance(store: MemoryInstanceStore) -> None:
    returned = discard(store, GROUP, CAMPAIGN, A)
    assert returned.workflow_status == "stopped"
    assert returned.has_pending_approval is False
    assert store.get(A) == returned


def test_discard_leaves_every_other_instance_alone(store: MemoryInstanceStore) -> None:
    discard(store, GROUP, CAMPAIGN, A)
    assert store.get(B) == make(B)
    assert store.get(C) == make(C, pending=False)


def test_a_second_discard_is_refused_and_changes_nothing(store: MemoryInstanceStore) -> None:
    first = discard(store, GROUP, CAMPAIGN, A)
    with pytest.raises(NotPendingApproval):
        discard(store, GROUP, CAMPAIGN, A)
    assert store.get(A) == first


def test_discard_of_an_instance_not_pending_changes_nothing(store: MemoryInstanceStore) -> None:
    with pytest.raises(NotPendingApproval):
        discard(store, GROUP, CAMPAIGN, C)
    assert store.get(C) == make(C, pending=False)


@pytest.mark.parametrize(
    ("group", "campaign", "instance_id"),
    [("globex-media", CAMPAIGN, A), (GROUP, "f" * 24, A), (GROUP, CAMPAIGN, "0" * 24)],
)
def test_discard_out_of_scope_is_not_found_and_changes_nothing(
    store: MemoryInstanceStore, group: str, campaign: str, instance_id: str
) -> None:
    before = sorted(store.instances(), key=lambda i: i.workflow_instance_id)
    with pytest.raises(NotFound):
        discard(store, group, campaign, instance_id)
    assert sorted(store.instances(), key=lambda i: i.workflow_instance_id) == before


def test_add_stores_a_new_instance(store: MemoryInstanceStore) -> None:
    store.add(make("d" * 24))
    assert store.get("d" * 24) == make("d" * 24)


def test_add_refuses_a_duplicate_id_and_keeps_the_original(store: MemoryInstanceStore) -> None:
    with pytest.raises(DuplicateInstance):
        store.add(replace(make(A), campaign_id="f" * 24))
    assert store.get(A) == make(A)


def test_instances_returns_a_copy(store: MemoryInstanceStore) -> None:
    listed = store.instances()
    listed.clear()
    assert len(store.instances()) == 3


def test_replace_all_drops_everything_else(store: MemoryInstanceStore) -> None:
    store.replace_all([make("d" * 24)])
    assert [i.workflow_instance_id for i in store.instances()] == ["d" * 24]
    assert store.get(A) is None


def test_parallel_discards_of_one_instance_succeed_exactly_once(store: MemoryInstanceStore) -> None:
    """The pending check and the write are one step: 32 racing threads, one winner."""
    threads = 32
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race() -> None:
        barrier.wait()
        try:
            discard(store, GROUP, CAMPAIGN, A)
            outcome = "ok"
        except NotPendingApproval:
            outcome = "refused"
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=race) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * (threads - 1)
    assert store.get(A).has_pending_approval is False  # type: ignore[union-attr]


def test_written_instances_add_nothing_to_the_garbage_collectors_walk() -> None:
    """A long run discards and adds many instances; none may lengthen every full collection (a server pause)."""
    count = 2000
    store = MemoryInstanceStore([make(f"{i:024x}") for i in range(count)])
    gc.collect()
    tracked_before = len(gc.get_objects())
    for i in range(count):
        discard(store, GROUP, CAMPAIGN, f"{i:024x}")
        store.add(make(f"{count + i:024x}"))
    gc.collect()
    assert len(gc.get_objects()) - tracked_before < count // 10
    assert store.get(f"{0:024x}").workflow_status == "stopped"  # type: ignore[union-attr]
    assert store.get(f"{count:024x}") == make(f"{count:024x}")
