"""The run's settings, read once from pytest's options and environment.

Test modules build their Schemathesis schema at import time, before any
fixture exists, so the plugin activates the settings in `pytest_configure`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

DEFAULT_EXAMPLES = 40
DEFAULT_PARALLEL = 16


@dataclass(frozen=True)
class SuiteSettings:
    examples: int = DEFAULT_EXAMPLES  # fuzzed cases per property test
    seed: int = 0
    rate_limit: str | None = None  # e.g. "10/s"; requests to the target are capped at this rate
    parallel: int = DEFAULT_PARALLEL  # simultaneous discards in the concurrency test
    shrink: bool = True  # minimise failing examples (slower to fail, easier to read)


_active = SuiteSettings(seed=secrets.randbits(32))


def activate(settings: SuiteSettings) -> None:
    global _active
    _active = settings


def active() -> SuiteSettings:
    return _active
