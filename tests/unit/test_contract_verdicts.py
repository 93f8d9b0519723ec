"""The report's JSON, one shape for the suite's --contract-report and the proxy's /__mock/report."""

from __future__ import annotations

from collections import Counter

from discard_contract import rules
from discard_contract.verdicts import RuleVerdict, as_json


def test_the_report_names_the_target_the_seed_each_rule_and_the_statuses_in_order() -> None:
    verdicts = [
        RuleVerdict(rules.REPEAT_409, "failed", "a repeat answered 200", ["test_repeat"]),
        RuleVerdict(rules.CONCURRENT, "skipped", "not reached"),
    ]
    report = as_json("http://127.0.0.1:4010", 7, verdicts, Counter({409: 2, 200: 3}), exit=1)
    assert report == {
        "target": "http://127.0.0.1:4010",
        "seed": 7,
        "exit": 1,
        "rules": [
            {
                "id": "repeat-409",
                "section": rules.REPEAT_409.section,
                "title": rules.REPEAT_409.title,
                "inferred": False,
                "verdict": "failed",
                "reason": "a repeat answered 200",
                "tests": ["test_repeat"],
            },
            {
                "id": "concurrent",
                "section": rules.CONCURRENT.section,
                "title": rules.CONCURRENT.title,
                "inferred": True,
                "verdict": "skipped",
                "reason": "not reached",
                "tests": [],
            },
        ],
        "statuses": {"200": 3, "409": 2},
    }
    assert list(report["statuses"]) == ["200", "409"]
