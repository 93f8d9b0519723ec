"""The run's settings, read once from pytest's options and environment.

They live in `config.stash` (see the plugin). Test modules build their
Schemathesis schema at import time, before any fixture exists, so the plugin
also makes them the package's `active()` settings while it collects.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

DEFAULT_EXAMPLES = 40
DEFAULT_PARALLEL = 16
# Against a live target every shrink step is a round of HTTP requests; past this
# budget Hypothesis reports the smallest failing example found so far.
DEFAULT_SHRINK_SECONDS = 10
# The census probes an instance once its last change is this old (a write undone later than that is not seen).
DEFAULT_SETTLE_SECONDS = 15.0
# The longest a run may take, census included; past it the remaining tests are skipped, saying so.
DEFAULT_TIME_BUDGET_SECONDS = 240.0


@dataclass(frozen=True)
class SuiteSettings:
    examples: int = DEFAULT_EXAMPLES  # fuzzed cases per property test
    seed: int = 0
    rate_limit: str | None = None  # Schemathesis' form, "10/s"; requests to the target are capped at this rate
    parallel: int = DEFAULT_PARALLEL  # simultaneous discards in the concurrency test
    shrink: bool = True  # minimise failing examples (slower to fail, easier to read)
    shrink_seconds: int = DEFAULT_SHRINK_SECONDS
    report: str | None = None  # --contract-report PATH
    settle_seconds: float = DEFAULT_SETTLE_SECONDS
    time_budget: float = DEFAULT_TIME_BUDGET_SECONDS
    bundled_mock: bool = False  # asked for the bundled mock explicitly (needed under CI=true)


_active = SuiteSettings(seed=secrets.randbits(32))


def activate(settings: SuiteSettings) -> None:
    global _active
    _active = settings


def active() -> SuiteSettings:
    return _active
