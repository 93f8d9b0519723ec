"""One request and its answer, as every judge of the contract sees it.

The suite builds it from Schemathesis' response, a proxy from the bytes it
relays, a unit test by hand: the checks read nothing else, so all three are
judged by the same code on the same facts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

ENVELOPE_FIELDS = ("success", "data", "error", "traceId")
ERROR_FIELDS = ("code", "message", "details")

HeaderFields = Mapping[str, str | list[str]] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class Exchange:
    """`method` and `target` (path and query) as sent; `status`, header fields and body as answered."""

    method: str
    target: str
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    _index: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, method: str, target: str, status: int, headers: HeaderFields = (), body: bytes = b"") -> Exchange:
        """From header fields in any common shape: pairs, a mapping, or a mapping to lists (Schemathesis')."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        pairs = tuple(
            (name, value) for name, values in items for value in (values if isinstance(values, list) else [values])
        )
        return cls(method.upper(), target, status, pairs, body)

    def __post_init__(self) -> None:
        for name, value in self.headers:
            self._index.setdefault(name.lower(), []).append(value)

    def header(self, name: str) -> str | None:
        """The first field of that name, whatever its case; None when absent."""
        values = self._index.get(name.lower())
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        return list(self._index.get(name.lower(), ()))

    @cached_property
    def envelope(self) -> dict[str, Any] | None:
        """The body parsed, when it is a JSON object; else None."""
        try:
            body = json.loads(self.body)
        except (ValueError, RecursionError):
            return None
        return body if isinstance(body, dict) else None

    @property
    def data(self) -> dict[str, Any]:
        """`data` of the envelope, or an empty object."""
        data = (self.envelope or {}).get("data")
        return data if isinstance(data, dict) else {}

    @property
    def error(self) -> dict[str, Any] | None:
        error = (self.envelope or {}).get("error")
        return error if isinstance(error, dict) else None

    def describe(self, limit: int = 1000) -> str:
        """The answer in one line, for a failure message: status and the start of the body."""
        return f"{self.status} {self.body[:limit].decode(errors='replace')}"
