"""What the proxy found: every violation (listed, logged, counted), and the report of rule verdicts.

The report has the suite's `--contract-report` shape (`discard_contract.verdicts`):
a rule the proxy judges is `failed` once any relayed exchange broke it and
`passed` once it judged at least one exchange and none did; a rule it cannot
judge from traffic alone is `skipped`, saying so. With `--report FILE` the
file is rewritten after every judged exchange (atomically), so it is whole
however the proxy stops, Ctrl-C or kill -9 alike.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from discard_contract import rules
from discard_contract.rules import RULES, Rule
from discard_contract.traffic import Finding
from discard_contract.verdicts import RuleVerdict, as_json

log = logging.getLogger("discard_mock")

# The rules a relayed exchange is judged by: the answer checks, the spec, and the traffic model's.
JUDGED = (
    rules.SPEC,
    rules.ENVELOPE,
    rules.HEADERS,
    rules.DISCARD_200,
    rules.REPEAT_409,
    rules.CONCURRENT,
    rules.REJECTED_UNCHANGED,
    rules.ISOLATION,
)
KEPT_VIOLATIONS = 1000  # the newest, for GET /__mock/violations; the counts cover all


_WRITING = threading.Lock()  # answers on many threads rewrite the same files


def write_atomically(path: str, doc: Any) -> None:
    """The file holds the old document or the new one, never half of either (a temporary file, renamed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=2) + "\n"
    with _WRITING:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)


class Watch:
    """The violations of every exchange the proxy relayed, and the verdicts they add up to."""

    def __init__(self, upstream: str, report_file: str | None = None) -> None:
        self.upstream = upstream
        self.report_file = report_file
        self._violations: deque[dict[str, Any]] = deque(maxlen=KEPT_VIOLATIONS)
        self._broken: Counter[str] = Counter()
        self._first: dict[str, str] = {}
        self._statuses: Counter[int] = Counter()
        self._judged = 0
        self._lock = threading.Lock()

    def judged(self, method: str, path: str, status: int, trace_id: str, findings: Sequence[Finding]) -> None:
        """One exchange of the discard operation was judged; `findings`, the rules it broke."""
        stamp = datetime.now(UTC).isoformat()
        with self._lock:
            self._judged += 1
            self._statuses[status] += 1
            for finding in findings:
                rule_id = finding.rule.id
                self._broken[rule_id] += 1
                self._first.setdefault(rule_id, f"{method} {path} answered {status}: {finding.why}")
                self._violations.append(
                    {
                        "time": stamp,
                        "rule": rule_id,
                        "section": finding.rule.section,
                        "why": finding.why,
                        "method": method,
                        "path": path,
                        "status": status,
                        "traceId": trace_id,
                    }
                )
            report = self._report() if self.report_file else None
        for finding in findings:
            log.warning("violation [%s] %s %s %d: %s (trace %s)", finding.rule.id, method, path, status,
                        finding.why, trace_id)  # fmt: skip
        if report is not None and self.report_file:
            write_atomically(self.report_file, report)

    def violations(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._broken.values()),
                "byRule": dict(self._broken),
                "violations": list(self._violations),
            }

    def report(self) -> dict[str, Any]:
        """The verdicts so far, as the suite's report has them."""
        with self._lock:
            return self._report()

    def _report(self) -> dict[str, Any]:
        verdicts = [self._verdict(rule) for rule in RULES]
        return as_json(
            self.upstream,
            None,
            verdicts,
            Counter(self._statuses),
            judge="discard-mock proxy",
            exchanges=self._judged,
            violations=sum(self._broken.values()),
        )

    def _verdict(self, rule: Rule) -> RuleVerdict:
        if rule not in JUDGED:
            return RuleVerdict(rule, "skipped", "the proxy does not judge this rule from relayed traffic")
        count = self._broken[rule.id]
        if count:
            return RuleVerdict(rule, "failed", f"{count} exchange(s) broke it; the first: {self._first[rule.id]}")
        if not self._judged:
            return RuleVerdict(rule, "skipped", "no discard was relayed yet")
        return RuleVerdict(rule, "passed", f"{self._judged} relayed discard(s) judged; none broke it")
