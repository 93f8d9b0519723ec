"""A discard is final (inferred): minutes later it is still a 409.

Runs after every other test of the run (the plugin orders it last) and
discards again every instance the run discarded, so a write that is lost,
rolled back or served from a stale replica shows up as a second 200.
"""

from __future__ import annotations

import time

import pytest

from discard_contract import rules

from .client import DiscardClient
from .outcomes import expect_status

# A write that does not last may take a moment to come undone; the check waits at
# least this long after the newest discard it re-checks (a full run is far longer).
MIN_AGE_SECONDS = 2.0


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.FINAL)
def test_every_discard_is_still_final_at_the_end_of_the_run(discard_client: DiscardClient) -> None:
    discarded = discard_client.record.discarded_paths()
    if not discarded:
        pytest.skip(
            "nothing to re-check: no test of this run discarded an instance "
            "(the tests that discard need --state-setup-url URL or --fixtures-file PATH)"
        )
    newest = max(when for _, when in discarded)
    time.sleep(max(0.0, newest + MIN_AGE_SECONDS - time.monotonic()))
    for path, when in discarded:
        again = discard_client.discard(path)
        expect_status(
            again,
            rules.FINAL,
            f"a discard of {path['workflowInstanceId']}, discarded {time.monotonic() - when:.1f} s earlier in this run",
        )
