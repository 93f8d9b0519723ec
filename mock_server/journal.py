"""The request journal: what the mock was asked, newest last, bounded by count and by bytes."""

from __future__ import annotations

import itertools
import logging
import marshal
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.datastructures import Headers

from .redaction import Redactor
from .request_parts import environ_fields, environ_text
from .serving.log_writer import info_lines

log = logging.getLogger("discard_mock")

DEFAULT_CAPACITY = 1000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
# One entry's path, query and headers: past this, values are cut short (and the entry says so).
DEFAULT_MAX_ENTRY_BYTES = 16 * 1024
ENTRY_OVERHEAD = 200  # what an entry's other fields and its container cost, roughly, in bytes


class RequestJournal:
    """A ring buffer of request records; the oldest fall off past `capacity` entries or `max_bytes`.

    Recording is on every request's path and reading is rare, so a record is
    stored as given (cut short first if it is over `max_entry_bytes`), with
    its number and clock reading; the timestamp is formatted and the
    credentials are masked (redaction.py) when the journal is read.

    A record is kept serialized (`marshal`, about a microsecond): one object
    per entry, whose length is its size. Kept as the dict, its strings and
    containers, the oldest entry's removal freed a dozen objects that had
    long left the CPU's caches: that cost a discard more than the rest of its
    journaling together (bench/README.md).
    """

    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
        secrets: Iterable[str] = (),
    ) -> None:
        """`secrets`: values never shown (the control token), wherever a request carries them."""
        self._capacity = max(capacity, 1)
        self.max_bytes = max(max_bytes, 1)
        self.max_entry_bytes = max(min(max_entry_bytes, self.max_bytes), 256)
        self._redactor = Redactor(secrets)
        self._entries: deque[tuple[int, float, bytes]] = deque()
        self._bytes = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        stamp = time.time()
        kept = _serialized(entry)
        if len(kept) > self.max_entry_bytes:
            kept = _serialized(_cut_short(entry, len(kept), self.max_entry_bytes))
        entries = self._entries
        with self._lock:
            entries.append((next(self._ids), stamp, kept))
            self._bytes += len(kept)
            while len(entries) > self._capacity or (self._bytes > self.max_bytes and len(entries) > 1):
                self._bytes -= len(entries.popleft()[2])

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._entries)
        kept = items if limit is None else items[max(len(items) - limit, 0) :]
        return [self._rendered(entry_id, stamp, marshal.loads(entry)) for entry_id, stamp, entry in kept]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def size_bytes(self) -> int:
        """What the kept entries weigh, as the byte bound counts them."""
        return self._bytes

    def _rendered(self, entry_id: int, stamp: float, entry: dict[str, Any]) -> dict[str, Any]:
        redactor = self._redactor
        entry = {**entry}
        if isinstance(entry.get("headers"), Mapping):  # names sent in lower case as Werkzeug shows them: `X-Api-Key`
            entry["headers"] = redactor.headers(
                {name.title() if name.islower() else name: str(value) for name, value in entry["headers"].items()}
            )
        if isinstance(entry.get("responseHeaders"), list):  # kept as sent; a mapping when someone reads it
            entry["responseHeaders"] = dict(entry["responseHeaders"])
        if isinstance(entry.get("query"), str):
            entry["query"] = redactor.query(entry["query"])
        if isinstance(entry.get("path"), str):
            entry["path"] = redactor.text(entry["path"])
        if isinstance(entry.get("responseBody"), bytes):  # kept as sent; decoded only when someone reads it
            entry["responseBody"] = redactor.text(entry["responseBody"].decode("utf-8", "replace"))
        return {"id": entry_id, "time": datetime.fromtimestamp(stamp, UTC).isoformat(), **entry}


def _serialized(entry: dict[str, Any]) -> bytes:
    """The entry as kept; a value `marshal` cannot hold (an object a caller passed) is kept as its text."""
    try:
        return marshal.dumps(entry)
    except ValueError:
        return marshal.dumps(_plain(entry))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(name): _plain(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | bytes | int | float):
        return value
    return str(value)


def _cut_short(entry: dict[str, Any], size: int, limit: int) -> dict[str, Any]:
    """The entry within `limit` bytes: long strings cut to a share each, and a note of what was cut."""
    budget = max((limit - ENTRY_OVERHEAD) // (2 + len(entry.get("headers") or ())), 16)
    cut = {**entry, "truncated": {"originalBytes": size, "limitBytes": limit}}
    for field in ("path", "query"):
        if isinstance(cut.get(field), str) and len(cut[field]) > budget:
            cut[field] = cut[field][:budget] + "…"
    body = cut.get("responseBody")
    if isinstance(body, bytes) and len(body) > budget:
        cut["responseBody"] = body[:budget] + "…".encode()
    headers = entry.get("headers")
    if isinstance(headers, Mapping):
        kept: dict[str, Any] = {}
        room = limit - ENTRY_OVERHEAD - len(cut.get("path") or "") - len(cut.get("query") or "")
        room -= len(cut.get("responseBody") or b"")
        for name, value in headers.items():
            name = name[:budget]
            text = value if isinstance(value, str) else str(value)
            text = text[:budget] + "…" if len(text) > budget else text
            room -= len(name) + len(text) + 8
            if room < 0:
                cut["truncated"]["headersLeftOut"] = len(headers) - len(kept)
                break
            kept[name] = text
        cut["headers"] = kept
    return cut


class ExchangeLog:
    """What every answered request leaves behind, whoever answered it: a journal entry and a log line.

    Flask's answers reach it through the hooks of `init_app`; the endpoint's own route (route.py)
    calls it directly. Requests under `skip_prefix` (the control API) are logged, not journaled.
    """

    def __init__(self, journal: RequestJournal, *, skip_prefix: str) -> None:
        self.journal = journal
        self.skip_prefix = skip_prefix
        self._log_line = info_lines(log)

    def __call__(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        status: int,
        response_headers: list[tuple[str, str]] | Headers,
        body: bytes,
        started: float,
        trace_id: str,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """One answered request: `path` decoded; `headers` the request's fields by any-case name, kept as
        given (not copied: nobody changes a request's fields once it is answered); `started`, the
        request's time.perf_counter() reading; `extra`, more fields for the entry (a proxy's violations)."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        if not path.startswith(self.skip_prefix):
            self.journal.record(
                {
                    "method": method,
                    "path": path,
                    "query": query,
                    "headers": headers,
                    "status": status,
                    "durationMs": round(elapsed_ms, 3),
                    "traceId": trace_id,
                    # The answer too, so the journal shows whole exchanges (the console's detail view).
                    "responseHeaders": response_headers if type(response_headers) is list else list(response_headers),
                    "responseBody": body,
                    **(extra or {}),
                }
            )
        self._log_line(f"{method} {path} {status} {elapsed_ms:.1f}ms {trace_id}")


def init_app(app: Flask, exchanges: ExchangeLog) -> None:
    """Times every request Flask serves, and hands each answer to `exchanges`."""

    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        # Runs on every request: the request is looked up once, not once per attribute.
        req = request._get_current_object()  # type: ignore[attr-defined]
        body = b"" if response.is_streamed else response.get_data()
        exchanges(
            req.method,
            req.path,
            environ_text(req.environ.get("QUERY_STRING", "")),
            environ_fields(req.environ),
            response.status_code,
            response.headers,
            body,
            g.get("started", time.perf_counter()),
            g.get("trace_id", "-"),
        )
        return response
