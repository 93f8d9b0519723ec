"""The rules of CONTRACT.md that are checked, one constant each.

Code refers to a rule by its constant (`rules.REPEAT_409`), never by its id
written out, and compares an answer's status with the rule's own `statuses`:
each id, section and expected status is written here once. The report lists
the rules in this order; every failure names one of them (`violations`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One rule: its id in reports, the CONTRACT.md section it comes from, what it says,
    the statuses it lets a target answer (empty: it does not constrain the status alone),
    and whether CONTRACT.md marks it inferred rather than documented."""

    id: str
    section: str
    title: str
    statuses: frozenset[int] = frozenset()
    inferred: bool = False

    @property
    def status(self) -> int:
        """The one status the rule expects (a ValueError for a rule that allows several or none)."""
        (only,) = self.statuses
        return only

    @property
    def expected(self) -> str:
        """The statuses as a person reads them: '403 or 404'."""
        return " or ".join(map(str, sorted(self.statuses)))

    def __str__(self) -> str:
        return self.id


SPEC = Rule("spec", "The endpoint", "every answer has a documented status and a JSON body valid against the spec")
ENVELOPE = Rule(
    "envelope", "The envelope", "every answer, whichever layer wrote it, is {success, data, error, traceId}"
)
TRACE_ID_UNIQUE = Rule("trace-id-unique", "The envelope", "traceId is unique per request", inferred=True)
HEADERS = Rule(
    "headers", "Headers", "Content-Type is application/json; a 429's Retry-After is delay-seconds or an HTTP-date"
)
AUTH_401 = Rule("auth-401", "Authentication", "a missing, malformed or unknown key is 401", frozenset({401}))
AUTH_403 = Rule("auth-403", "Authentication", "a valid key without campaigns:execute is 403", frozenset({403}))
ACCOUNT_GROUP = Rule(
    "account-group", "Authentication", "an account group the key cannot access is 403 or 404", frozenset({403, 404})
)
DISCARD_200 = Rule(
    "discard-200",
    "The 200 body",
    "discarding a pending instance is 200 for exactly that instance, as it is after",
    frozenset({200}),
)
DISCARD_DETAILS = Rule(
    "discard-details", "The 200 body", "a discard answers action 'discarded', stopped, CONTENT_DISCARDED", inferred=True
)
NOT_PENDING_409 = Rule(
    "not-pending-409", "State rules", "a discard of an instance not pending approval is 409", frozenset({409})
)
REPEAT_409 = Rule("repeat-409", "State rules", "a repeated discard is 409 (not idempotent)", frozenset({409}))
IDEMPOTENCY = Rule(
    "idempotency-key",
    "Idempotency",
    "a repeat is 409 whatever it carries, an Idempotency-Key included",
    frozenset({409}),
)
SCOPE_404 = Rule(
    "scope-404",
    "State rules",
    "an unknown instance or campaign, or another campaign's instance, is 404",
    frozenset({404}),
)
REJECTED_UNCHANGED = Rule("rejected-unchanged", "State rules", "a rejected request (400-429) changes nothing")
BODY_IGNORED = Rule(
    "body-ignored", "State rules", "a request body never discards or edits another instance", frozenset({200, 400})
)
ISOLATION = Rule(
    "isolation",
    "State rules",
    "a request changes at most the instance its path names: every other instance keeps its state",
)
CONCURRENT = Rule(
    "concurrent",
    "State rules",
    "parallel discards: exactly one 200 for each instance, every other 409",
    frozenset({200, 409}),
    inferred=True,
)
FINAL = Rule(
    "final",
    "State rules",
    "a discard is final: still 409 when the run's census probes it",
    frozenset({409}),
    inferred=True,
)
CHECK_ORDER = Rule(
    "check-order", "Order of checks", "a request that breaks rules gets one of their statuses", inferred=True
)
ROUTING = Rule(
    "routing",
    "Order of checks",
    "other methods are 405 with Allow: POST; unknown paths 404",
    frozenset({404, 405}),
    inferred=True,
)
NEAR_MISS = Rule(
    "near-miss",
    "Requests near a real path",
    "a path, query or body that is almost an instance's names no instance: a 4xx, and nothing changed",
    frozenset({400, 401, 403, 404, 405}),
    inferred=True,
)
INPUT_VALIDATION = Rule(
    "input-validation",
    "Input validation",
    "a malformed ID is a 4xx error envelope: 400, or 404",
    frozenset({400, 404}),
    inferred=True,
)
RATE_LIMIT = Rule(
    "rate-limit",
    "Rate limiting",
    "a 429 is the envelope and changed nothing: its retry acts as the first",
    frozenset({429}),
)

RULES: tuple[Rule, ...] = tuple(value for value in dict(globals()).values() if isinstance(value, Rule))
BY_ID = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    """The rule of that id (for ids read back from a report or a file); a KeyError naming the known ones."""
    try:
        return BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"no contract rule {rule_id!r}; known: {', '.join(BY_ID)}") from None
