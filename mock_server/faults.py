"""Injected faults: errors, latency and broken connections on demand, free of HTTP and storage.

A team tests its retry and error handling against the mock by asking for an
error status (a documented 429, 500, 502 …, or any other from 400 to 599, such
as a gateway's 503 or 504), or for what a flaky network does (a connection
reset, an empty or malformed answer, a body that trickles in), now and then or
for the next N requests, optionally for one instance only, with or without
extra latency. An injected fault acts before any rule runs, so it never
changes state; only a `slow-body` fault without a status lets the request go
on, and slows its answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_LATENCY_MS = 60_000
# Bounds that keep a fault a number every store holds as is (SQLite's integers stop at 2**63 - 1).
MAX_COUNT = 1_000_000
MAX_RETRY_AFTER_SECONDS = 86_400
MAX_INSTANCE_ID_LENGTH = 128
# The wait a 429 or 503 of the mock names when nothing computed one (a fault, an example, a store outage).
DEFAULT_RETRY_AFTER_SECONDS = 1
# The statuses whose answers say when to come back (RFC 9110 10.2.3, RFC 6585 4).
RETRY_AFTER_STATUSES = (429, 503)
FAULT_STATUSES = range(400, 600)
# The kinds of fault a network makes. The first three break the connection instead of answering:
CONNECTION_RESET = "connection-reset"  # closed without an answer, with a TCP RST
EMPTY_RESPONSE = "empty-response"  # closed without a byte of answer (a FIN)
MALFORMED_RESPONSE = "malformed-response"  # bytes that are not HTTP, then closed
BREAKING_KINDS = (CONNECTION_RESET, EMPTY_RESPONSE, MALFORMED_RESPONSE)
SLOW_BODY = "slow-body"  # a whole answer, its body trickled out over latencyMs
KINDS = (*BREAKING_KINDS, SLOW_BODY)
FIELDS = ("status", "kind", "count", "probability", "latencyMs", "workflowInstanceId", "retryAfterSeconds")


class FaultError(ValueError):
    """A fault description that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One injection rule.

    `count` is how many more requests it hits (None: no limit); `probability`
    is its chance per matching request (None: every one). A fault without a
    status or kind only adds latency, and the request then goes on as usual.
    A `slow-body` fault spends its latency trickling the body out instead.
    `documented` says whether the spec documents `status` (None without one).
    """

    id: str
    status: int | None = None
    kind: str | None = None
    count: int | None = None
    probability: float | None = None
    latency_ms: int = 0
    workflow_instance_id: str | None = None
    retry_after_seconds: int | None = None
    documented: bool | None = None

    @property
    def breaks_connection(self) -> bool:
        return self.kind in BREAKING_KINDS

    @property
    def answers(self) -> bool:
        """Whether it answers in place of the endpoint (with its status, or by breaking the connection)."""
        return self.status is not None or self.breaks_connection

    @property
    def slows_body(self) -> bool:
        return self.kind == SLOW_BODY

    def matches(self, workflow_instance_id: str | None) -> bool:
        return self.workflow_instance_id is None or self.workflow_instance_id == workflow_instance_id

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "documented": self.documented,
            "kind": self.kind,
            "count": self.count,
            "probability": self.probability,
            "latencyMs": self.latency_ms,
            "workflowInstanceId": self.workflow_instance_id,
            "retryAfterSeconds": self.retry_after_seconds,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Fault:
        """Reads back what `to_json` wrote (storage), without re-validating."""
        return cls(
            id=doc["id"],
            status=doc.get("status"),
            kind=doc.get("kind"),
            count=doc.get("count"),
            probability=doc.get("probability"),
            latency_ms=doc.get("latencyMs") or 0,
            workflow_instance_id=doc.get("workflowInstanceId"),
            retry_after_seconds=doc.get("retryAfterSeconds"),
            documented=doc.get("documented"),
        )


@dataclass(frozen=True, slots=True)
class Injection:
    """What the faults that fired ask of one request: a delay, maybe a fault that answers, maybe a slow body.

    `body_ms` is the time the answer's body is to take (a `slow-body` fault's latency), 0 for at once.
    """

    latency_ms: int
    error: Fault | None
    body_ms: int = 0


def error_statuses(documented: Iterable[int]) -> tuple[int, ...]:
    """The endpoint's documented error statuses: a fault with one of them is marked `documented`."""
    return tuple(status for status in documented if status >= 400)


def new_fault_id() -> str:
    return "flt_" + secrets.token_hex(6)


