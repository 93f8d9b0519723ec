"""What a broken variant is: a mock with one bug, the tests that must catch it, and the rule they must name."""

from __future__ import annotations

from dataclasses import dataclass

from discard_contract.rules import Rule

from .serving import Variant


@dataclass(frozen=True)
class Bug:
    """A broken variant, the tests of the suite that must catch it, and the rule they must name."""

    inject: Variant
    catchers: tuple[str, ...]  # each must fail, with a violation of `rule`
    rule: Rule
    also_run: tuple[str, ...] = ()  # tests the catchers need beside them (e.g. a discard to re-check)
    options: tuple[str, ...] = ()  # for the suite's run, e.g. a longer --contract-settle-seconds
