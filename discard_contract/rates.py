"""Request rates as people write them ('10/s', '600/min', '5/h'): one reading for the mock's
`--rate-limit` and the suite's `--contract-rate-limit`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([a-zA-Z]+)\s*$")
# unit name -> (the unit's short form, its length in seconds)
UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("s", "sec", "second", "seconds"), ("s", 1.0)),
    **dict.fromkeys(("m", "min", "minute", "minutes"), ("m", 60.0)),
    **dict.fromkeys(("h", "hour", "hours"), ("h", 3600.0)),
    **dict.fromkeys(("d", "day", "days"), ("d", 86400.0)),
}


class RateError(ValueError):
    """A rate that does not parse; the message says what would."""


@dataclass(frozen=True)
class Rate:
    """`count` requests per `unit` (its short form: s, m, h or d)."""

    count: float
    unit: str

    @property
    def per_second(self) -> float:
        return self.count / next(seconds for short, seconds in UNITS.values() if short == self.unit)

    def __str__(self) -> str:
        count = int(self.count) if self.count.is_integer() else self.count
        return f"{count}/{self.unit}"


def parse_rate(text: str) -> Rate:
    """'10/s', '600/min', '1000/hour', '0.5/s'; a zero count and unknown units are refused."""
    match = _RATE.match(text)
    unit = UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise RateError(f"{text!r} is not a rate: write requests per unit, e.g. 10/s, 600/min, 1000/h")
    count = float(match.group(1))
    if count <= 0:
        raise RateError(f"{text!r} allows no request at all: the rate must be above 0 per unit, e.g. 1/s")
    return Rate(count, unit[0])
