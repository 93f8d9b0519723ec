"""The request journal (mock_server/journal.py) and GET/DELETE /__mock/requests.

Like WireMock's, it answers "what did my client actually send?": newest last,
bounded, and free of the control API's own calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.journal import RequestJournal

from ..support.helpers import assert_error_envelope, bearer, discard_path


def test_entries_are_numbered_and_kept_newest_last() -> None:
    journal = RequestJournal(10)
    for n in range(3):
        journal.record({"path": f"/{n}"})
    entries = journal.entries()
    assert [e["path"] for e in entries] == ["/0", "/1", "/2"]
    assert [e["id"] for e in entries] == [1, 2, 3]
    assert all(e["time"] for e in entries)


def test_the_oldest_fall_off_past_capacity() -> None:
    journal = RequestJournal(3)
    for n in range(5):
        journal.record({"path": f"/{n}"})
    assert [e["path"] for e in journal.entries()] == ["/2", "/3", "/4"]
    assert journal.capacity == 3


def test_limit_keeps_the_newest() -> None:
    journal = RequestJournal(10)
    for n in range(5):
        journal.record({"path": f"/{n}"})
    assert [e["path"] for e in journal.entries(2)] == ["/3", "/4"]


def test_clear_empties_it_and_numbering_goes_on() -> None:
    journal = RequestJournal(10)
    journal.record({"path": "/a"})
    journal.clear()
    assert journal.entries() == []
    journal.record({"path": "/b"})
    assert journal.entries()[0]["id"] == 2, "ids stay unique across a clear"


def test_cookies_are_redacted() -> None:
    journal = RequestJournal(10)
    journal.record({"path": "/a", "headers": {"Cookie": "session=secret", "Accept": "*/*"}})
    headers = journal.entries()[0]["headers"]
    assert "secret" not in str(headers)
    assert headers["Accept"] == "*/*"


# --- over HTTP -----------------------------------------------------------------------------------


@pytest.fixture
def journal(client: FlaskClient) -> Callable[..., list[dict[str, object]]]:
    def read(query: str = "") -> list[dict[str, object]]:
        response = client.get("/__mock/requests" + query)
        assert response.status_code == 200
        return response.get_json()["requests"]

    return read


def test_public_requests_are_recorded_with_status_and_trace_id(
    client: FlaskClient, journal: Callable[..., list[dict[str, object]]]
) -> None:
    first = client.post(discard_path(), headers=bearer())
    second = client.post(discard_path(), headers=bearer())
    entries = journal()
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", discard_path(), 200),
        ("POST", discard_path(), 409),
    ]
    assert [e["traceId"] for e in entries] == [first.get_json()["traceId"], second.get_json()["traceId"]]
    assert entries[0]["headers"]["Authorization"] == "Bearer sk_test_…cute"  # type: ignore[index]
    assert all(isinstance(e["durationMs"], float | int) for e in entries)


def test_each_entry_holds_the_answer_as_sent(
    client: FlaskClient, journal: Callable[..., list[dict[str, object]]]
) -> None:
    """The whole exchange: the answer's headers and body are the ones the client got."""
    refused = client.post(discard_path(), headers={"Prefer": "code=429"})
    [entry] = journal()
    assert entry["status"] == 429
    assert json.loads(entry["responseBody"]) == refused.get_json()  # type: ignore[arg-type]
    assert entry["responseHeaders"]["Retry-After"] == refused.headers["Retry-After"]  # type: ignore[index]


def test_control_calls_are_not_recorded(client: FlaskClient, journal: Callable[..., list[dict[str, object]]]) -> None:
    client.get("/__mock/instances")
    client.post("/__mock/reset")
    client.post("/nowhere?x=1")
    entries = journal()
    assert [(e["path"], e["query"], e["status"]) for e in entries] == [("/nowhere", "x=1", 404)]


def test_the_journal_is_bounded_by_journal_size(
    app_factory: Callable[..., Flask],
) -> None:
    client = app_factory(JOURNAL_SIZE=3).test_client()
    for n in range(5):
        client.get(f"/r{n}")
    body = client.get("/__mock/requests").get_json()
    assert body["capacity"] == 3
    assert [e["path"] for e in body["requests"]] == ["/r2", "/r3", "/r4"]


