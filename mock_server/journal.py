"""The request journal: what the mock was asked, newest last, bounded."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

log = logging.getLogger("discard_mock")

REDACTED_HEADERS = frozenset({"cookie"})


class RequestJournal:
    """A ring buffer of request records; the oldest fall off past `capacity`.

    Recording is on every request's path and reading is rare, so a record is
    stored as given, with its number and clock reading; the timestamp is
    formatted and cookies are redacted when the journal is read.
    """

    def __init__(self, capacity: int = 1000) -> None:
        self._entries: deque[tuple[int, float, dict[str, Any]]] = deque(maxlen=max(capacity, 1))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        stamp = time.time()
        with self._lock:
            self._entries.append((next(self._ids), stamp, entry))

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._entries)
        kept = items if limit is None else items[max(len(items) - limit, 0) :]
        return [_rendered(*item) for item in kept]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0


def _rendered(entry_id: int, stamp: float, entry: dict[str, Any]) -> dict[str, Any]:
    if isinstance(entry.get("headers"), dict):
        entry = {**entry, "headers": _redacted(entry["headers"])}
    if isinstance(entry.get("responseBody"), bytes):  # kept as sent; decoded only when someone reads it
        entry = {**entry, "responseBody": entry["responseBody"].decode("utf-8", "replace")}
    return {"id": entry_id, "time": datetime.fromtimestamp(stamp, UTC).isoformat(), **entry}


def _redacted(headers: dict[str, Any]) -> dict[str, Any]:
    return {name: "[redacted]" if name.lower() in REDACTED_HEADERS else value for name, value in headers.items()}


def init_app(app: Flask, journal: RequestJournal, *, skip_prefix: str) -> None:
    """Times every request; records those outside `skip_prefix` (the control API) and logs one line for each."""

    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        # Runs on every request: the request is looked up once, not once per attribute.
        req = request._get_current_object()  # type: ignore[attr-defined]
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        trace_id = g.get("trace_id", "-")
        method, path, status = req.method, req.path, response.status_code
        if not path.startswith(skip_prefix):
            journal.record(
                {
                    "method": method,
                    "path": path,
                    "query": req.query_string.decode("latin-1"),
                    "headers": dict(req.headers),
                    "status": status,
                    "durationMs": round(elapsed_ms, 3),
                    "traceId": trace_id,
                    # The answer too, so the journal shows whole exchanges (the console's detail view).
                    "responseHeaders": dict(response.headers),
                    "responseBody": b"" if response.is_streamed else response.get_data(),
                }
            )
        log.info("%s %s %d %.1fms %s", method, path, status, elapsed_ms, trace_id)
        return response
