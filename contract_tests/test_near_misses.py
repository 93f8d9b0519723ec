"""Requests near a real path (inferred): almost an instance's path names no instance.

Neighbours of a provisioned instance's path (its IDs with characters added
around or inside them, truncated or extended, an extra segment) must answer a
4xx error envelope and discard nothing; equivalent spellings (an unreserved
character percent-encoded, the letter case of a hex ID) may address the
instance, and are then held to the usual rules. A query string never changes
which instance is addressed. Neighbours are built only from IDs the run was
given, so even a server that trims, truncates or matches by prefix can reach
only instances the run owns; the census at the end checks every one of them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, seed, settings

from discard_contract import rules
from discard_contract.checks import ANSWER_CHECKS, discarded_instance
from discard_contract.ids import ID_FIELDS, InstanceIds
from discard_contract.spec import Spec
from discard_contract.violations import ContractViolation, violation

from .budget import ShareOfBudget
from .client import DiscardClient, Plain
from .settings import active

OPERATION = Spec.shipped().operation()
PATH_FIELDS = ID_FIELDS[:3]  # accountGroupId, campaignId, workflowInstanceId
# Written into an ID as they would travel: whitespace, control characters, separators, an encoded '/'.
INSERTS = ("%20", "%09", "%0A", "%0D", "%00", "+", ";", ",", ".", "%2F", "%2f", "%3B", "%5C", "~", "%25")
UNRESERVED_ESCAPES = {c: f"%{ord(c):02X}" for c in "abcdefABCDEF0123456789-_"}


@dataclass(frozen=True)
class Neighbour:
    """A path near an instance's: which ID changed and how, and whether it may still address the instance."""

    field: str
    value: str  # as sent, percent-escapes included
    how: str
    equivalent: bool = False


@st.composite
def neighbours(draw: st.DrawFn, ids: dict[str, str]) -> Neighbour:
    field = draw(st.sampled_from(PATH_FIELDS))
    value = ids[field]
    at = draw(st.integers(0, len(value)))
    how = draw(st.sampled_from(("around", "inside", "truncated", "extended", "escaped", "case")))
    if how == "around":
        insert = draw(st.sampled_from(INSERTS))
        return Neighbour(field, draw(st.sampled_from((insert + value, value + insert))), f"{insert!r} around it")
    if how == "inside":
        insert = draw(st.sampled_from(INSERTS))
        at = max(1, min(at, len(value) - 1))
        return Neighbour(field, value[:at] + insert + value[at:], f"{insert!r} inside it")
    if how == "truncated":
        cut = draw(st.integers(1, min(3, len(value) - 1)))
        return Neighbour(field, value[:-cut], f"its last {cut} character(s) cut")
    if how == "extended":
        return Neighbour(field, value + draw(st.sampled_from(("0", "a", "F", "-"))), "a character added")
    at = min(at, len(value) - 1)
    if how == "escaped" and value[at] in UNRESERVED_ESCAPES:
        escaped = value[:at] + UNRESERVED_ESCAPES[value[at]] + value[at + 1 :]
        return Neighbour(field, escaped, "an unreserved character percent-encoded", equivalent=True)
    flipped = value.swapcase()
    if field != PATH_FIELDS[0] and flipped != value:  # ObjectIds parse in either case; group names need not
        return Neighbour(field, flipped, "the letter case of a hex ID", equivalent=True)
    return Neighbour(field, value + ";v=1", "a ';' parameter")


def fixed_neighbours(ids: dict[str, str]) -> list[Neighbour]:
    """One of each kind for every ID, so that every run tries them all (generated ones come on top)."""
    found = []
    for field in PATH_FIELDS:
        value = ids[field]
        middle = len(value) // 2
        found += [
            Neighbour(field, value + "%20", "a space after it"),
            Neighbour(field, "%20" + value, "a space before it"),
            Neighbour(field, value + "%09", "a tab after it"),
            Neighbour(field, value + "%0A", "a line feed after it"),
            Neighbour(field, value + "%00", "a NUL after it"),
            Neighbour(field, value[:middle] + "%2F" + value[middle:], "an encoded '/' inside it"),
            Neighbour(field, value + ";v=1", "a ';' parameter"),
            Neighbour(field, value[:-1], "its last character cut"),
            Neighbour(field, value + "0", "a character added"),
            Neighbour(field, value + "/x", "an extra segment"),
        ]
    return found


class Current:
    """The pending instance the neighbours are built from; a fresh one once a neighbour discarded it."""

    def __init__(self, provisioner: Any) -> None:
        self._provisioner = provisioner
        self._lock = threading.Lock()
        self.instance: InstanceIds = provisioner.pending()

    def renew(self) -> None:
        with self._lock:
            self.instance = self._provisioner.pending()