def parse_fault(doc: Any, documented_statuses: Collection[int], fault_id: str | None = None) -> Fault:
    """A fault from its JSON description (the control API's and the serve flags')."""
    if not isinstance(doc, Mapping):
        raise FaultError("Describe the fault as a JSON object with " + ", ".join(FIELDS) + ".")
    unknown = sorted(set(doc) - set(FIELDS))
    if unknown:
        raise FaultError(f"Unknown fault field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}.")
    status = doc.get("status")
    kind = doc.get("kind")
    latency = doc.get("latencyMs", 0)
    count = doc.get("count")
    probability = doc.get("probability")
    retry_after = doc.get("retryAfterSeconds")
    instance = doc.get("workflowInstanceId")

    if not _is_int(latency) or not 0 <= latency <= MAX_LATENCY_MS:
        raise FaultError(f"latencyMs must be a whole number from 0 to {MAX_LATENCY_MS}; got {latency!r}.")
    if kind is not None and kind not in KINDS:
        raise FaultError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}.")
    if status is not None and (not _is_int(status) or status not in FAULT_STATUSES):
        raise FaultError(
            f"status must be an error status from {FAULT_STATUSES[0]} to {FAULT_STATUSES[-1]} (documented: "
            f"{', '.join(map(str, sorted(documented_statuses)))}); got {status!r}."
        )
    _check_combination(status, kind, latency, retry_after)
    if count is not None and probability is not None:
        raise FaultError("Give count (the next N requests) or probability (a chance per request), not both.")
    if count is not None and (not _is_int(count) or not 1 <= count <= MAX_COUNT):
        raise FaultError(f"count must be a whole number from 1 to {MAX_COUNT}; got {count!r}.")
    if probability is not None and (
        isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 < probability <= 1
    ):
        raise FaultError(f"probability must be a number above 0 and at most 1; got {probability!r}.")
    if instance is not None and (
        not isinstance(instance, str)
        or not 0 < len(instance) <= MAX_INSTANCE_ID_LENGTH
        or not instance.isprintable()
        or not _is_utf8(instance)
    ):
        raise FaultError(
            f"workflowInstanceId must be a string of 1 to {MAX_INSTANCE_ID_LENGTH} printable characters "
            "(leave it out to hit every instance)."
        )
    if retry_after is not None:
        if not _is_int(retry_after) or not 0 <= retry_after <= MAX_RETRY_AFTER_SECONDS:
            raise FaultError(
                f"retryAfterSeconds must be a whole number from 0 to {MAX_RETRY_AFTER_SECONDS}; got {retry_after!r}."
            )
    elif status in RETRY_AFTER_STATUSES:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
    return Fault(
        id=fault_id or new_fault_id(),
        status=status,
        kind=kind,
        count=count,
        probability=float(probability) if probability is not None else None,
        latency_ms=latency,
        workflow_instance_id=instance,
        retry_after_seconds=retry_after,
        documented=None if status is None else status in documented_statuses,
    )


def _check_combination(status: Any, kind: Any, latency: int, retry_after: Any) -> None:
    """FaultError for fields that make no sense together, naming them and what would."""
    if kind in BREAKING_KINDS:
        if status is not None:
            raise FaultError(
                f"kind {kind} answers with no status, so it takes none; leave status out, or leave kind out "
                "to answer with the status."
            )
        if retry_after is not None:
            raise FaultError(f"retryAfterSeconds goes with status {' or '.join(map(str, RETRY_AFTER_STATUSES))}; "
                             f"kind {kind} sends no header.")  # fmt: skip
        return
    if kind == SLOW_BODY and latency == 0:
        raise FaultError(f"kind {SLOW_BODY} trickles the body out over latencyMs: give latencyMs from 1 to "
                         f"{MAX_LATENCY_MS}.")  # fmt: skip
    if status is None and kind is None and latency == 0:
        raise FaultError(
            f"Give the fault a status to answer with, a kind ({', '.join(KINDS)}), a latencyMs to wait, or these "
            "together."
        )
    if retry_after is not None and status not in RETRY_AFTER_STATUSES:
        raise FaultError(
            f"retryAfterSeconds goes with status {' or '.join(map(str, RETRY_AFTER_STATUSES))} only; got status "
            f"{status!r}."
        )


def inject(
    faults: Iterable[Fault],
    workflow_instance_id: str | None,
    consume: Callable[[Fault], bool],
    chance: Callable[[], float],
) -> Injection | None:
    """Which faults fire for one request, in the order they were added.

    Every latency-only fault that fires adds its delay (the longest wins), and
    every `slow-body` fault its body time (the longest wins); the first fault
    that answers (a status, or a broken connection) does, and later ones are
    not consulted, so their counts are not spent. `consume` takes one hit off
    a counted fault atomically and says whether one was left.
    """
    latency = 0
    body_ms = 0
    for fault in faults:
        if not fault.matches(workflow_instance_id):
            continue
        if fault.probability is not None and chance() >= fault.probability:
            continue
        if fault.count is not None and not consume(fault):
            continue
        if fault.slows_body:
            body_ms = max(body_ms, fault.latency_ms)
        else:
            latency = max(latency, fault.latency_ms)
        if fault.answers:
            return Injection(latency, fault, body_ms)
    return Injection(latency, None, body_ms) if latency or body_ms else None


def fault_message(fault: Fault) -> str:
    """The error message of an injected answer: says it was injected, and that nothing changed."""
    reason = _phrase(fault.status) if fault.status else "Error"
    message = f"{reason}, injected by the mock (fault {fault.id}); the request changed nothing."
    if fault.status in RETRY_AFTER_STATUSES:
        message += f" Retry after {fault.retry_after_seconds} second(s)."
    return message


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a status no RFC names (e.g. 599)
        return f"Error {status}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_utf8(text: str) -> bool:
    """False for a string with lone surrogates (JSON's \\ud800), which no store can write as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
