"""The run's model (discard_contract/model.py): what each instance the run was given must be now."""

from __future__ import annotations

import threading

from discard_contract import rules
from discard_contract.ids import InstanceIds
from discard_contract.model import RunModel, State, expectation

A = InstanceIds("acme", "a" * 24, "b" * 24, "c" * 24)
B = InstanceIds("acme", "a" * 24, "d" * 24, "e" * 24)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_given_instance_is_tracked_by_its_path_as_pending_or_not() -> None:
    model = RunModel(Clock())
    model.given(A, pending=True)
    model.given(B, pending=False)
    assert len(model) == 2
    assert model.find(A.path()).state is State.PENDING  # type: ignore[union-attr]
    assert model.find(B.path()).state is State.NOT_PENDING  # type: ignore[union-attr]
    assert model.find(A.path(campaignId="f" * 24)) is None
    assert model.to_json() == [{**A.as_json(), "state": "pending"}, {**B.as_json(), "state": "not pending"}]


def test_only_a_200_discards_and_only_a_pending_instance_and_it_says_what_it_was_before() -> None:
    clock = Clock()
    model = RunModel(clock)
    model.given(A, pending=True)
    model.given(B, pending=False)
    clock.now = 105.0
    for status in (400, 401, 403, 404, 409, 429, 500):
        before = model.answered(A.path(), status)
        assert before is not None and before.state is State.PENDING and before.changed == 100.0
    assert model.answered(A.path(), 200).state is State.PENDING  # type: ignore[union-attr]
    after = model.find(A.path())
    assert after is not None and after.state is State.DISCARDED and after.changed == 105.0
    clock.now = 110.0
    assert model.answered(A.path(), 200).state is State.DISCARDED  # type: ignore[union-attr]
    assert model.find(A.path()).changed == 105.0  # type: ignore[union-attr]
    model.answered(B.path(), 200)  # a 200 for an instance given not pending changes nothing in the model
    assert model.find(B.path()).state is State.NOT_PENDING  # type: ignore[union-attr]
    assert model.answered({"accountGroupId": "x"}, 200) is None


def test_an_instance_settles_its_settle_time_after_its_last_change() -> None:
    clock = Clock()
    model = RunModel(clock)
    model.given(A, pending=True)
    tracked = model.find(A.path())
    assert tracked is not None
    assert model.settled(tracked, 15.0) == 15.0
    clock.now = 110.0
    assert model.settled(tracked, 15.0) == 5.0
    clock.now = 200.0
    assert model.settled(tracked, 15.0) == 0.0


def test_what_a_census_discard_must_answer_and_the_rule_it_would_break() -> None:
    model = RunModel(Clock())
    model.given(A, pending=True)
    model.given(B, pending=False)
    pending, not_pending = model.find(A.path()), model.find(B.path())
    assert pending is not None and not_pending is not None
    assert (expectation(pending).status, expectation(pending).rule) == (200, rules.ISOLATION)
    assert (expectation(not_pending).status, expectation(not_pending).rule) == (409, rules.ISOLATION)
    model.answered(A.path(), 200)
    discarded = model.find(A.path())
    assert discarded is not None
    assert (expectation(discarded).status, expectation(discarded).rule) == (409, rules.FINAL)
    assert "final" in expectation(discarded).why and "pending" in expectation(pending).why


def test_parallel_answers_discard_an_instance_once() -> None:
    model = RunModel()
    model.given(A, pending=True)
    befores = []
    start = threading.Barrier(8)

    def answer() -> None:
        start.wait()
        befores.append(model.answered(A.path(), 200))

    threads = [threading.Thread(target=answer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for b in befores if b is not None and b.state is State.PENDING) == 1


def test_instances_that_differ_in_any_id_of_their_path_are_told_apart() -> None:
    model = RunModel(Clock())
    others = [
        InstanceIds("globex", A.campaign_id, A.workflow_instance_id, A.lead_id),
        InstanceIds(A.account_group_id, "f" * 24, A.workflow_instance_id, A.lead_id),
        InstanceIds(A.account_group_id, A.campaign_id, "e" * 24, A.lead_id),
    ]
    model.given(A, pending=True)
    for other in others:
        model.given(other, pending=False)
    assert sorted(t.instance.as_json()["accountGroupId"] for t in model) == ["acme", "acme", "acme", "globex"]
    assert model.find(A.path()).state is State.PENDING  # type: ignore[union-attr]
    assert [model.find(o.path()).state for o in others] == [State.NOT_PENDING] * 3  # type: ignore[union-attr]
    model.answered(A.path(), 200)
    assert [model.find(o.path()).state for o in others] == [State.NOT_PENDING] * 3  # type: ignore[union-attr]


def test_each_expectation_says_why_in_words() -> None:
    model = RunModel(Clock())
    model.given(A, pending=True)
    model.given(B, pending=False)
    pending, given_not_pending = model.find(A.path()), model.find(B.path())
    assert pending is not None and given_not_pending is not None
    assert expectation(pending).why.startswith("the model holds it pending approval")
    assert expectation(pending).why.endswith("so nothing may have changed it")
    assert expectation(given_not_pending).why.startswith("it was given not pending approval")
    assert expectation(given_not_pending).why.endswith("may have made it pending")
    model.answered(A.path(), 200)
    discarded = model.find(A.path())
    assert discarded is not None
    assert expectation(discarded).why == "this run discarded it (a 200), and a discard is final"
