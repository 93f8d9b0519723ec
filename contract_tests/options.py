"""Reading the suite's option values: every mistake is a usage error that names the option.

pytest's own `type=` conversion reports a bad command-line value, but not a bad
environment value, and says nothing about what would be right. These parsers
take the command line first, the environment second, and raise
`pytest.UsageError` with the option, the env variable, the value and an example.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})

_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-zA-Z]+)\s*$")
_UNITS = {
    "s": "s", "sec": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "minute": "m", "minutes": "m",
    "h": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
}  # fmt: skip


class OptionError(ValueError):
    """A value that does not parse; the message says what would."""


def parse_flag(text: str) -> bool:
    """true/yes/on/1 or false/no/off/0 (any case); anything else is refused, not guessed."""
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise OptionError(f"{text!r} is not a yes/no value: use one of 1, true, yes, on or 0, false, no, off")


def parse_rate_limit(text: str) -> str:
    """'600/min', '10/s', '1000/hour' as Schemathesis' 'N/s|m|h|d'; zero and unknown units are refused."""
    match = _RATE.match(text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise OptionError(f"{text!r} is not a rate: write requests per unit, e.g. 10/s, 600/min, 1000/h")
    count = int(match.group(1))
    if count < 1:
        raise OptionError(f"{text!r} allows no request at all: the rate must be at least 1 per unit, e.g. 1/s")
    return f"{count}/{unit}"


def whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise OptionError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise OptionError(f"{value} is below the minimum, {minimum}")
        return value

    return parse


def parse_header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
        raise OptionError(f"{text!r} is not a header: write 'Name: value', e.g. 'X-Mock-Control-Token: secret'")
    return name.strip(), value.strip()


def read(config: pytest.Config, flag: str, env: str, parse: Callable[[str], T], default: T) -> T:
    """The option's value, else the env variable's, else `default`; parsed, or a usage error."""
    given = config.getoption(flag.lstrip("-").replace("-", "_"))
    source, text = (flag, given) if given is not None else (f"{env} (for {flag})", os.environ.get(env))
    if text is None:
        return default
    try:
        return parse(str(text))
    except OptionError as exc:
        raise pytest.UsageError(f"contract suite: {source}: {exc}") from None