def judge(client: DiscardClient, plain: Plain, sent: str, instance: InstanceIds, equivalent: bool) -> bool:
    """Holds a near miss to its rules; True when it addressed (discarded) the instance."""

    __tracebackhide__ = True  # failures point at the test, not at this helper
    answer, shown = plain.exchange, plain.shown()
    for check in ANSWER_CHECKS:
        check(answer)
    named = answer.data.get("workflowInstanceId")
    if answer.status in rules.DISCARD_200.statuses:
        if equivalent and named == instance.workflow_instance_id:
            client.record.model.answered(instance.path(), answer.status)
            return True
        client.record.model.answered(_path_of(client, named) or {}, answer.status)
        raise violation(
            rules.NEAR_MISS,
            f"{sent} names no instance, but the target discarded {named!r} (instance {instance} was the model)",
            **shown,
        )
    if answer.status not in rules.NEAR_MISS.statuses:
        raise violation(
            rules.NEAR_MISS, f"{sent} names no instance: expected {rules.NEAR_MISS.expected}, got {answer.status}",
            **shown,
        )  # fmt: skip
    return False


def _path_of(client: DiscardClient, workflow_instance_id: Any) -> dict[str, str] | None:
    """The path of the run's instance of that ID, when a wrong 200 names one (so the model learns it)."""
    tracked = next((t for t in client.record.model if t.instance.workflow_instance_id == workflow_instance_id), None)
    return tracked.instance.path() if tracked else None


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.NEAR_MISS, rules.ISOLATION)
def test_a_path_near_an_instance_names_no_instance(
    discard_client: DiscardClient, provisioner: Any, api_key: str, contract_budget: ShareOfBudget
) -> None:
    current = Current(provisioner)
    unlimited = provisioner.pending_left() is None

    def try_one(near: Neighbour) -> None:
        if near.equivalent and not unlimited:
            return  # an equivalent spelling may use the instance up; a fixtures file has few
        instance = current.instance
        sent = OPERATION.path({**instance.path(), near.field: near.value})
        answer = discard_client.off_the_spec(sent)
        if judge(discard_client, answer, f"{sent} ({near.field}: {near.how})", instance, near.equivalent):
            current.renew()

    for near in fixed_neighbours(current.instance.path()):
        if contract_budget.spent():
            return
        try_one(near)

    @seed(active().seed)
    @settings(
        max_examples=max(active().examples // 2, 10),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def near_misses(data: st.DataObject) -> None:
        if not contract_budget.spent():
            try_one(data.draw(neighbours(current.instance.path()), label="neighbour"))

    near_misses()


QUERIES = {
    "the other instance's IDs": lambda other: {name: other.as_json()[name] for name in PATH_FIELDS},
    "the other instance's ID as 'id'": lambda other: {"id": other.workflow_instance_id},
    "a list of IDs": lambda other: {"workflowInstanceIds": other.workflow_instance_id},
}


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.NEAR_MISS, rules.ISOLATION)
@pytest.mark.parametrize("query", QUERIES, ids=list(QUERIES))
def test_a_query_never_changes_which_instance_is_addressed(
    discard_client: DiscardClient, provisioner: Any, api_key: str, query: str
) -> None:
    instance, other = provisioner.pending(), provisioner.pending()
    sent = OPERATION.path(instance.path()) + "?" + urlencode(QUERIES[query](other))
    plain = discard_client.off_the_spec(sent)
    answer = plain.exchange
    for check in ANSWER_CHECKS:
        check(answer)
    named = answer.data.get("workflowInstanceId")
    if answer.status in rules.DISCARD_200.statuses and named != instance.workflow_instance_id:
        discard_client.record.model.answered(_path_of(discard_client, named) or {}, answer.status)
        raise violation(
            rules.NEAR_MISS,
            f"a query ({query}) changed which instance was addressed: the path names {instance}, "
            f"the target discarded {named!r}",
            **plain.shown(),
        )
    if answer.status in rules.DISCARD_200.statuses:
        discard_client.record.model.answered(instance.path(), answer.status)
        try:
            discarded_instance(answer, instance)
        except ContractViolation as wrong:
            raise violation(wrong.rule, wrong.message, **plain.shown()) from None
    elif not 400 <= answer.status < 500:
        raise violation(
            rules.NEAR_MISS,
            f"a discard with a query ({query}): expected 200 for the path's instance or a 4xx, got {answer.status}",
            **plain.shown(),
        )
