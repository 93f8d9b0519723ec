"""What the run saw: every status the target answered, and every instance it discarded.

The report lists the statuses; the finality check at the end of the run
discards every recorded instance again, so a write that does not last is caught.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RunRecord:
    statuses: Counter[int] = field(default_factory=Counter)
    discarded: dict[tuple[str, str, str], float] = field(default_factory=dict)  # path -> when (monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1

    def was_discarded(self, path: dict[str, str]) -> None:
        key = (path["accountGroupId"], path["campaignId"], path["workflowInstanceId"])
        with self._lock:
            self.discarded.setdefault(key, time.monotonic())

    def discarded_paths(self) -> list[tuple[dict[str, str], float]]:
        with self._lock:
            items = list(self.discarded.items())
        names = ("accountGroupId", "campaignId", "workflowInstanceId")
        return [(dict(zip(names, key, strict=True)), when) for key, when in items]
