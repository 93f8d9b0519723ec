"""What the run saw: every status the target answered, and the model of every instance it was given.

The report lists the statuses (a rule is passed only if an answer that could
break it was seen); the census at the end holds the target to the model.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest

from discard_contract import rules
from discard_contract.model import RunModel

# A target that throttles this share of at least this many answers cannot be judged.
THROTTLED_SHARE = 0.9
THROTTLED_MINIMUM = 8


@dataclass
class RunRecord:
    statuses: Counter[int] = field(default_factory=Counter)
    model: RunModel = field(default_factory=RunModel)
    cannot_judge: str | None = None  # why the run stopped without a verdict
    latency: float = 0.0  # seconds a round trip takes, a moving average (the time budget reads it)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, status: int, seconds: float = 0.0) -> None:
        with self._lock:
            self.statuses[status] += 1
            self.latency = seconds if not self.latency else 0.8 * self.latency + 0.2 * seconds

    def give_up_if_throttled(self) -> None:
        """Ends the run with exit 4 (it cannot judge) when (nearly) every answer so far was a 429."""
        reason = self.throttled_nearly_all()
        if reason is not None:
            self.cannot_judge = reason
            pytest.exit(reason, returncode=pytest.ExitCode.USAGE_ERROR)

    def throttled_nearly_all(self) -> str | None:
        """Why the run cannot judge the target, when (nearly) every answer so far was a 429; else None."""
        with self._lock:
            total = sum(self.statuses.values())
            throttled = self.statuses[rules.RATE_LIMIT.status]
        if total >= THROTTLED_MINIMUM and throttled >= THROTTLED_SHARE * total:
            return f"cannot judge: {throttled} of {total} requests throttled (429)"
        return None
