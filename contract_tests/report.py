"""What the gate proved: one verdict per CONTRACT.md rule, and the statuses the target produced.

`--contract-report PATH` writes it as JSON; the terminal summary prints it as a
short table, and so does `$GITHUB_STEP_SUMMARY` (Markdown) where CI sets it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from discard_contract import rules as contract_rules
from discard_contract.rules import RULES, Rule
from discard_contract.spec import Spec

DOCUMENTED_STATUSES = Spec.shipped().operation().documented_statuses


@dataclass
class TestOutcome:
    nodeid: str
    rules: tuple[Rule, ...]  # what the test proves (its contract_rule marker)
    outcome: str  # passed, failed, skipped
    broken: tuple[Rule, ...] = ()  # the rules its failure names (a typed violation); empty: untyped failure
    reason: str = ""  # a skip's reason, or a failure's first line


@dataclass
class RuleVerdict:
    rule: Rule
    verdict: str
    reason: str
    tests: list[str] = field(default_factory=list)


def verdicts(outcomes: list[TestOutcome], statuses: Counter[int]) -> list[RuleVerdict]:
    result = []
    for rule in RULES:
        mine = [o for o in outcomes if rule in o.rules or rule in o.broken]
        failed = [o for o in mine if o.outcome == "failed" and (rule in o.broken or not o.broken)]
        passed = [o for o in mine if o.outcome == "passed"]
        tests = sorted({o.nodeid for o in mine})
        if failed:
            verdict, reason = "failed", f"{failed[0].nodeid}: {failed[0].reason}"
        elif rule is contract_rules.RATE_LIMIT and not statuses.get(rule.status):
            verdict, reason = "skipped", "the target answered no 429 in this run, so no 429 was checked"
        elif passed:
            verdict, reason = "passed", f"{len(passed)} test(s) passed"
        elif any(o.outcome == "failed" for o in mine):
            first = next(o for o in mine if o.outcome == "failed")
            verdict, reason = (
                "skipped",
                f"not proven: {first.nodeid} failed first, on {', '.join(r.id for r in first.broken)}",
            )
        elif mine:
            reasons = sorted({o.reason for o in mine if o.reason})
            verdict, reason = "skipped", "; ".join(reasons) or "its tests did not run"
        else:
            verdict, reason = "skipped", "no test that checks it was selected (-k / -m) or collected"
        result.append(RuleVerdict(rule, verdict, reason, tests))
    return result


def as_json(target: str, seed: int, rules: list[RuleVerdict], statuses: Counter[int]) -> dict[str, Any]:
    return {
        "target": target,
        "seed": seed,
        "rules": [
            {
                "id": v.rule.id,
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


def write_json(path: str, doc: dict[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _status_line(statuses: Counter[int]) -> str:
    seen = ", ".join(f"{s} x{n}" for s, n in sorted(statuses.items())) or "none"
    never = [str(s) for s in DOCUMENTED_STATUSES if s not in statuses]
    return f"statuses the target answered: {seen}; documented but never seen: {', '.join(never) or 'none'}"


def text_table(rules: list[RuleVerdict], statuses: Counter[int]) -> list[str]:
    counts = Counter(v.verdict for v in rules)
    lines = [
        f"contract rules: {counts['passed']} verified, {counts['failed']} failed, {counts['skipped']} skipped",
    ]
    width = max(len(v.rule.id) for v in rules)
    for v in rules:
        tag = " (inferred)" if v.rule.inferred else ""
        detail = "" if v.verdict == "passed" else f": {v.reason[:150]}"
        lines.append(f"  {v.verdict.upper():7} {v.rule.id:{width}}  {v.rule.title}{tag}{detail}")
    lines.append(_status_line(statuses))
    return lines


def markdown(target: str, seed: int, rules: list[RuleVerdict], statuses: Counter[int]) -> str:
    icon = {"passed": "✅ passed", "failed": "❌ failed", "skipped": "⏭️ skipped"}
    rows = [
        f"| `{v.rule.id}` | {v.rule.title}{' *(inferred)*' if v.rule.inferred else ''} | {icon[v.verdict]} | "
        f"{'' if v.verdict == 'passed' else v.reason.replace('|', '/')[:200]} |"
        for v in rules
    ]
    return "\n".join(
        [
            "## Discard contract",
            "",
            f"Target `{target}`, seed `{seed}` (replay with `--contract-seed {seed}`).",
            "",
            "| rule | title | verdict | why |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
            _status_line(statuses),
            "",
        ]
    )
