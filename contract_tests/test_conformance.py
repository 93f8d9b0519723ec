"""Property tests: whatever Schemathesis generates, every answer keeps the contract.

Positive and negative data, in the examples, coverage and fuzzing phases; each
answer is checked against the spec (documented status, content type, schema)
and the envelope checks, and must be one of the statuses CONTRACT.md allows
for what the request broke.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import settings

from discard_contract import rules
from discard_contract.spec import Spec

from .budget import ShareOfBudget
from .case_policy import CasePolicy
from .client import DiscardClient
from .outcomes import expect_discarded, expect_status
from .schema import contract_schema
from .settings import active

schema = contract_schema(active())

# Successes the property test may cause per run (each on a fresh provisioned instance).
PROVISIONED_SUCCESSES = 8


@pytest.fixture(scope="module")
def case_policy(api_key: str, provisioner: Any) -> CasePolicy:
    budget = threading.Semaphore(min(PROVISIONED_SUCCESSES, max(active().examples // 4, 1)))
    # Only a provider-state endpoint gives instances freely enough to spend some here.
    unlimited = provisioner.pending_left() is None
    home_group = provisioner.pending().account_group_id if unlimited else None

    def provision() -> Any:
        if unlimited and budget.acquire(blocking=False):
            return provisioner.pending()
        return None

    parameters = Spec.shipped().operation().parameters
    return CasePolicy(
        api_key,
        {p.name: p.validator.is_valid for p in parameters},
        home_account_group=home_group,
        provision=provision,
    )


@pytest.mark.contract_rule(
    rules.SPEC, rules.ENVELOPE, rules.HEADERS, rules.CHECK_ORDER, rules.DISCARD_200, rules.RATE_LIMIT
)
@schema.parametrize()  # type: ignore[untyped-decorator]  # Schemathesis annotates it as a bare Callable
@settings(report_multiple_bugs=False)  # the first failure, shrunk: a red gate should be quick to read
def test_every_answer_keeps_the_contract(
    case: Any, discard_client: DiscardClient, case_policy: CasePolicy, contract_budget: ShareOfBudget
) -> None:
    if contract_budget.spent():
        return  # a slow target: this test's share of the time budget is used; later examples send nothing
    positive = case.meta is None or not case.meta.generation.mode.is_negative
    plan = case_policy.apply(case, positive=positive)
    exchange = discard_client.send(case, headers=plan.headers)
    expect_status(exchange, rules.CHECK_ORDER, f"a request that broke {plan.describe()}", plan.allowed)
    if plan.instance is not None:
        expect_discarded(exchange, plan.instance)
