"""A state model learned from live traffic: what relayed answers showed of each instance, and the rules later
answers must keep.

The suite's `RunModel` knows the instances it was given; a proxy knows only
what passes through it: instances given by a provider-state call it relayed,
and what each discard's answer showed. From that alone four rules can be
held to later answers: a discarded instance is 409 from then on (repeat-409),
parallel discards give one 200 (concurrent), a 200 names the path's instance
(discard-200), and a rejected request changed nothing (rejected-unchanged),
with isolation for a pending instance that changed with no request naming it.
Every method is safe to call from many threads; nothing here sends or waits.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from . import rules
from .checks import discarded_instance
from .exchange import Exchange
from .ids import InstanceIds
from .model import State
from .rules import Rule
from .violations import ContractViolation

# A request the target refused: the contract's "rejected" statuses but 409, which is the state's own answer.
REJECTED = range(400, 430)
MAX_REJECTIONS_KEPT = 8  # per instance: enough to name in a finding


@dataclass(frozen=True)
class Finding:
    """One rule one exchange broke, and why (a violation without the request and answer, which the caller has)."""

    rule: Rule
    why: str

    @classmethod
    def of(cls, error: ContractViolation) -> Finding:
        return cls(error.rule, error.message)


@dataclass
class Seen:
    """What the traffic showed of one instance so far (None: not shown)."""

    workflow_instance_id: str  # as first spelled (a provider state's, else the first path's)
    account_group_id: str | None = None
    campaign_id: str | None = None
    lead_id: str | None = None
    state: State | None = None
    lead_status: dict[str, Any] | None = None  # the last leadStatus an answer showed, or a provider state's
    workflow_status: str | None = None  # from a 409's details, when it names one
    discarded_at: int = 0  # the exchange number whose 200 discarded it
    discarded_by: str = ""  # that request's credential, as a fingerprint
    rejected: list[str] = field(default_factory=list)  # refused requests naming it since its state was last shown
    in_flight: int = 0

    def ids(self, path: Mapping[str, str], answer: Exchange) -> InstanceIds:
        """The instance a 200 must describe: as given, else as the path names it (hex IDs in either case)."""
        shown = answer.data.get("workflowInstanceId")
        lead = answer.data.get("leadStatus")
        same = isinstance(shown, str) and shown.lower() == self.workflow_instance_id.lower()
        wid = shown if same and isinstance(shown, str) else path_id(path)
        return InstanceIds(
            self.account_group_id or path["accountGroupId"],
            self.campaign_id or path["campaignId"],
            wid,
            self.lead_id or str((lead if isinstance(lead, dict) else {}).get("leadId")),
        )


def path_id(path: Mapping[str, str]) -> str:
    return unquote(path["workflowInstanceId"])


def instance_key(workflow_instance_id: str) -> str:
    """The model's key: the ID as the path decodes it, in lower case (ObjectIds read either case)."""
    return unquote(workflow_instance_id).lower()


def credential_fingerprint(authorization: str | None) -> str:
    """Tells two credentials apart without keeping either."""
    return hashlib.sha256((authorization or "").encode()).hexdigest()[:16]


