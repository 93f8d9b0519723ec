"""Injected faults: errors and latency on demand, free of HTTP and storage.

A team tests its retry and error handling against the mock by asking for a
documented error status (a 429, a 500, a 502 …), now and then or for the next
N requests, optionally for one instance only, with or without extra latency.
An injected error is answered before any rule runs, so it never changes state.
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
FIELDS = ("status", "count", "probability", "latencyMs", "workflowInstanceId", "retryAfterSeconds")


class FaultError(ValueError):
    """A fault description that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One injection rule.

    `count` is how many more requests it hits (None: no limit); `probability`
    is its chance per matching request (None: every one). A fault without a
    status only adds latency, and the request then goes on as usual.
    """

    id: str
    status: int | None = None
    count: int | None = None
    probability: float | None = None
    latency_ms: int = 0
    workflow_instance_id: str | None = None
    retry_after_seconds: int | None = None

    def matches(self, workflow_instance_id: str | None) -> bool:
        return self.workflow_instance_id is None or self.workflow_instance_id == workflow_instance_id

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
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
            count=doc.get("count"),
            probability=doc.get("probability"),
            latency_ms=doc.get("latencyMs") or 0,
            workflow_instance_id=doc.get("workflowInstanceId"),
            retry_after_seconds=doc.get("retryAfterSeconds"),
        )


@dataclass(frozen=True, slots=True)
class Injection:
    """What the faults that fired ask of one request: a delay, then maybe an error."""

    latency_ms: int
    error: Fault | None


def error_statuses(documented: Iterable[int]) -> tuple[int, ...]:
    """The statuses a fault may answer with: the endpoint's documented errors."""
    return tuple(status for status in documented if status >= 400)


def new_fault_id() -> str:
    return "flt_" + secrets.token_hex(6)


def parse_fault(doc: Any, allowed_statuses: Collection[int], fault_id: str | None = None) -> Fault:
    """A fault from its JSON description (the control API's and the serve flags')."""
    if not isinstance(doc, Mapping):
        raise FaultError("Describe the fault as a JSON object with " + ", ".join(FIELDS) + ".")
    unknown = sorted(set(doc) - set(FIELDS))
    if unknown:
        raise FaultError(f"Unknown fault field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}.")
    status = doc.get("status")
    latency = doc.get("latencyMs", 0)
    count = doc.get("count")
    probability = doc.get("probability")
    retry_after = doc.get("retryAfterSeconds")
    instance = doc.get("workflowInstanceId")

    if not _is_int(latency) or not 0 <= latency <= MAX_LATENCY_MS:
        raise FaultError(f"latencyMs must be a whole number from 0 to {MAX_LATENCY_MS}; got {latency!r}.")
    if status is None:
        if latency == 0:
            raise FaultError("Give the fault a status to answer with, a latencyMs to wait, or both.")
    elif not _is_int(status) or status not in allowed_statuses:
        raise FaultError(
            f"status must be a documented error status of the endpoint "
            f"({', '.join(map(str, sorted(allowed_statuses)))}); got {status!r}."
        )
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
        if status != 429:
            raise FaultError("retryAfterSeconds goes with status 429 only.")
        if not _is_int(retry_after) or not 0 <= retry_after <= MAX_RETRY_AFTER_SECONDS:
            raise FaultError(
                f"retryAfterSeconds must be a whole number from 0 to {MAX_RETRY_AFTER_SECONDS}; got {retry_after!r}."
            )
    elif status == 429:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
    return Fault(
        id=fault_id or new_fault_id(),
        status=status,
        count=count,
        probability=float(probability) if probability is not None else None,
        latency_ms=latency,
        workflow_instance_id=instance,
        retry_after_seconds=retry_after,
    )


def inject(
    faults: Iterable[Fault],
    workflow_instance_id: str | None,
    consume: Callable[[Fault], bool],
    chance: Callable[[], float],
) -> Injection | None:
    """Which faults fire for one request, in the order they were added.

    Every latency-only fault that fires adds its delay (the longest wins); the
    first error fault that fires answers, and later error faults are not
    consulted, so their counts are not spent. `consume` takes one hit off a
    counted fault atomically and says whether one was left.
    """
    latency = 0
    for fault in faults:
        if not fault.matches(workflow_instance_id):
            continue
        if fault.probability is not None and chance() >= fault.probability:
            continue
        if fault.count is not None and not consume(fault):
            continue
        latency = max(latency, fault.latency_ms)
        if fault.status is not None:
            return Injection(latency, fault)
    return Injection(latency, None) if latency else None


def fault_message(fault: Fault) -> str:
    """The error message of an injected answer: says it was injected, and that nothing changed."""
    reason = HTTPStatus(fault.status).phrase if fault.status else "Error"
    message = f"{reason}, injected by the mock (fault {fault.id}); the request changed nothing."
    if fault.status == 429:
        message += f" Retry after {fault.retry_after_seconds} second(s)."
    return message


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_utf8(text: str) -> bool:
    """False for a string with lone surrogates (JSON's \\ud800), which no store can write as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
