"""A crash in the middle of a discard load loses no answered discard and invents none.

The server (master and workers) gets SIGKILL while discards are in flight;
after a restart on the same SQLite file, every discard that was answered 200
is still discarded, and every instance whose discard was never sent, or was
refused, is untouched. A request in flight at the kill may or may not have
committed (its client never learnt which), but its instance is then in one of
the two whole states, never in between.
"""

from __future__ import annotations

import http.client
import itertools
import threading
from pathlib import Path
from typing import Any

from ..support.served import MockProcess, instance_doc, write_data_file

PENDING = 400
NOT_PENDING = 40
KILL_AFTER_SUCCESSES = 100
ROUNDS = 2
CLIENT_THREADS = 16

PENDING_STATE = {"workflowStatus": "pending", "workflowStopReason": None, "hasPendingApproval": True}
DISCARDED_STATE = {"workflowStatus": "stopped", "workflowStopReason": "CONTENT_DISCARDED", "hasPendingApproval": False}
NOT_PENDING_STATE = {"workflowStatus": "waiting", "workflowStopReason": None, "hasPendingApproval": False}


class Load:
    """Discards from several threads; stops sending the moment the server is killed."""

    def __init__(self, mock: MockProcess, targets: list[dict[str, Any]]) -> None:
        self.mock = mock
        self._todo = list(reversed(targets))
        self._lock = threading.Lock()
        self.killed = threading.Event()
        self.enough = threading.Event()
        self.answers: dict[str, int] = {}  # instance ID -> status
        self.in_flight: set[str] = set()  # sent, no answer (the kill cut it off)

    def run(self) -> None:
        threads = [threading.Thread(target=self._client) for _ in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        try:
            self.enough.wait(timeout=60)
        finally:
            self.killed.set()
            self.mock.kill()
            for thread in threads:
                thread.join(timeout=60)

    def _client(self) -> None:
        while not self.killed.is_set():
            with self._lock:
                if not self._todo:
                    self.enough.set()
                    return
                doc = self._todo.pop()
                self.in_flight.add(doc["workflowInstanceId"])
            try:
                status, _, _ = self.mock.discard(doc)
            except (OSError, http.client.HTTPException):
                continue  # cut off by the kill: stays in flight
            with self._lock:
                self.in_flight.discard(doc["workflowInstanceId"])
                self.answers[doc["workflowInstanceId"]] = status
                if sum(s == 200 for s in self.answers.values()) >= KILL_AFTER_SUCCESSES:
                    self.enough.set()

    @property
    def unsent(self) -> list[str]:
        return [doc["workflowInstanceId"] for doc in self._todo]


def _with_refusals(targets: list[dict[str, Any]], not_pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every fourth request a discard the rules refuse (409): it must change nothing either."""
    refusals = itertools.cycle(not_pending)
    work: list[dict[str, Any]] = []
    for index, doc in enumerate(targets):
        work.append(doc)
        if index % 4 == 3:
            work.append(next(refusals))
    return work


def _state(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: doc[name] for name in PENDING_STATE}


def test_sigkill_mid_load_keeps_every_answered_discard_and_no_other(tmp_path: Path) -> None:
    pending = [instance_doc(i, prefix="d") for i in range(PENDING)]
    not_pending = [instance_doc(i, prefix="e", pending=False) for i in range(NOT_PENDING)]
    data = write_data_file(tmp_path / "data.json", pending + not_pending)
    args = ("--quiet", "--workers", "2", "--store", f"sqlite:{tmp_path / 'mock.db'}", "--data", str(data))

    original = {doc["workflowInstanceId"]: _state(doc) for doc in pending + not_pending}
    refused = {doc["workflowInstanceId"] for doc in not_pending}
    discarded: set[str] = set()  # answered 200 in any round
    untouched_pending = {doc["workflowInstanceId"] for doc in pending}
    mock = MockProcess(*args).start()
    try:
        for round_number in range(ROUNDS):
            targets = [doc for doc in pending if doc["workflowInstanceId"] in untouched_pending]
            load = Load(mock, _with_refusals(targets, not_pending))
            load.run()

            successes = {i for i, status in load.answers.items() if status == 200}
            assert len(successes) >= KILL_AFTER_SUCCESSES, (round_number, load.answers)
            assert {s for i, s in load.answers.items() if i not in successes} <= {409}, load.answers
            assert load.unsent, "the kill came after the load had ended; it proves nothing"

            mock = MockProcess(*args).start()  # restart on the same file
            stored = {i: _state(doc) for i, doc in mock.instances().items()}
            discarded |= successes
            for instance_id in discarded:
                assert stored[instance_id] == DISCARDED_STATE, (round_number, instance_id)
            for instance_id in load.unsent:
                assert stored[instance_id] in (PENDING_STATE, NOT_PENDING_STATE), (round_number, instance_id)
                assert stored[instance_id] == original[instance_id], (round_number, instance_id)
            for doc in not_pending:
                assert stored[doc["workflowInstanceId"]] == NOT_PENDING_STATE
            for instance_id in load.in_flight - refused:
                assert stored[instance_id] in (PENDING_STATE, DISCARDED_STATE), (round_number, instance_id)
                if stored[instance_id] == DISCARDED_STATE:
                    discarded.add(instance_id)
            untouched_pending = {i for i, state in stored.items() if state == PENDING_STATE}

        # After two crashes the store still answers by its rules.
        survivor = next(doc for doc in pending if doc["workflowInstanceId"] in untouched_pending)
        assert mock.discard(survivor)[0] == 200
        assert mock.discard(survivor)[0] == 409
        victim = next(doc for doc in pending if doc["workflowInstanceId"] in discarded)
        assert mock.discard(victim)[0] == 409
    finally:
        mock.stop()
