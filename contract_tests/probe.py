"""One preflight request: sent, its 429s waited out within a small budget, its answer read.

The waits are bounded per request and in all, so a target that throttles
every request ends the preflight in seconds, whatever its Retry-After says;
every answer's text is scrubbed of the run's credentials before a message
shows a part of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from discard_contract import rules
from discard_contract.exchange import ENVELOPE_FIELDS
from discard_contract.headers import RETRY_AFTER, retry_after_seconds

from .credentials import redact_url

TIMEOUT_SECONDS = 10.0
# A 429 is retried at most this often per request, each wait capped, all of them within a budget:
# a target that throttles every request ends the preflight in seconds, whatever its Retry-After says.
RETRIES_ON_429 = 2
MAX_WAIT_SECONDS = 2.0
WAIT_BUDGET_SECONDS = 10.0
BACKOFF_SECONDS = 0.2
# Answers to a keyless discard that say nothing is served at that path (a served one asks for a key).
NOT_SERVED = frozenset({404, 405})
SHOWN_CHARACTERS = 200


class PreflightError(Exception):
    """The run cannot judge the target; the message names the option at fault."""


@dataclass
class Answer:
    status: int
    content_type: str
    text: str
    body: Any

    def describe(self) -> str:
        text = " ".join(self.text.split())
        return f"{self.status} ({self.content_type or 'no Content-Type'}) {text[:SHOWN_CHARACTERS]!r}"

    @property
    def is_envelope(self) -> bool:
        """Looks like the API's envelope. Loosely: a target that drops a field of it
        is the contract tests' to fail, not a sign of a wrong URL."""
        return isinstance(self.body, dict) and sum(name in self.body for name in ENVELOPE_FIELDS) >= 2

    @property
    def shows_the_path_is_served(self) -> bool:
        """A keyless discard asked for a key (401, whoever wrote it: an auth gateway's HTML 401 too),
        or answered in the envelope with anything but "no such route", or failed (5xx: the tests'
        to report)."""
        return (
            self.status == rules.AUTH_401.status
            or self.status >= 500
            or (self.is_envelope and self.status not in NOT_SERVED)
        )


class Probe:
    """Sends the preflight's requests on one session and counts what the target throttled."""

    def __init__(self, scrub: Callable[[str], str], sleep: Callable[[float], Any] = time.sleep) -> None:
        self.session = requests.Session()
        self.scrub = scrub
        self.sleep = sleep
        self.sent = 0
        self.throttled = 0
        self.waited = 0.0

    def send(self, option: str, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Answer:
        """One request, its 429s retried within the preflight's budget; still 429 after that: cannot judge."""
        for attempt in range(RETRIES_ON_429 + 1):
            try:
                response = self.session.request(method, url, headers=headers, timeout=TIMEOUT_SECONDS, **kwargs)
            except requests.RequestException as exc:
                raise PreflightError(f"{option}: cannot reach {redact_url(url)}: {_reason(exc)}") from None
            self.sent += 1
            if response.status_code != rules.RATE_LIMIT.status:
                break
            self.throttled += 1
            if attempt == RETRIES_ON_429 or not self._wait(response, attempt):
                last = _answer(response, self.scrub).describe()
                raise PreflightError(
                    f"{self.throttled} of {self.sent} preflight requests throttled (429 after {RETRIES_ON_429} "
                    f"retries): {method} {redact_url(url)} answered {last}; let the run's key make more requests, "
                    "or run the gate when the target is less busy"
                )
        return _answer(response, self.scrub)

    def _wait(self, response: requests.Response, attempt: int) -> bool:
        """Waits before a 429's retry: its Retry-After or a backoff, capped, within what is left of the
        budget. False when the budget is spent."""
        left = WAIT_BUDGET_SECONDS - self.waited
        if left <= 0:
            return False
        value = response.headers.get(RETRY_AFTER)
        seconds = retry_after_seconds(value) if value else None
        delay = min(BACKOFF_SECONDS * 2.0**attempt if seconds is None else seconds, MAX_WAIT_SECONDS, left)
        self.sleep(delay)
        self.waited += delay
        return True


def _answer(response: requests.Response, scrub: Callable[[str], str]) -> Answer:
    """The answer, its text scrubbed before a message shows a part of it (a cut could keep half a key)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return Answer(response.status_code, response.headers.get("Content-Type", ""), scrub(response.text), body)


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause, in a few words (not urllib3's nested repr)."""
    if isinstance(exc, requests.Timeout):
        return f"no answer within {TIMEOUT_SECONDS:.0f} s"
    cause: BaseException = exc
    while cause.__cause__ is not None or (cause.args and isinstance(cause.args[0], BaseException)):
        cause = cause.__cause__ or cause.args[0]
    text = str(cause)
    if "Connection refused" in text or isinstance(cause, ConnectionRefusedError):
        return "connection refused (is the server running and the port right?)"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "the host name does not resolve"
    return text.split(": ", 1)[-1][:200] or type(cause).__name__
