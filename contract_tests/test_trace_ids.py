"""traceId: present on every answer (checked everywhere); unique per request (inferred)."""

from __future__ import annotations

from collections import Counter

import pytest

from discard_contract import rules
from discard_contract.ids import unknown_path
from discard_contract.violations import violation

from .client import DiscardClient


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.TRACE_ID_UNIQUE)
def test_every_answer_has_its_own_trace_id(discard_client: DiscardClient) -> None:
    answers = [discard_client.discard(unknown_path()) for _ in range(20)]
    repeated = {t: n for t, n in Counter((a.body or {}).get("traceId") for a in answers).items() if n > 1}
    if repeated:
        raise violation(rules.TRACE_ID_UNIQUE, f"traceId is unique per request; repeated: {repeated}")
