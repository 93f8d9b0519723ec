"""Parallel discards of one instance: exactly one succeeds."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from .client import DiscardClient, Exchange
from .ids import InstanceIds
from .settings import active


@pytest.mark.inferred
def test_parallel_discards_of_one_instance_succeed_exactly_once(
    discard_client: DiscardClient, pending_instance: InstanceIds
):
    parallel = active().parallel
    clients = [discard_client.fork() for _ in range(parallel)]
    start = threading.Barrier(parallel)

    def discard(client: DiscardClient) -> Exchange:
        start.wait()  # all requests leave together, so they really race
        return client.discard(pending_instance.path())

    with ThreadPoolExecutor(parallel) as pool:
        answers = list(pool.map(discard, clients))
    statuses = Counter(answer.status for answer in answers)
    assert statuses == Counter({200: 1, 409: parallel - 1}), (
        f"CONTRACT «State rules» (inferred): {parallel} parallel discards of one pending instance must give "
        f"exactly one 200 and {parallel - 1} x 409; got {dict(statuses)}"
        + "".join(a.explain() for a in answers if a.status not in (409,))
    )
