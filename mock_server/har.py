"""The request journal as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), for browser dev tools and
HAR readers.

Built from journal entries as the journal shows them, credentials already
masked (redaction.py). The journal keeps no request body, so no `postData`;
sizes it cannot know are -1, as HAR says.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any
from urllib.parse import parse_qsl, quote

from werkzeug.http import HTTP_STATUS_CODES

from .request_parts import PATH_SAFE

HAR_VERSION = "1.2"
CREATOR = "discard-mock"


def _version() -> str:
    try:
        return importlib.metadata.version("sonarly-discard-contract")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _pairs(fields: dict[str, Any] | None) -> list[dict[str, str]]:
    return [{"name": name, "value": str(value)} for name, value in (fields or {}).items()]


def _header_size(fields: dict[str, Any] | None) -> int:
    return sum(len(name) + len(str(value)) + 4 for name, value in (fields or {}).items())


def entry(record: dict[str, Any], base_url: str) -> dict[str, Any]:
    """One journal entry as a HAR entry."""
    headers = record.get("headers") or {}
    query = record.get("query") or ""
    response_headers = record.get("responseHeaders") or {}
    body = record.get("responseBody") or ""
    length = len(body.encode("utf-8"))
    content_type = next((str(v) for k, v in response_headers.items() if k.lower() == "content-type"), "")
    elapsed = float(record.get("durationMs") or 0)
    status = int(record["status"])
    return {
        "startedDateTime": record["time"],
        "time": elapsed,
        "request": {
            "method": record["method"],
            "url": base_url + quote(record["path"], safe=PATH_SAFE) + (f"?{query}" if query else ""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(headers),
            "queryString": [{"name": n, "value": v} for n, v in parse_qsl(query, keep_blank_values=True)],
            "headersSize": -1,
            "bodySize": int(headers.get("Content-Length") or 0),
        },
        "response": {
            "status": status,
            "statusText": HTTP_STATUS_CODES.get(status, ""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(response_headers),
            "content": {"size": length, "mimeType": content_type, "text": body},
            "redirectURL": "",
            "headersSize": _header_size(response_headers),
            "bodySize": length,
        },
        "cache": {},
        "timings": {"send": 0, "wait": elapsed, "receive": 0},
        "comment": f"traceId {record.get('traceId')}"
        + "".join(f"; violation [{v['rule']}]: {v['why']}" for v in record.get("violations") or ()),
    }


def har(records: list[dict[str, Any]], base_url: str) -> dict[str, Any]:
    """The whole journal as one HAR log, oldest first."""
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": CREATOR, "version": _version()},
            "pages": [],
            "entries": [entry(record, base_url) for record in records],
        }
    }
