"""The rules of CONTRACT.md the gate checks, one entry each, as the report lists them.

Every failure the suite raises names one of these (see `violations`), and every
test declares the rules it proves with `@pytest.mark.contract_rule(...)`, so a
run can say which rules it verified, which broke and which it never reached.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    area: str  # the CONTRACT.md section it comes from
    title: str
    inferred: bool = False


RULES = (
    Rule("spec", "The endpoint", "every answer has a documented status and a JSON body valid against the spec"),
    Rule("envelope", "The envelope", "every answer, whichever layer wrote it, is {success, data, error, traceId}"),
    Rule("trace-id-unique", "The envelope", "traceId is unique per request", inferred=True),
    Rule("auth-401", "Authentication", "a missing, malformed or unknown key is 401"),
    Rule("auth-403", "Authentication", "a valid key without campaigns:execute is 403"),
    Rule("account-group", "Authentication", "an account group the key cannot access is 403 or 404"),
    Rule("discard-200", "The 200 body", "discarding a pending instance is 200 for exactly that instance"),
    Rule(
        "discard-details",
        "The 200 body",
        "a discard answers action 'discarded', stopped, CONTENT_DISCARDED",
        inferred=True,
    ),
    Rule("not-pending-409", "State rules", "a discard of an instance not pending approval is 409"),
    Rule("repeat-409", "State rules", "a repeated discard is 409 (not idempotent)"),
    Rule("scope-404", "State rules", "an unknown instance or campaign, or another campaign's instance, is 404"),
    Rule("rejected-unchanged", "State rules", "a rejected request (400, 401, 403, 404, 409) changes nothing"),
    Rule("body-ignored", "State rules", "a request body never discards or edits another instance"),
    Rule("concurrent", "State rules", "parallel discards of one instance: exactly one 200", inferred=True),
    Rule("final", "State rules", "a discard is final: still 409 at the end of the run", inferred=True),
    Rule("check-order", "Order of checks", "a request that breaks rules gets one of their statuses", inferred=True),
    Rule("routing", "Order of checks", "other methods are 405 with Allow: POST; unknown paths 404", inferred=True),
    Rule("input-validation", "Input validation", "a malformed ID is a 4xx error envelope", inferred=True),
    Rule("rate-limit", "Rate limiting", "a 429 is the envelope and changed nothing: its retry acts as the first"),
)

BY_ID = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    try:
        return BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"no contract rule {rule_id!r}; known: {', '.join(BY_ID)}") from None
