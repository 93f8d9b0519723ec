"""What the gate proved: one verdict per CONTRACT.md rule, and the statuses the target produced.

A rule is `passed` only when a check of it ran on an answer that could have
broken it, `failed` when any test of it failed, and `skipped` otherwise, with
the true reason. `--contract-report PATH` writes it as JSON; the terminal
summary prints it as a short table, and so does `$GITHUB_STEP_SUMMARY`
(Markdown) where CI sets it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from discard_contract.rules import RULES, Rule
from discard_contract.spec import Spec
from discard_contract.verdicts import RuleVerdict

DOCUMENTED_STATUSES = Spec.shipped().operation().documented_statuses


@dataclass
class TestOutcome:
    nodeid: str  # relative to the package
    rules: tuple[Rule, ...]  # what the test proves (its contract_rule marker)
    outcome: str  # passed, failed, skipped
    broken: tuple[Rule, ...] = ()  # the rules its failure names (a typed violation); empty: untyped failure
    reason: str = ""  # a skip's reason, or a failure's first line


@dataclass
class RunFacts:
    """What the verdicts rest on, beside the outcomes."""

    statuses: Counter[int]
    declared: Mapping[str, tuple[Rule, ...]]  # every contract test collected -> its rules
    deselected: frozenset[str] = frozenset()
    not_run: str = "it did not run"  # why collected tests have no outcome (stopped, interrupted, cannot judge)


def verdicts(outcomes: list[TestOutcome], facts: RunFacts) -> list[RuleVerdict]:
    return [_verdict(rule, outcomes, facts) for rule in RULES]


def _verdict(rule: Rule, outcomes: list[TestOutcome], facts: RunFacts) -> RuleVerdict:
    mine = [o for o in outcomes if rule in o.rules or rule in o.broken]
    tests = sorted({o.nodeid for o in mine})
    failed = [o for o in mine if o.outcome == "failed"]
    if failed:
        first = next((o for o in failed if rule in o.broken), failed[0])
        other = f" (it broke {', '.join(r.id for r in first.broken)})" if rule not in first.broken else ""
        return RuleVerdict(rule, "failed", f"{first.nodeid}: {first.reason}{other}", tests)
    passed = [o for o in mine if o.outcome == "passed"]
    if passed and rule.statuses and not rule.statuses & set(facts.statuses):
        seen = f"no {rule.expected} was seen in this run, so no answer it judges was checked"
        return RuleVerdict(rule, "skipped", seen, tests)
    if passed:
        return RuleVerdict(rule, "passed", f"{len(passed)} test(s) passed", tests)
    reasons = sorted({o.reason for o in mine if o.reason})
    unrun = sorted(t for t, declared in facts.declared.items() if rule in declared and t not in tests)
    if [t for t in unrun if t not in facts.deselected]:
        reasons.append(facts.not_run)
    elif unrun and not reasons:
        reasons.append("its tests were deselected (-k / -m)")
    return RuleVerdict(rule, "skipped", "; ".join(reasons) or "no test that checks it was collected", tests + unrun)


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


def markdown(target: str, seed: int, rules: list[RuleVerdict], statuses: Counter[int], verdict: str) -> str:
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
            f"**{verdict}**",
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
