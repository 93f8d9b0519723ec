"""Rates as people write them (discard_contract/rates.py), for the mock's --rate-limit and the suite's
--contract-rate-limit."""

from __future__ import annotations

import pytest

from discard_contract.rates import Rate, RateError, parse_rate


@pytest.mark.parametrize(
    ("text", "count", "unit", "per_second", "shown"),
    [
        ("10/s", 10.0, "s", 10.0, "10/s"),
        ("600/min", 600.0, "m", 10.0, "600/m"),
        (" 1000 / Hour ", 1000.0, "h", 1000 / 3600, "1000/h"),
        ("0.5/second", 0.5, "s", 0.5, "0.5/s"),
        ("2/days", 2.0, "d", 2 / 86400, "2/d"),
        ("3/M", 3.0, "m", 3 / 60, "3/m"),
    ],
)
def test_a_rate_reads_as_a_person_writes_it_and_prints_in_short_form(
    text: str, count: float, unit: str, per_second: float, shown: str
) -> None:
    rate = parse_rate(text)
    assert rate == Rate(count, unit)
    assert rate.per_second == pytest.approx(per_second)
    assert str(rate) == shown
    assert parse_rate(str(rate)) == rate


@pytest.mark.parametrize("text", ["fast", "10", "10/fortnight", "/s", "-1/s", "1e3/s", "10/s/s", "10 per s"])
def test_what_is_not_a_rate_is_refused_with_examples_that_are(text: str) -> None:
    with pytest.raises(RateError) as refused:
        parse_rate(text)
    assert str(refused.value) == f"{text!r} is not a rate: write requests per unit, e.g. 10/s, 600/min, 1000/h"
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize("text", ["0/s", "0.0/min", "0/h"])
def test_a_rate_of_nothing_is_refused_saying_it_must_be_above_zero(text: str) -> None:
    with pytest.raises(RateError) as refused:
        parse_rate(text)
    assert str(refused.value) == f"{text!r} allows no request at all: the rate must be above 0 per unit, e.g. 1/s"
