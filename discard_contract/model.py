"""What every instance a run was given must be now: one model of the run, beside the target.

Every test tells the model what it was given and what the target answered;
at the end a census holds the target to it, instance by instance. Its
verdicts are data (`Expectation`), so the suite, a proxy that learns from
live traffic, and a unit test read the same rules.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import rules
from .ids import ID_FIELDS, InstanceIds
from .rules import Rule


class State(enum.Enum):
    PENDING = "pending"  # given pending approval; no 200 of this run named it
    DISCARDED = "discarded"  # a 200 of this run discarded it
    NOT_PENDING = "not pending"  # given not pending approval


@dataclass(frozen=True)
class Tracked:
    """One instance of the run: its state, and when it last changed (monotonic seconds)."""

    instance: InstanceIds
    state: State
    changed: float


@dataclass(frozen=True)
class Expectation:
    """What a discard of a tracked instance must answer, and the rule an other answer breaks."""

    status: int
    rule: Rule
    why: str


class RunModel:
    """Every instance the run was given, keyed by its path; safe to share between threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tracked: dict[tuple[str | None, ...], Tracked] = {}
        self._lock = threading.Lock()

    def given(self, instance: InstanceIds, *, pending: bool) -> None:
        """A provisioned instance: pending approval or not."""
        state = State.PENDING if pending else State.NOT_PENDING
        with self._lock:
            self._tracked[_key(instance.path())] = Tracked(instance, state, self._clock())

    def answered(self, path: Mapping[str, str], status: int) -> Tracked | None:
        """The target answered a discard of `path`: a 200 of a tracked instance discards it.

        Returns the instance as the model held it before (None for a path that names none of
        the run's instances), so that a caller can judge the answer against it."""
        with self._lock:
            before = self._tracked.get(_key(path))
            if before is not None and status in rules.DISCARD_200.statuses and before.state is State.PENDING:
                self._tracked[_key(path)] = replace(before, state=State.DISCARDED, changed=self._clock())
            return before

    def find(self, path: Mapping[str, str]) -> Tracked | None:
        with self._lock:
            return self._tracked.get(_key(path))

    def __iter__(self) -> Iterator[Tracked]:
        with self._lock:
            return iter(list(self._tracked.values()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._tracked)

    def settled(self, tracked: Tracked, settle_seconds: float) -> float:
        """Seconds from now until the instance's last change is `settle_seconds` old (0 when it is)."""
        return max(0.0, tracked.changed + settle_seconds - self._clock())

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**t.instance.as_json(), "state": t.state.value} for t in self._tracked.values()]


def expectation(tracked: Tracked) -> Expectation:
    """What a discard of the instance must answer now: the model's prediction, with the rule at stake."""
    if tracked.state is State.PENDING:
        return Expectation(
            rules.DISCARD_200.status,
            rules.ISOLATION,
            "the model holds it pending approval: no request of this run discarded it with a 200, "
            "so nothing may have changed it",
        )
    if tracked.state is State.DISCARDED:
        return Expectation(rules.FINAL.status, rules.FINAL, "this run discarded it (a 200), and a discard is final")
    return Expectation(
        rules.NOT_PENDING_409.status,
        rules.ISOLATION,
        "it was given not pending approval, and no request of this run may have made it pending",
    )


PATH_FIELDS = ID_FIELDS[:3]  # accountGroupId, campaignId, workflowInstanceId: what a path names


def _key(path: Mapping[str, str]) -> tuple[str | None, ...]:
    return tuple(path.get(name) for name in PATH_FIELDS)
