"""Several worker processes on one SQLite store (`serve --workers N --store sqlite:PATH`)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..support.helpers import run_cli
from ..support.served import instance_doc, served, write_data_file

WORKERS = 4
PENDING = 50
ATTEMPTS_PER_INSTANCE = 4


def test_parallel_discards_on_four_workers_give_exactly_one_success_per_instance(tmp_path: Path) -> None:
    pending = [instance_doc(i) for i in range(PENDING)]
    data = write_data_file(tmp_path / "data.json", pending)
    store = f"sqlite:{tmp_path / 'mock.db'}"
    with served("--quiet", "--workers", str(WORKERS), "--store", store, "--data", str(data)) as mock:
        targets = [doc for doc in pending for _ in range(ATTEMPTS_PER_INSTANCE)]
        start = threading.Barrier(len(targets))  # one thread per request, all released at once

        def discard(doc: dict[str, str]) -> tuple[str, int]:
            start.wait(timeout=30)
            status, _, _ = mock.discard(doc)
            return doc["workflowInstanceId"], status

        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            answers = list(pool.map(discard, targets))

        assert len(mock.worker_pids()) == WORKERS  # real processes, not threads
        statuses = Counter(status for _, status in answers)
        assert statuses == {200: PENDING, 409: PENDING * (ATTEMPTS_PER_INSTANCE - 1)}, statuses
        successes = Counter(instance_id for instance_id, status in answers if status == 200)
        assert set(successes.values()) == {1} and len(successes) == PENDING

        stored = mock.instances()
        for doc in pending:
            instance = stored[doc["workflowInstanceId"]]
            assert instance["hasPendingApproval"] is False
            assert instance["workflowStatus"] == "stopped"
            assert instance["workflowStopReason"] == "CONTENT_DISCARDED"


def test_instances_created_on_one_worker_are_discarded_by_the_others_and_journals_say_so(tmp_path: Path) -> None:
    with served("--quiet", "--workers", "2", "--store", f"sqlite:{tmp_path / 'mock.db'}") as mock:
        created = []
        for index in range(10):
            status, _, body = mock.call("POST", "/__mock/instances", body=instance_doc(index, prefix="b"))
            assert status == 201, body
            created.append(body)
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(lambda doc: mock.discard(doc)[0], created * 2))
        assert Counter(statuses) == {200: 10, 409: 10}

        status, _, body = mock.call("GET", "/__mock/requests")
        assert status == 200
        assert "each keeps its own journal" in body["scope"]  # the journal is the one thing not shared


def test_several_workers_with_the_memory_store_refuse_to_start() -> None:
    result = run_cli(["serve", "--workers", "2", "--port", "0"], timeout=30)
    assert result.returncode == 2
    assert "--workers 2 needs a shared store" in result.stderr
    assert "--store sqlite:PATH" in result.stderr