class TrafficModel:
    """The instances relayed traffic showed, keyed by workflowInstanceId; exchanges numbered in order."""

    def __init__(self) -> None:
        self._seen: dict[str, Seen] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def sent(self, path: Mapping[str, str]) -> int:
        """A discard of `path` is on its way: its number, to hand back with its answer."""
        with self._lock:
            self._entry(path["workflowInstanceId"]).in_flight += 1
            return next(self._numbers)

    def abandoned(self, path: Mapping[str, str]) -> None:
        """A discard `sent` never reached the target (it could not be reached): no answer will come."""
        with self._lock:
            seen = self._entry(path["workflowInstanceId"])
            seen.in_flight = max(seen.in_flight - 1, 0)

    def given(self, instance: InstanceIds, *, pending: bool, lead_status: dict[str, Any] | None = None) -> None:
        """A provider-state call created `instance`, pending approval or not."""
        with self._lock:
            seen = self._entry(instance.workflow_instance_id)
            seen.workflow_instance_id = instance.workflow_instance_id
            seen.account_group_id, seen.campaign_id = instance.account_group_id, instance.campaign_id
            seen.lead_id, seen.lead_status = instance.lead_id, lead_status
            seen.state = State.PENDING if pending else State.NOT_PENDING
            seen.rejected.clear()

    def forget(self) -> None:
        """The target went back to its seeded data (a reset): nothing shown so far holds any more."""
        with self._lock:
            self._seen.clear()

    def answered(self, path: Mapping[str, str], number: int, answer: Exchange, credential: str) -> list[Finding]:
        """The answer to discard number `number` of `path`: the rules it broke, and what it shows, learned."""
        with self._lock:
            answered_at = next(self._numbers)
            seen = self._entry(path["workflowInstanceId"])
            seen.in_flight = max(seen.in_flight - 1, 0)
            if answer.status in rules.DISCARD_200.statuses:
                return self._discarded(seen, path, number, answered_at, answer, credential)
            if answer.status in rules.REPEAT_409.statuses:
                seen.account_group_id = seen.account_group_id or path["accountGroupId"]
                seen.campaign_id = seen.campaign_id or path["campaignId"]
                return self._conflict(seen, answer)
            findings = []
            if (
                answer.status in rules.SCOPE_404.statuses
                and seen.state is State.DISCARDED
                and credential == seen.discarded_by
                and (path["accountGroupId"], path["campaignId"]) == (seen.account_group_id, seen.campaign_id)
            ):
                findings.append(
                    Finding(
                        rules.REPEAT_409,
                        f"instance {seen.workflow_instance_id} was discarded (a 200, exchange #{seen.discarded_at}); "
                        f"the same key's later discard of the same path must be {rules.REPEAT_409.expected}, "
                        f"got {answer.status}: the instance vanished",
                    )
                )
            if answer.status in REJECTED and seen.state is State.PENDING:
                seen.rejected[:] = [*seen.rejected, f"{answer.status} (exchange #{number})"][-MAX_REJECTIONS_KEPT:]
            return findings

    def _discarded(
        self, seen: Seen, path: Mapping[str, str], number: int, answered_at: int, answer: Exchange, credential: str
    ) -> list[Finding]:
        findings = []
        try:
            discarded_instance(answer, seen.ids(path, answer))
        except ContractViolation as broken:
            findings.append(Finding.of(broken))
        wid = seen.workflow_instance_id
        if seen.state is State.DISCARDED and number < seen.discarded_at:
            findings.append(
                Finding(
                    rules.CONCURRENT,
                    f"a second 200 for instance {wid}: this discard was sent before the 200 of exchange "
                    f"#{seen.discarded_at} came back; parallel discards must give exactly one 200, the others 409",
                )
            )
        elif seen.state is State.DISCARDED:
            findings.append(
                Finding(
                    rules.REPEAT_409,
                    f"instance {wid} was discarded (a 200, exchange #{seen.discarded_at}); a later discard must be "
                    f"{rules.REPEAT_409.expected} (not idempotent), got 200",
                )
            )
        else:
            seen.state, seen.discarded_at, seen.discarded_by = State.DISCARDED, answered_at, credential
            seen.account_group_id = seen.account_group_id or path["accountGroupId"]
            seen.campaign_id = seen.campaign_id or path["campaignId"]
        lead = answer.data.get("leadStatus")
        if isinstance(lead, dict) and not findings:
            seen.lead_status = lead
            if seen.lead_id is None and isinstance(lead.get("leadId"), str):
                seen.lead_id = lead["leadId"]
        seen.rejected.clear()
        return findings

    def _conflict(self, seen: Seen, answer: Exchange) -> list[Finding]:
        findings = []
        if seen.state is State.PENDING and seen.in_flight == 0:  # another discard in flight may be the 200
            wid = seen.workflow_instance_id
            if seen.rejected:
                findings.append(
                    Finding(
                        rules.REJECTED_UNCHANGED,
                        f"instance {wid} was given pending approval and no discard of it was answered 200 since, "
                        f"but it is now 409 after requests the target rejected named it "
                        f"({', '.join(seen.rejected)}): a rejected request changed it",
                    )
                )
            else:
                findings.append(
                    Finding(
                        rules.ISOLATION,
                        f"instance {wid} was given pending approval and no request was answered 200 for it since, "
                        "yet a discard of it is 409: something else changed it",
                    )
                )
        if seen.state is not State.DISCARDED:
            seen.state = State.NOT_PENDING
        details = (answer.error or {}).get("details")
        if isinstance(details, str):
            seen.workflow_status = details
        seen.rejected.clear()
        return findings

    def _entry(self, workflow_instance_id: str) -> Seen:
        key = instance_key(workflow_instance_id)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = Seen(unquote(workflow_instance_id))
        return seen

    def shown(self) -> Iterator[Seen]:
        """Every instance an answer showed (a state, or a provider state's IDs), as copies."""
        with self._lock:
            kept = [Seen(**{**vars(s), "rejected": list(s.rejected)}) for s in self._seen.values() if s.state]
        return iter(kept)
