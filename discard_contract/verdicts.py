"""A verdict per CONTRACT.md rule, and the JSON report that carries them.

One shape for every judge: the suite's `--contract-report` and the proxy's
`--report` / `GET /__mock/report` write the same document, so one reader
(a CI step, a dashboard) takes either.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .rules import Rule


@dataclass
class RuleVerdict:
    rule: Rule
    verdict: str  # passed, failed, skipped
    reason: str
    tests: list[str] = field(default_factory=list)


def as_json(
    target: str, seed: int | None, rules: list[RuleVerdict], statuses: Counter[int], **run: Any
) -> dict[str, Any]:
    return {
        "target": target,
        "seed": seed,
        **run,
        "rules": [
            {
                "id": v.rule.id,
                "section": v.rule.section,
                "title": v.rule.title,
                "inferred": v.rule.inferred,
                "verdict": v.verdict,
                "reason": v.reason,
                "tests": v.tests,
            }
            for v in rules
        ],
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
    }
