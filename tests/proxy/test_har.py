"""The journal as HAR 1.2 (`GET /__mock/requests?format=har`), from the proxy and from the mock alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from ..support.helpers import EXECUTE_KEY, assert_error_envelope, bearer, path_of
from ..support.proxied import ProxyProcess, provision
from ..support.served import MockProcess


def journal_har(server: MockProcess) -> dict[str, Any]:
    answer = requests.get(server.url("/__mock/requests?format=har"), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


# What HAR 1.2 requires of each object (http://www.softwareishard.com/blog/har-12-spec/, "required" fields only).
HAR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["log"],
    "properties": {
        "log": {
            "type": "object",
            "required": ["version", "creator", "entries"],
            "properties": {
                "version": {"const": "1.2"},
                "creator": {"$ref": "#/$defs/creator"},
                "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
            },
        }
    },
    "$defs": {
        "creator": {"type": "object", "required": ["name", "version"]},
        "pair": {
            "type": "object",
            "required": ["name", "value"],
            "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
        },
        "pairs": {"type": "array", "items": {"$ref": "#/$defs/pair"}},
        "entry": {
            "type": "object",
            "required": ["startedDateTime", "time", "request", "response", "cache", "timings"],
            "properties": {
                "startedDateTime": {"type": "string", "format": "date-time"},
                "time": {"type": "number", "minimum": 0},
                "request": {
                    "type": "object",
                    "required": [
                        "method",
                        "url",
                        "httpVersion",
                        "cookies",
                        "headers",
                        "queryString",
                        "headersSize",
                        "bodySize",
                    ],
                    "properties": {
                        "url": {"type": "string", "pattern": "^http://"},
                        "cookies": {"type": "array"},
                        "headers": {"$ref": "#/$defs/pairs"},
                        "queryString": {"$ref": "#/$defs/pairs"},
                        "headersSize": {"type": "integer"},
                        "bodySize": {"type": "integer"},
                    },
                },
                "response": {
                    "type": "object",
                    "required": [
                        "status",
                        "statusText",
                        "httpVersion",
                        "cookies",
                        "headers",
                        "content",
                        "redirectURL",
                        "headersSize",
                        "bodySize",
                    ],
                    "properties": {
                        "status": {"type": "integer"},
                        "headers": {"$ref": "#/$defs/pairs"},
                        "content": {
                            "type": "object",
                            "required": ["size", "mimeType"],
                            "properties": {"size": {"type": "integer"}, "mimeType": {"type": "string"}},
                        },
                        "headersSize": {"type": "integer"},
                        "bodySize": {"type": "integer"},
                    },
                },
                "cache": {"type": "object"},
                "timings": {
                    "type": "object",
                    "required": ["send", "wait", "receive"],
                    "properties": {name: {"type": "number", "minimum": -1} for name in ("send", "wait", "receive")},
                },
            },
        },
    },
}


@pytest.mark.parametrize("side", ["proxy", "upstream"])
def test_the_journal_as_har_has_every_field_har_requires_and_reads_back_whole(
    side: str, proxy: ProxyProcess, upstream: MockProcess
) -> None:
    from haralyzer import HarParser
    from jsonschema import Draft202012Validator

    server = proxy if side == "proxy" else upstream
    ids = provision(proxy)
    proxy.call("POST", path_of(ids) + "?source=har", headers=bearer())
    har = journal_har(server)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(HAR_SCHEMA).iter_errors(har)]
    assert problems == []
    entries = har["log"]["entries"]
    (mine,) = [e for e in entries if e["request"]["url"].endswith(path_of(ids) + "?source=har")]
    assert mine["request"]["url"].startswith(server.base_url)
    assert {"name": "source", "value": "har"} in mine["request"]["queryString"]
    authorization = next(h["value"] for h in mine["request"]["headers"] if h["name"] == "Authorization")
    assert EXECUTE_KEY not in json.dumps(har) and authorization.startswith("Bearer sk_test_…")
    assert json.loads(mine["response"]["content"]["text"])["success"] is True
    parsed = HarParser.from_string(json.dumps(har))  # the reader takes the file's text, as a HAR file holds it
    read = [entry for page in parsed.pages for entry in page.entries]
    assert [(e.request.method, e.url, e.status) for e in read] == [
        (e["request"]["method"], e["request"]["url"], e["response"]["status"]) for e in entries
    ]
    assert parsed.version == "1.2" and parsed.creator["name"] == "discard-mock"


def test_an_unknown_journal_format_is_refused_in_the_envelope(proxy: ProxyProcess) -> None:
    status, _, body = proxy.call("GET", "/__mock/requests?format=xml")
    assert status == 400
    assert_error_envelope(body, 400)
    assert "har" in body["error"]["message"]
