"""Parallel discards: exactly one 200 for each instance.

A server that checks "pending?" and then writes leaves a window in which a
second request also sees "pending"; one that rewrites a whole campaign, or
locks it, loses or refuses one of two discards of different instances. To
catch a window of a millisecond or two, the requests must really overlap:
every client has its connection open and its request built before a barrier
releases them all at once, and each test runs several rounds on fresh
instances. The census at the end of the run checks every one of them again.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from discard_contract import rules
from discard_contract.ids import InstanceIds, unknown_path
from discard_contract.violations import violation

from .budget import ShareOfBudget
from .client import DiscardClient
from .outcomes import expect_discarded
from .provisioning import Tracking
from .settings import active

ROUNDS = 5  # a 2 ms window was caught in the first round 8 times in 10: five make a miss rare


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.CONCURRENT)
def test_parallel_discards_of_one_instance_succeed_exactly_once(
    discard_client: DiscardClient, provisioner: Any, api_key: str, contract_budget: ShareOfBudget
) -> None:
    parallel = active().parallel
    clients = [discard_client.fork() for _ in range(parallel)]
    with ThreadPoolExecutor(parallel) as pool:
        # A harmless request (IDs that cannot exist) opens each client's keep-alive connection.
        list(pool.map(lambda client: client.discard(unknown_path()), clients))
        for round_number in range(1, contract_budget.rounds(ROUNDS, requests_each=2) + 1):
            instance = provisioner.pending()
            start = threading.Barrier(parallel)

            def discard(client: DiscardClient, instance: Any = instance, start: threading.Barrier = start) -> Any:
                return client.discard(instance.path(), before_sending=start.wait)

            answers = list(pool.map(discard, clients))
            statuses = Counter(answer.status for answer in answers)
            success, conflict = rules.DISCARD_200.status, rules.REPEAT_409.status
            if statuses != Counter({success: 1, conflict: parallel - 1}):
                odd = next((a for a in answers if a.status == success), answers[0])
                raise violation(
                    rules.CONCURRENT,
                    f"round {round_number}: {parallel} parallel discards of pending instance {instance} must give "
                    f"exactly one {success} and {parallel - 1} x {conflict}; got {dict(statuses)}",
                    **odd.shown(),
                )


DIFFERENT = 4  # instances discarded at once in each round of the test below


def _one_campaign(first: InstanceIds) -> dict[str, str]:
    return {"accountGroupId": first.account_group_id, "campaignId": first.campaign_id}


def _anywhere(first: InstanceIds) -> dict[str, str]:
    return {}


PLACES: dict[str, Callable[[InstanceIds], dict[str, str]]] = {
    "in one campaign": _one_campaign,
    "across campaigns": _anywhere,
}


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.CONCURRENT, rules.ISOLATION)
@pytest.mark.parametrize("place", PLACES, ids=list(PLACES))
def test_parallel_discards_of_different_instances_each_succeed(
    discard_client: DiscardClient, provisioner: Any, api_key: str, place: str, contract_budget: ShareOfBudget
) -> None:
    clients = [discard_client.fork() for _ in range(DIFFERENT)]
    # A fixtures file holds few pending instances: one round there, so the other tests get theirs.
    most = ROUNDS if provisioner.pending_left() is None else 1
    rounds = contract_budget.rounds(most, requests_each=DIFFERENT + 1)
    with ThreadPoolExecutor(DIFFERENT) as pool:
        list(pool.map(lambda client: client.discard(unknown_path()), clients))  # connections open
        for round_number in range(1, rounds + 1):
            first = provisioner.pending()
            where = PLACES[place](first)
            instances = [first, *(provisioner.pending(**where) for _ in range(DIFFERENT - 1))]
            if not all(Tracking.placed(i, **where) for i in instances):
                pytest.skip(
                    f"the target ignored params {sorted(where)} of its provider states, so no instances {place} "
                    "could be set up (CONTRACT.md: a target may ignore them)"
                )
            start = threading.Barrier(DIFFERENT)
            answers = list(
                pool.map(
                    lambda pair, start=start: pair[0].discard(pair[1].path(), before_sending=start.wait),
                    zip(clients, instances, strict=True),
                )
            )
            refused = [(i, a) for i, a in zip(instances, answers, strict=True) if a.status != rules.DISCARD_200.status]
            if refused:
                instance, answer = refused[0]
                raise violation(
                    rules.CONCURRENT,
                    f"round {round_number}: {DIFFERENT} parallel discards of different pending instances {place} "
                    f"must each get {rules.DISCARD_200.status}; {len(refused)} did not, e.g. {instance}: "
                    f"{answer.status}",
                    **answer.shown(),
                )
            for instance, answer in zip(instances, answers, strict=True):
                expect_discarded(answer, instance)
