"""traceId: present on every answer (checked everywhere); unique per request (inferred).

The requests go out in parallel bursts, released together by a barrier: a
trace ID made from the clock (or a counter per process) repeats there, where
sequential requests a few milliseconds apart would not show it.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from discard_contract import rules
from discard_contract.ids import unknown_path
from discard_contract.violations import violation

from .client import DiscardClient

BURST, BURSTS = 10, 2


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.TRACE_ID_UNIQUE)
def test_every_answer_has_its_own_trace_id(discard_client: DiscardClient) -> None:
    clients = [discard_client.fork() for _ in range(BURST)]
    answers: list[Any] = []
    with ThreadPoolExecutor(BURST) as pool:
        for _ in range(BURSTS):
            start = threading.Barrier(BURST)
            answers += pool.map(lambda c, start=start: c.discard(unknown_path(), before_sending=start.wait), clients)
    repeated = {t: n for t, n in Counter((a.body or {}).get("traceId") for a in answers).items() if n > 1}
    if repeated:
        raise violation(rules.TRACE_ID_UNIQUE, f"traceId is unique per request; repeated: {repeated}")
