"""traceId: present on every answer (checked everywhere); unique per request (inferred)."""

from __future__ import annotations

from collections import Counter

import pytest

from .client import DiscardClient
from .ids import unknown_path
from .violations import violation


@pytest.mark.inferred
@pytest.mark.contract_rule("trace-id-unique")
def test_every_answer_has_its_own_trace_id(discard_client: DiscardClient) -> None:
    answers = [discard_client.discard(unknown_path()) for _ in range(20)]
    repeated = {t: n for t, n in Counter((a.body or {}).get("traceId") for a in answers).items() if n > 1}
    if repeated:
        raise violation("trace-id-unique", f"traceId is unique per request; repeated: {repeated}")
