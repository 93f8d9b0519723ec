"""The census at the end of a run: every instance the run was given, held to the run's model.

It waits until each instance's last change is `--contract-settle-seconds` old,
then probes it with the only probe the API has, a discard: the instances the
model holds pending must discard with the full 200 body, every other one must
give 409. So a lost, undone or stray effect on any provisioned instance shows,
whichever test caused it and however late it came.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from discard_contract import rules
from discard_contract.model import RunModel, State, expectation
from discard_contract.violations import ContractViolation, violation

from .client import DiscardClient
from .outcomes import expect_discarded

CENSUS = "census"  # its name in the report and the JUnit file
CENSUS_RULES = (rules.FINAL, rules.ISOLATION)


@dataclass
class CensusResult:
    probed: int = 0
    violations: list[ContractViolation] = field(default_factory=list)
    skipped: str = ""  # why it did not run, when it did not
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "probed": self.probed,
            "skipped": self.skipped,
            "violations": [[v.rule.id, v.message, v.request, v.response] for v in self.violations],
        }

    def merge(self, doc: dict[str, Any]) -> None:
        """Adds another process's census (pytest-xdist workers each probe their own instances)."""
        self.probed += int(doc.get("probed", 0))
        self.skipped = self.skipped or str(doc.get("skipped", ""))
        for rule_id, message, request, response in doc.get("violations", []):
            self.violations.append(violation(rules.rule(rule_id), message, request=request, response=response))


def take_census(client: DiscardClient, model: RunModel, settle_seconds: float) -> CensusResult:
    result = CensusResult()
    for tracked in sorted(model, key=lambda t: t.changed):
        time.sleep(model.settled(tracked, settle_seconds))
        want = expectation(tracked)
        age = time.monotonic() - tracked.changed
        try:
            answer = client.discard(tracked.instance.path())
            result.probed += 1
            if answer.status != want.status:
                raise violation(
                    want.rule,
                    f"census: a discard of {tracked.instance} ({tracked.state.value}, last changed {age:.1f} s "
                    f"before) answered {answer.status}, expected {want.status}: {want.why}",
                    **answer.shown(),
                )
            if tracked.state is State.PENDING:
                expect_discarded(answer, tracked.instance)
        except ContractViolation as found:
            result.violations.append(found)
    return result
