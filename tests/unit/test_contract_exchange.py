"""One exchange as every judge of the contract sees it (discard_contract/exchange.py), and the
header values it reads (discard_contract/headers.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from discard_contract import headers
from discard_contract.exchange import Exchange, HeaderFields
from discard_contract.headers import media_type, retry_after_seconds, retry_after_value

ERROR = {
    "success": False,
    "data": None,
    "error": {"code": "NOT_FOUND", "message": "m", "details": None},
    "traceId": "t",
}


def test_an_exchange_keeps_the_request_as_sent_with_the_method_upper_cased() -> None:
    exchange = Exchange.of("post", "/v1/x?__code=404", 404)
    assert (exchange.method, exchange.target, exchange.status) == ("POST", "/v1/x?__code=404", 404)
    assert (exchange.headers, exchange.body) == ((), b"")


@pytest.mark.parametrize(
    "fields",
    [
        [("Retry-After", "1"), ("X-Seen", "a"), ("x-seen", "b")],
        {"Retry-After": "1", "X-Seen": ["a", "b"]},
        {"retry-after": ["1"], "x-seen": ["a", "b"]},
    ],
    ids=["pairs", "mapping", "schemathesis"],
)
def test_header_fields_in_any_shape_read_the_same_whatever_the_case_of_the_name(fields: HeaderFields) -> None:
    exchange = Exchange.of("POST", "/", 429, fields, b"{}")
    assert exchange.header("RETRY-AFTER") == exchange.header("retry-after") == "1"
    assert exchange.header("X-Seen") == "a" and exchange.header_values("X-SEEN") == ["a", "b"]
    assert exchange.header("Content-Type") is None and exchange.header_values("Content-Type") == []
    assert len(exchange.headers) == 3


def test_header_values_are_a_copy_the_caller_may_change() -> None:
    exchange = Exchange.of("POST", "/", 200, [("A", "1")])
    exchange.header_values("a").append("2")
    assert exchange.header_values("A") == ["1"]


def test_the_envelope_data_and_error_are_read_from_a_json_object_body_only() -> None:
    error = Exchange.of("POST", "/", 404, (), json.dumps(ERROR).encode())
    assert error.envelope == ERROR and error.error == ERROR["error"] and error.data == {}
    success = Exchange.of("POST", "/", 200, (), b'{"success": true, "data": {"action": "discarded"}, "error": "x"}')
    assert success.data == {"action": "discarded"} and success.error is None
    for body in (b"", b"<html>", b"[1]", b'"x"', b"[" * 100_000, b'{"data": [1], "error": [2]}'):
        exchange = Exchange.of("POST", "/", 502, (), body)
        assert exchange.data == {} and exchange.error is None
        assert exchange.envelope is None or exchange.envelope == {"data": [1], "error": [2]}


def test_an_answer_is_described_in_one_line_by_its_status_and_the_start_of_its_body() -> None:
    exchange = Exchange.of("POST", "/", 500, (), b"x" * 2000 + b"\xff")
    assert exchange.describe() == "500 " + "x" * 1000
    assert exchange.describe(3) == "500 xxx"
    assert Exchange.of("POST", "/", 502, (), b"bad \xff").describe() == "502 bad \ufffd"
    assert Exchange.of("POST", "/", 204).describe() == "204 "


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("Sat, 01 Jan 2000 00:02:00 GMT", 120.0)],
)
def test_retry_after_is_delay_seconds_or_a_date_read_against_the_time_given(value: str, seconds: float) -> None:
    now = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
    assert retry_after_seconds(value, now=now) == seconds


def test_a_retry_after_date_is_read_against_the_clock_when_no_time_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
    monkeypatch.setattr(headers.time, "time", lambda: now)
    soon = format_datetime(datetime.fromtimestamp(now + 3600, UTC), usegmt=True)
    assert retry_after_seconds(soon) == 3600.0


def test_a_retry_after_date_in_the_past_means_now() -> None:
    now = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
    assert retry_after_seconds("Fri, 31 Dec 1999 23:59:59 GMT", now=now) == 0.0
    assert retry_after_seconds("Sat, 01 Jan 2000 00:00:01 GMT", now=now + 0.5) == 0.5


@pytest.mark.parametrize("value", ["soon", "1.5", "-1", "", "1e3", "Sat, 01 Jan 2000 00:02:00", "Sat, 99 Foo 2000"])
def test_a_retry_after_in_neither_form_is_none(value: str) -> None:
    assert retry_after_seconds(value, now=0.0) is None


@pytest.mark.parametrize(("wait", "value"), [(0.0, "1"), (0.2, "1"), (1.0, "1"), (1.01, "2"), (59.5, "60")])
def test_a_retry_after_the_mock_writes_is_whole_seconds_and_never_zero(wait: float, value: str) -> None:
    assert retry_after_value(wait) == value


@pytest.mark.parametrize(
    ("content_type", "media"),
    [
        ("application/json", "application/json"),
        ("Application/JSON; charset=utf-8", "application/json"),
        (" application/json ;charset=utf-8; profile=x", "application/json"),
        ("text/html", "text/html"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_media_type_is_the_content_type_before_its_parameters_lower_cased(
    content_type: str | None, media: str
) -> None:
    assert media_type(content_type) == media
