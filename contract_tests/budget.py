"""The run's time budget, spent so that every rule is checked at least once.

Tests run rule-coverage first (session.py orders them), each gets a share of
what is left, and the long ones (generated cases, the state machine, parallel
rounds) do less when the target is slow. Past the budget the remaining tests
are skipped with that reason; the census always runs, and its time is held
back from the start.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# A test gets at least this long, however little is left, so that a started test can show something.
MIN_SHARE_SECONDS = 5.0
# Held back for the census beyond its settle time: per instance, this many requests' time.
CENSUS_REQUESTS_PER_INSTANCE = 1.5


class TimeBudget:
    def __init__(self, seconds: float, settle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.settle_seconds = settle_seconds
        self._clock = clock
        self._deadline = clock() + seconds
        self._test_deadline = self._deadline

    def reserve(self, instances: int, latency: float) -> float:
        """What the census will need: the settle time, and a discard of every instance."""
        return self.settle_seconds + instances * latency * CENSUS_REQUESTS_PER_INSTANCE

    def left(self, instances: int, latency: float) -> float:
        """Seconds the tests may still spend."""
        return self._deadline - self.reserve(instances, latency) - self._clock()

    def exhausted(self, instances: int, latency: float) -> bool:
        return self.left(instances, latency) <= 0

    def start_test(self, remaining_tests: int, instances: int, latency: float) -> None:
        """The test about to run gets an even share of what is left (at least MIN_SHARE_SECONDS)."""
        share = max(MIN_SHARE_SECONDS, self.left(instances, latency) / max(remaining_tests, 1))
        self._test_deadline = self._clock() + share

    def test_time_left(self) -> float:
        """Seconds left of the running test's share."""
        return self._test_deadline - self._clock()

    def fits(self, requests: int, latency: float) -> int:
        """How many units of `requests` round trips each fit in the running test's share (at least 1)."""
        if latency <= 0:
            return 1_000_000
        return max(1, int(self.test_time_left() / (requests * latency)))


class ShareOfBudget:
    """What a running test reads of the budget: how much work of a kind still fits (the `contract_budget`
    fixture). The latency is the run's moving average, so a slow target gets fewer rounds and examples."""

    def __init__(self, budget: TimeBudget, latency: Callable[[], float]) -> None:
        self._budget = budget
        self._latency = latency

    def rounds(self, most: int, requests_each: int) -> int:
        """Up to `most` rounds of `requests_each` round trips, as many as fit (at least 1)."""
        return min(most, self._budget.fits(requests_each, self._latency()))

    def spent(self) -> bool:
        """The test's share is used up: a generated example should not send anything more."""
        return self._budget.test_time_left() <= 0
