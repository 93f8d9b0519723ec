"""What a `serve` flag's value may be: each parser turns the text given into a value, or a usage error saying why."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """Whole numbers from `minimum` (to `maximum`, when given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


def number_between(low: float, high: float, what: str) -> Callable[[str], float]:
    """Numbers from `low` to `high`; `what` names them in the error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} from {low:g} to {high:g}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, got {value:g}")
        return value

    return parse


seconds = number_between(0.1, 3600, "a number of seconds")
probability = number_between(0, 1, "a number")
