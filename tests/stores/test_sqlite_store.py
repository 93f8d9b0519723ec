"""The SQLite store: the same answers as the memory store, kept across restarts and processes."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from discard_contract.spec import Spec
from mock_server import create_app
from mock_server.domain import Instance, NotPendingApproval
from mock_server.seed import load_seed
from mock_server.storage import DuplicateInstance, InstanceStore, StoreOpenError
from mock_server.storage.memory import MemoryInstanceStore
from mock_server.storage.sqlite import SqliteInstanceStore
from mock_server.storage.sqlite.db import SqliteDatabase

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    DOCS_INSTANCE,
    bearer,
    discard,
    discard_outcome,
    discard_path,
    discard_scopes,
    run_cli,
)

SEED = load_seed(None, Spec.load()).instances


def _sqlite(path: Path, seed: tuple[Instance, ...] = SEED) -> SqliteInstanceStore:
    return SqliteInstanceStore(SqliteDatabase(path), seed)


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], InstanceStore]:
    def make() -> InstanceStore:
        return MemoryInstanceStore(SEED) if request.param == "memory" else _sqlite(tmp_path / "store.db")

    return make


def test_the_sqlite_store_answers_every_discard_as_the_memory_store_does(tmp_path: Path) -> None:
    memory, sqlite = MemoryInstanceStore(SEED), _sqlite(tmp_path / "store.db")
    typed: InstanceStore = sqlite
    for scope in discard_scopes(SEED):
        assert discard_outcome(typed, *scope) == discard_outcome(memory, *scope), scope
    assert sqlite.instances() == memory.instances()


def test_a_new_file_is_seeded_in_the_data_files_order(make_store: Callable[[], InstanceStore]) -> None:
    assert make_store().instances() == list(SEED)


def test_get_add_and_duplicates(make_store: Callable[[], InstanceStore]) -> None:
    store = make_store()
    extra = replace(SEED[0], workflow_instance_id="d" * 24)
    store.add(extra)
    assert store.get("d" * 24) == extra
    assert store.get("e" * 24) is None
    with pytest.raises(DuplicateInstance):
        store.add(replace(extra, campaign_id="f" * 24))
    assert store.get("d" * 24) == extra


def test_replace_all_drops_everything_else(make_store: Callable[[], InstanceStore]) -> None:
    store = make_store()
    only = replace(SEED[0], workflow_instance_id="d" * 24)
    store.replace_all([only])
    assert store.instances() == [only]


def test_a_reopened_file_keeps_discards_and_additions_and_is_not_reseeded(tmp_path: Path) -> None:
    first = _sqlite(tmp_path / "store.db")
    discarded = discard(first, ACME, ACME_CAMPAIGN, DOCS_INSTANCE)
    added = replace(SEED[0], workflow_instance_id="d" * 24)
    first.add(added)

    again = _sqlite(tmp_path / "store.db")
    assert again.get(DOCS_INSTANCE) == discarded
    assert again.get("d" * 24) == added
    assert len(again.instances()) == len(SEED) + 1


def test_a_file_emptied_by_a_reset_to_nothing_stays_empty(tmp_path: Path) -> None:
    _sqlite(tmp_path / "store.db").replace_all([])
    assert _sqlite(tmp_path / "store.db").instances() == []


def test_an_empty_file_is_seeded(tmp_path: Path) -> None:
    (tmp_path / "store.db").write_bytes(b"")
    assert _sqlite(tmp_path / "store.db").instances() == list(SEED)


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    _sqlite(tmp_path / "store.db")
    with sqlite3.connect(tmp_path / "store.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_file_that_is_not_this_mocks_store_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(StoreOpenError, match="not a discard-mock store"):
        SqliteDatabase(other)
    text = tmp_path / "data.json"
    text.write_text('{"apiKeys": []}\n' * 200)
    with pytest.raises(StoreOpenError, match=r"data\.json"):
        SqliteDatabase(text)


def test_serve_with_an_unusable_store_exits_2_and_says_why(tmp_path: Path) -> None:
    text = tmp_path / "data.json"
    text.write_text('{"apiKeys": []}\n' * 200)
    result = run_cli(["serve", "--port", "0", "--store", f"sqlite:{text}"], timeout=30)
    assert result.returncode == 2
    assert "data.json" in result.stderr
    result = run_cli(["serve", "--port", "0", "--store", "postgres://db"], timeout=30)
    assert result.returncode == 2
    assert "sqlite:PATH" in result.stderr


def _race(path: str, instance_ids: list[str], start: Any, results: Any) -> None:
    """In a separate process: try every discard, report the ones it won."""
    store = SqliteInstanceStore(SqliteDatabase(path))  # its own file handle and connection
    start.wait(10)
    won = []
    for instance_id in instance_ids:
        try:
            discard(store, ACME, ACME_CAMPAIGN, instance_id)
            won.append(instance_id)
        except NotPendingApproval:
            pass
    results.put(won)


def test_discards_racing_in_separate_processes_succeed_once_each(tmp_path: Path) -> None:
    ids = [f"{i:024x}" for i in range(1, 41)]
    seed = tuple(replace(SEED[0], workflow_instance_id=i) for i in ids)
    path = tmp_path / "store.db"
    _sqlite(path, seed)
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    racers = [context.Process(target=_race, args=(str(path), ids, start, results)) for _ in range(4)]
    try:
        for racer in racers:
            racer.start()
        start.set()
        wins = Counter(instance_id for _ in racers for instance_id in results.get(timeout=60))
    finally:
        for racer in racers:
            racer.join(timeout=10)
            if racer.is_alive():
                racer.kill()
    assert all(racer.exitcode == 0 for racer in racers)
    assert wins == Counter(ids)  # each instance exactly once, whichever process won it
    assert all(not i.has_pending_approval for i in _sqlite(path).instances())


def test_a_forked_child_opens_its_own_connection_and_leaves_the_parents_alone(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "store.db")
    store = SqliteInstanceStore(db, SEED)
    parent_connection = db.connection()
    pid = os.fork()
    if pid == 0:  # the child: must not touch the inherited connection
        code = 1
        try:
            child_connection = db.connection()
            discard(store, ACME, ACME_CAMPAIGN, DOCS_INSTANCE)
            code = 0 if child_connection is not parent_connection else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert db.connection() is parent_connection
    assert store.get(DOCS_INSTANCE).has_pending_approval is False  # type: ignore[union-attr]
    pending = next(i for i in SEED if i.has_pending_approval and i.workflow_instance_id != DOCS_INSTANCE)
    assert discard(store, pending.account_group_id, pending.campaign_id, pending.workflow_instance_id)


def test_the_app_on_a_sqlite_store_keeps_state_across_restarts_and_resets_to_the_seed(tmp_path: Path) -> None:
    config = {"STORE": f"sqlite:{tmp_path / 'mock.db'}"}
    first = create_app(config).test_client()
    assert first.post(discard_path(ACME, ACME_CAMPAIGN, DOCS_INSTANCE), headers=bearer()).status_code == 200
    created = first.post("/__mock/instances", json={"accountGroupId": ACME}).get_json()

    restarted = create_app(config).test_client()
    assert restarted.post(discard_path(ACME, ACME_CAMPAIGN, DOCS_INSTANCE), headers=bearer()).status_code == 409
    assert restarted.get(f"/__mock/instances/{created['workflowInstanceId']}").status_code == 200

    assert restarted.post("/__mock/reset").status_code == 200
    assert restarted.get(f"/__mock/instances/{created['workflowInstanceId']}").status_code == 404
    assert first.post(discard_path(ACME, ACME_CAMPAIGN, DOCS_INSTANCE), headers=bearer()).status_code == 200
