"""The suite touches only what it was given, and says what it needs when it was given nothing."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings

from contract_tests.case_policy import CasePolicy
from contract_tests.schema import contract_schema
from contract_tests.settings import SuiteSettings
from discard_contract.ids import InstanceIds
from discard_contract.spec import Spec

from .test_contract_suite import run_suite
from .variants import served

PROVISIONED = InstanceIds("home-group", "a" * 24, "b" * 24, "c" * 24)
NEVER_ISSUED = re.compile(r"^ffffffff[0-9a-f]{16}$")
ID_RUN = re.compile(r"[0-9a-fA-F]{24}")
SPEC_EXAMPLE_IDS = {"507f1f77bcf86cd799439011", "507f191e810c19729de860ea"}


VALID = {p.name: p.validator.is_valid for p in Spec.load().operation().parameters}


def _policy(provision: bool) -> CasePolicy:
    return CasePolicy(
        "sk_test_execute",
        VALID,
        home_account_group=PROVISIONED.account_group_id,
        provision=lambda: PROVISIONED if provision else None,
    )


_operation = next(op.ok() for op in contract_schema(SuiteSettings()).get_all_operations())


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=_operation.as_strategy(), provision=...)
def test_generated_ids_reach_only_a_provisioned_instance_or_nothing(case: Any, provision: bool) -> None:
    """Whatever Schemathesis generates, a valid ID is ours or cannot exist; example IDs never go out."""
    _policy(provision).apply(case, positive=True)
    ids = case.path_parameters
    if ids == PROVISIONED.path():
        return
    for name in ("campaignId", "workflowInstanceId"):
        value = ids[name]
        assert value not in SPEC_EXAMPLE_IDS
        assert NEVER_ISSUED.match(value) or not VALID[name](value), f"{name}={value!r} might name a real resource"
        hidden = [run for run in ID_RUN.findall(value) if not NEVER_ISSUED.match(run)]
        assert not hidden, f"{name}={value!r} carries IDs a lenient server could find: {hidden}"


def test_without_instances_the_tests_that_need_them_say_what_to_pass(tmp_path: Path) -> None:
    with served() as mock:
        run = run_suite(mock.base_url, tmp_path, "--state-setup-url=")
    skipped = [
        case.find("skipped").get("message", "")
        for case in ET.parse(tmp_path / "junit.xml").iter("testcase")
        if case.find("skipped") is not None
    ]
    assert run.code == 0 and not run.failed, run.output
    assert skipped and all("--state-setup-url" in reason for reason in skipped), skipped


def test_a_fixtures_file_is_enough_to_run_the_suite(tmp_path: Path) -> None:
    with served() as mock:

        def setup(state: str, **params: str) -> dict[str, str]:
            body = {"state": state, "params": params, "action": "setup"}
            return requests.post(f"{mock.base_url}/__mock/provider-states", json=body, timeout=10).json()

        fixtures = {
            "pendingApproval": [setup("a workflow instance pending approval") for _ in range(90)],
            "notPendingApproval": [setup("a workflow instance not pending approval", workflowStatus="completed")],
        }
        path = tmp_path / "fixtures.json"
        path.write_text(json.dumps(fixtures))
        run = run_suite(mock.base_url, tmp_path, "--state-setup-url=", f"--fixtures-file={path}")
    assert run.code == 0 and not run.failed, run.output
    ran = {
        case.get("name", "")
        for case in ET.parse(tmp_path / "junit.xml").iter("testcase")
        if case.find("skipped") is None
    }
    assert {"test_discard_state_machine", "test_a_repeated_discard_is_a_conflict"} <= ran, sorted(ran)
