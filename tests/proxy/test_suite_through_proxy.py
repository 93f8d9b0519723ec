"""The contract suite run through `discard-mock proxy`: the proxy judges the same traffic the suite does.

In front of the bundled mock the suite passes and the proxy finds nothing; in
front of a mock with one bug, the suite's run makes the proxy flag the rule
that bug breaks, from the traffic alone. Provider-state calls go through the
proxy too (it relays `/__mock/provider-states` to the upstream), so the
proxy's model knows which instances were given pending. Each run is small: few
examples, and for a bug only the tests meant to catch it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from discard_contract import rules
from discard_contract.rules import Rule

from ..suite.test_contract_suite import run_suite
from ..suite.variants import BROKEN, served
from ..support.helpers import assert_error_envelope, bearer, discard_path
from ..support.proxied import proxied
from ..support.served import served as served_process

# Bug (a broken variant of tests/suite/variants) -> the rules the proxy must flag for it (CONTRACT.md's table).
FLAGGED: dict[str, tuple[Rule, ...]] = {
    "idempotent discard": (rules.REPEAT_409,),
    "wrong instance in the answer": (rules.DISCARD_200,),
    "gateway 429 in HTML": (rules.ENVELOPE, rules.HEADERS),
    "traceId missing on errors": (rules.ENVELOPE, rules.SPEC),
}


def test_the_suite_passes_through_the_proxy_in_front_of_the_mock_and_the_proxy_finds_nothing(tmp_path: Path) -> None:
    report = tmp_path / "proxy-report.json"
    with served_process("--quiet") as mock, proxied(mock.base_url, "--quiet", "--report", str(report)) as proxy:
        run = run_suite(proxy.base_url, tmp_path, examples="4")
        found = requests.get(proxy.url("/__mock/violations"), timeout=10).json()
    assert run.code == 0, run.output
    assert found["total"] == 0, found
    verdicts = {rule["id"]: rule["verdict"] for rule in json.loads(report.read_text())["rules"]}
    assert "failed" not in verdicts.values(), verdicts
    assert verdicts["repeat-409"] == verdicts["discard-200"] == "passed", verdicts


@pytest.mark.parametrize("bug", list(FLAGGED))
def test_the_suites_run_makes_the_proxy_flag_the_rule_a_bug_breaks(bug: str, tmp_path: Path) -> None:
    variant = BROKEN[bug]
    selected = " or ".join((*variant.catchers, *variant.also_run))
    with served(variant.inject) as mock, proxied(mock.base_url, "--quiet") as proxy:
        run = run_suite(proxy.base_url, tmp_path, "-k", selected, *variant.options)
        found = requests.get(proxy.url("/__mock/violations"), timeout=10).json()
        journal = requests.get(proxy.url("/__mock/requests"), timeout=10).json()["requests"]
        probe = requests.post(proxy.url(discard_path(workflow_instance_id="0" * 24)), headers=bearer(), timeout=10)
    assert run.code == 1, f"the suite should fail on '{bug}' through the proxy:\n{run.output}"
    for rule in FLAGGED[bug]:
        assert found["byRule"].get(rule.id), f"'{bug}' should make the proxy flag {rule.id}; it found {found}"
    marked = {v["rule"] for entry in journal for v in entry.get("violations", ())}
    assert marked >= {rule.id for rule in FLAGGED[bug]}, marked
    if bug == "traceId missing on errors":  # an error answer without traceId carries Prism's sl-violations
        shown = json.loads(probe.headers["sl-violations"])
        assert {v["code"] for v in shown} >= {rules.ENVELOPE.id, rules.SPEC.id}
        assert all(set(v) == {"location", "severity", "code", "message"} for v in shown), shown
        assert all(v["severity"] == "Error" and v["location"][0] == "response" for v in shown), shown


def test_with_errors_an_answer_that_breaks_a_rule_is_replaced_by_a_502_naming_it() -> None:
    with served(BROKEN["wrong instance in the answer"].inject) as mock, proxied(mock.base_url, "--errors") as proxy:
        answer = requests.post(proxy.url(discard_path()), headers=bearer(), timeout=10)
    assert answer.status_code == 502
    body = answer.json()
    assert_error_envelope(body)
    assert f"[{rules.DISCARD_200.id}]" in body["error"]["message"]
    assert [v["code"] for v in json.loads(answer.headers["sl-violations"])] == [rules.DISCARD_200.id]
