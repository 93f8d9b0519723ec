"""The one place the suite touches a private setting of another library: Hypothesis' shrink time.

Against a live target every shrink step costs HTTP round trips, so the suite
caps the time Hypothesis spends minimising a failing example, and a red gate
says so within a minute; Hypothesis then reports the smallest failing example
found so far. Hypothesis has no public setting for this: its engine reads the
module constant `MAX_SHRINKING_SECONDS` when a test starts shrinking (a test in
`tests/` holds that this is still so).
"""

from __future__ import annotations


def bound_shrinking(seconds: int) -> int:
    """Caps Hypothesis' shrinking at `seconds`; returns the cap it replaced, to give back at the end."""
    from hypothesis.internal.conjecture import engine

    previous: int = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = seconds
    return previous