def test_limit_returns_the_newest(client: FlaskClient, journal: Callable[..., list[dict[str, object]]]) -> None:
    for n in range(4):
        client.get(f"/r{n}")
    assert [e["path"] for e in journal("?limit=2")] == ["/r2", "/r3"]


@pytest.mark.parametrize("limit", ["-1", "two", "1.5", "%C2%B2", "%D9%A3"])
def test_a_bad_limit_is_400(client: FlaskClient, limit: str) -> None:
    response = client.get(f"/__mock/requests?limit={limit}")
    assert response.status_code == 400
    assert_error_envelope(response.get_json(), 400)


def test_delete_clears_it(client: FlaskClient, journal: Callable[..., list[dict[str, object]]]) -> None:
    client.get("/r")
    response = client.delete("/__mock/requests")
    assert response.status_code == 200
    assert journal() == []


def test_limit_zero_returns_no_entry(client: FlaskClient, journal: Callable[..., list[dict[str, object]]]) -> None:
    client.post("/r1")
    assert journal("?limit=0") == []


def test_the_journal_is_bounded_by_bytes_too() -> None:
    journal = RequestJournal(1000, max_bytes=64 * 1024)
    for n in range(100):
        journal.record({"path": f"/{n}", "headers": {"X-Pad": "p" * 4000}})
    kept = journal.entries()
    assert 5 <= len(kept) < 100, "a few 4 KB entries fit in 64 KB, a hundred do not"
    assert kept[-1]["path"] == "/99", "the newest are the ones kept"
    assert journal.size_bytes <= 64 * 1024


def test_an_oversized_entry_is_cut_short_and_says_so() -> None:
    journal = RequestJournal(10, max_entry_bytes=16 * 1024)
    journal.record({"path": "/big", "headers": {f"X-H{n}": "v" * 30_000 for n in range(30)}, "status": 404})
    [entry] = journal.entries()
    assert entry["status"] == 404 and entry["path"] == "/big"
    assert entry["truncated"]["originalBytes"] > 800_000
    assert len(json.dumps(entry)) < 20 * 1024


def test_an_api_key_shows_its_prefix_and_last_four_characters() -> None:
    journal = RequestJournal(10)
    journal.record(
        {"path": "/a", "headers": {"Authorization": "Bearer sk_test_execute", "X-API-Key": "sk_live_abcdef123456"}}
    )
    headers = journal.entries()[0]["headers"]
    assert headers["Authorization"] == "Bearer sk_test_…cute"
    assert headers["X-API-Key"] == "sk_live_…3456"


def test_the_control_token_is_never_shown() -> None:
    journal = RequestJournal(10, secrets=["s3cret-control-token"])
    journal.record({"path": "/a", "headers": {"Authorization": "Bearer s3cret-control-token"}})
    journal.record({"path": "/b", "headers": {"X-Mock-Control-Token": "anything"}})
    assert "s3cret" not in json.dumps(journal.entries(), ensure_ascii=False)
    assert "anything" not in json.dumps(journal.entries(), ensure_ascii=False)


def test_a_served_journal_masks_keys_and_the_token(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(CONTROL_TOKEN="tok-for-control").test_client()
    client.post(discard_path(), headers=bearer())
    client.post(discard_path(), headers={"Authorization": "Bearer tok-for-control"})
    body = client.get("/__mock/requests", headers={"Authorization": "Bearer tok-for-control"}).get_json()
    shown = json.dumps(body)
    assert "sk_test_execute" not in shown and "tok-for-control" not in shown
    assert body["requests"][0]["headers"]["Authorization"] == "Bearer sk_test_…cute"


def test_a_record_holding_what_marshal_cannot_keep_is_kept_as_text() -> None:
    """Entries are kept serialized: a value the serializer refuses (a caller's own mapping, an object)
    is kept as its text, never an error on the request's path."""

    class Fields(dict[str, str]):  # a mapping of the caller's own class
        pass

    journal = RequestJournal(10)
    journal.record({"path": "/a", "headers": Fields({"x-request-id": "r-1"}), "marks": [object()], "status": 200})
    [entry] = journal.entries()
    assert entry["headers"] == {"X-Request-Id": "r-1"}
    assert entry["status"] == 200 and entry["marks"][0].startswith("<object object at")
