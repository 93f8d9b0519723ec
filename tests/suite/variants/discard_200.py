"""discard-200 broken: the 200 describes something other than the discarded instance."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Flask

from discard_contract import rules
from mock_server.domain import ConditionalUpdate, Instance
from mock_server.storage.memory import MemoryInstanceStore

from .bug import Bug
from .serving import (
    rewrite_json,
    with_store,
)


class CompletingStore(MemoryInstanceStore):
    """Marks a discarded instance 'completed', as if its content had been sent."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        completed = {**update.assign, "workflow_status": "completed", "workflow_stop_reason": None}
        return super().update_if(replace(update, assign=completed))


completed_after_discard = with_store(CompletingStore)


def wrong_instance_in_answer(app: Flask) -> None:
    def swap(body: dict[str, Any], status: int) -> None:
        if status == 200:
            body["data"]["leadStatus"]["workflowInstanceId"] = "0" * 24

    rewrite_json(app, swap)


def stale_answer(app: Flask) -> None:
    """Answers a discard with the instance read before the write: still pending approval, still waiting."""

    def before(body: dict[str, Any], status: int) -> None:
        if status == 200:
            body["data"]["leadStatus"].update(
                hasPendingApproval=True, workflowStatus="waiting", workflowStopReason=None
            )

    rewrite_json(app, before)


BUGS = {
    "completed after discard": Bug(
        completed_after_discard, ("test_a_discard_answers_for_exactly_that_instance",), rules.DISCARD_200
    ),
    "wrong instance in the answer": Bug(
        wrong_instance_in_answer, ("test_a_discard_answers_for_exactly_that_instance",), rules.DISCARD_200
    ),
    "a 200 that shows the instance as it was before": Bug(
        stale_answer, ("test_a_discard_answers_for_exactly_that_instance",), rules.DISCARD_200
    ),
}
