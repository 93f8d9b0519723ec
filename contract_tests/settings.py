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


@dataclass(frozen=True)
class SuiteSettings:
    examples: int = DEFAULT_EXAMPLES  # fuzzed cases per property test
    seed: int = 0
    rate_limit: str | None = None  # Schemathesis' form, "10/s"; requests to the target are capped at this rate
    parallel: int = DEFAULT_PARALLEL  # simultaneous discards in the concurrency test
    shrink: bool = True  # minimise failing examples (slower to fail, easier to read)
    shrink_seconds: int = DEFAULT_SHRINK_SECONDS
    report: str | None = None  # --contract-report PATH


_active = SuiteSettings(seed=secrets.randbits(32))


def activate(settings: SuiteSettings) -> None:
    global _active
    _active = settings


def active() -> SuiteSettings:
    return _active
