"""The discard state rules as a Hypothesis state machine.

A model of each provisioned instance (pending, discarded, not pending) lives
beside the real target, several instances at once: pending and not, in one
campaign and across campaigns. Rules act on the target, one request at a time
or several released together (different instances, or one instance many
times), and compare each answer with the model's prediction; at the end of
every program the model and the target are compared once more, instance by
instance, with the only probe the API has: a discard, which must succeed
exactly for the instances the model holds pending. The run's census checks
them all again at the end of the run.
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from discard_contract import rules
from discard_contract.ids import InstanceIds, nonexistent_account_group_id, nonexistent_object_id
from discard_contract.violations import ContractViolation, violation

from .budget import ShareOfBudget
from .client import DiscardClient
from .outcomes import expect_discarded, expect_status
from .provisioning import NOT_PENDING_STATUSES, Provisioner
from .settings import active

PENDING, DISCARDED, NOT_PENDING = "pending", "discarded", "not pending"
MAX_INSTANCES = 6
AT_ONCE = 4  # requests one parallel step releases together
STEPS = 12
BAD_KEYS = ("", "Bearer ", "Bearer sk_live_contract_unknown_" + secrets.token_hex(6), "Basic Zm9vOmJhcg==")


def recorded(step: Callable[..., Any]) -> Callable[..., Any]:
    """Keeps each violation a step raises on the machine's class, so that when Hypothesis
    cannot replay a failure against a live target (its state moved on) and reports that
    instead, the test still fails with the violation the target committed."""

    @functools.wraps(step)
    def run(self: DiscardStateMachine, *args: Any, **kwargs: Any) -> Any:
        try:
            return step(self, *args, **kwargs)
        except ContractViolation as violation_seen:
            type(self).violations.append(violation_seen)
            raise

    return run


class DiscardStateMachine(RuleBasedStateMachine):
    """Set up per run by `test_discard_state_machine`, which binds the target."""

    client: DiscardClient
    provisioner: Provisioner
    key_without_permission: str | None = None
    violations: list[ContractViolation]

    instances = Bundle("instances")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[InstanceIds, str] = {}
        self.successes: Counter[InstanceIds] = Counter()
        self.clients: list[DiscardClient] = []

    # Rules that create what the model tracks.

    @precondition(lambda self: len(self.model) < MAX_INSTANCES and self.provisioner.pending_left() != 0)
    @rule(target=instances)
    def a_pending_instance(self) -> InstanceIds:
        instance = self.provisioner.pending()
        self.model[instance] = PENDING
        return instance

    @precondition(lambda self: len(self.model) < MAX_INSTANCES)
    @rule(target=instances, workflow_status=st.sampled_from(NOT_PENDING_STATUSES))
    def an_instance_not_pending(self, workflow_status: str) -> InstanceIds:
        instance = self.provisioner.not_pending(workflow_status)
        self.model[instance] = NOT_PENDING
        return instance

    @precondition(lambda self: len(self.model) < MAX_INSTANCES and self.provisioner.pending_left() is None)
    @rule(target=instances, beside=instances, pending=st.booleans())
    def an_instance_in_the_same_campaign(self, beside: InstanceIds, pending: bool) -> InstanceIds:
        """Beside another in its campaign (a target may ignore the request: then it is just another instance)."""
        where = {"accountGroupId": beside.account_group_id, "campaignId": beside.campaign_id}
        instance = self.provisioner.pending(**where) if pending else self.provisioner.not_pending(None, **where)
        self.model[instance] = PENDING if pending else NOT_PENDING
        return instance

    # Rules that act, predicting the answer from the model.

    @rule(instance=instances)
    @recorded
    def discard(self, instance: InstanceIds) -> None:
        self._judge_discard(instance, self.client.discard(instance.path()), "alone")

    @rule(several=st.lists(instances, min_size=2, max_size=AT_ONCE, unique=True))
    @recorded
    def discard_several_at_once(self, several: list[InstanceIds]) -> None:
        """Different instances, released together: each answers for itself, as alone."""
        answers = self._at_once([i.path() for i in several])
        for instance, answer in zip(several, answers, strict=True):
            self._judge_discard(instance, answer, "released together with discards of other instances")

    @rule(instance=instances)
    @recorded
    def discard_one_many_times_at_once(self, instance: InstanceIds) -> None:
        """One instance, released together: at most one 200, and only for a pending one."""
        answers = self._at_once([instance.path()] * AT_ONCE)
        successes = [a for a in answers if a.status in rules.DISCARD_200.statuses]
        was = self.model[instance]
        expected = 1 if was == PENDING else 0
        if len(successes) != expected or any(
            a.status not in (*rules.DISCARD_200.statuses, rules.REPEAT_409.status) for a in answers
        ):
            raise violation(
                rules.CONCURRENT,
                f"{AT_ONCE} parallel discards of {instance} ({was}): expected {expected} x 200 and the rest 409; "
                f"got {sorted(a.status for a in answers)}",
                **answers[0].shown(),
            )
        for answer in successes:
            self._judge_discard(instance, answer, "one of several parallel discards of it")

    def _at_once(self, paths: list[dict[str, str]]) -> list[Any]:
        while len(self.clients) < len(paths):
            self.clients.append(self.client.fork())
        start = threading.Barrier(len(paths))
        with ThreadPoolExecutor(len(paths)) as pool:
            return list(
                pool.map(
                    lambda pair: pair[0].discard(pair[1], before_sending=start.wait),
                    zip(self.clients, paths, strict=False),
                )
            )

    def _judge_discard(self, instance: InstanceIds, answer: Any, how: str) -> None:
        if self.model[instance] == PENDING:
            expect_discarded(answer, instance)
            self.model[instance] = DISCARDED
            self.successes[instance] += 1
        else:
            rule = rules.REPEAT_409 if self.model[instance] == DISCARDED else rules.NOT_PENDING_409
            expect_status(answer, rule, f"a discard of an instance that is {self.model[instance]} ({how})")

    @rule(instance=instances, other=instances)
    @recorded
    def discard_under_another_campaign(self, instance: InstanceIds, other: InstanceIds) -> None:
        campaign = other.campaign_id if other.campaign_id != instance.campaign_id else nonexistent_object_id()
        answer = self.client.discard(instance.path(campaignId=campaign))
        expect_status(answer, rules.SCOPE_404, "a discard of an instance under another campaign")

    @rule(instance=instances)
    @recorded
    def discard_an_unknown_instance_of_its_campaign(self, instance: InstanceIds) -> None:
        answer = self.client.discard(instance.path(workflowInstanceId=nonexistent_object_id()))
        expect_status(answer, rules.SCOPE_404, "a discard of an unknown instance")

    @rule(instance=instances)
    @recorded
    def discard_in_an_inaccessible_account_group(self, instance: InstanceIds) -> None:
        answer = self.client.discard(instance.path(accountGroupId=nonexistent_account_group_id()))
        expect_status(answer, rules.ACCOUNT_GROUP, "a discard in an account group the key cannot access")

    @rule(instance=instances, authorization=st.sampled_from(BAD_KEYS))
    @recorded
    def discard_without_a_valid_key(self, instance: InstanceIds, authorization: str) -> None:
        headers = {"Authorization": authorization} if authorization else {}
        answer = self.client.discard(instance.path(), headers=headers)
        expect_status(answer, rules.AUTH_401, "a discard with a missing, malformed or unknown key")

    @precondition(lambda self: self.key_without_permission is not None)
    @rule(instance=instances)
    @recorded
    def discard_without_permission(self, instance: InstanceIds) -> None:
        answer = self.client.discard(instance.path(), headers=self.client.bearer(self.key_without_permission))
        expect_status(answer, rules.AUTH_403, "a discard with a key without campaigns:execute")

    @rule(instance=instances, other=instances)
    @recorded
    def discard_with_a_body_naming_another(self, instance: InstanceIds, other: InstanceIds) -> None:
        body = {"workflowInstanceIds": [other.workflow_instance_id], "campaignId": other.campaign_id}
        answer = self.client.discard(instance.path(), json=body)
        predicted = rules.DISCARD_200 if self.model[instance] == PENDING else rules.NOT_PENDING_409
        allowed = rules.BODY_IGNORED.statuses - rules.DISCARD_200.statuses | predicted.statuses
        expect_status(answer, rules.BODY_IGNORED, "a discard with a body naming another instance", allowed)
        if answer.status in rules.DISCARD_200.statuses:
            expect_discarded(answer, instance)
            self.model[instance] = DISCARDED
            self.successes[instance] += 1

    # What must hold after every step, and at the end.

    @invariant()
    @recorded
    def no_instance_is_discarded_twice(self) -> None:
        twice = [str(i) for i, n in self.successes.items() if n > 1]
        if twice:
            raise violation(rules.REPEAT_409, f"instances discarded more than once: {twice}")

    @recorded
    def teardown(self) -> None:
        """The target must agree with the model on every instance."""
        for instance, state in self.model.items():
            answer = self.client.discard(instance.path())
            if state == PENDING:
                if answer.status not in rules.DISCARD_200.statuses:
                    raise violation(
                        rules.REJECTED_UNCHANGED,
                        f"the model holds {instance} pending (every request on it was rejected), "
                        f"but the target no longer discards it: {answer.status}",
                        **answer.shown(),
                    )
                expect_discarded(answer, instance)
            else:
                rule = rules.FINAL if state == DISCARDED else rules.NOT_PENDING_409
                expect_status(answer, rule, f"a discard of {instance}, which is {state}")


@pytest.mark.contract_rule(
    rules.DISCARD_200,
    rules.REPEAT_409,
    rules.NOT_PENDING_409,
    rules.SCOPE_404,
    rules.ACCOUNT_GROUP,
    rules.AUTH_401,
    rules.REJECTED_UNCHANGED,
    rules.CONCURRENT,
)
def test_discard_state_machine(
    discard_client: DiscardClient, provisioner: Any, api_key: str, contract_target: Any, contract_budget: ShareOfBudget
) -> None:
    # With a fixtures file, pending entries run out (then only not-pending ones, which may be reused, remain).
    provisioner.not_pending()  # skips, saying what to pass, when there is no instance at all
    violations: list[ContractViolation] = []
    machine = type(
        "BoundDiscardStateMachine",
        (DiscardStateMachine,),
        {
            "client": discard_client,
            "provisioner": provisioner,
            "key_without_permission": contract_target.api_key_without_permission,
            "violations": violations,
        },
    )
    seed(active().seed)(machine)  # the run's seed replays the machine's programs too
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                # Each program: up to STEPS steps, a few requests each; a slow target gets fewer programs.
                max_examples=contract_budget.rounds(max(active().examples // 4, 3), requests_each=STEPS * 3),
                stateful_step_count=STEPS,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[p for p in Phase if active().shrink or p is not Phase.shrink],
                report_multiple_bugs=False,  # the first bug, shrunk; a red gate should be quick to read
            ),
        )
    except Exception as failure:
        if not isinstance(failure, ContractViolation) and violations:
            raise violations[0] from failure  # e.g. Hypothesis could not replay it: the target moved on
        raise
