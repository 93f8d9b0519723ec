"""The response header fields the contract speaks of, and how they are read and written.

`Retry-After` (RFC 9110, 10.2.3) is delay-seconds or an HTTP-date: the mock
writes whole seconds, a gateway may write a date, and the suite, the mock's
tests and a proxy all read it with `retry_after_seconds`.
"""

from __future__ import annotations

import math
import re
import time
from email.utils import parsedate_to_datetime

RETRY_AFTER = "Retry-After"
CONTENT_TYPE = "Content-Type"
ALLOW = "Allow"
JSON_MEDIA_TYPE = "application/json"

_DELAY_SECONDS = re.compile(r"[0-9]+\Z")


def retry_after_seconds(value: str, now: float | None = None) -> float | None:
    """Seconds to wait, from a Retry-After value; None when it is neither form RFC 9110 allows."""
    text = value.strip()
    if _DELAY_SECONDS.match(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110's IMF-fixdate is GMT; an obsolete form without a zone is not one
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retry_after_value(wait_seconds: float) -> str:
    """A Retry-After value in whole seconds; never 0, or a client would retry at once and fail again."""
    return str(max(1, math.ceil(wait_seconds)))


def media_type(content_type: str | None) -> str:
    """'application/json' of 'Application/JSON; charset=utf-8'."""
    return (content_type or "").partition(";")[0].strip().lower()
