"""Typed contract failures: one exception class per CONTRACT.md section.

Each carries the rule it enforces, the request (a curl line) and the answer,
so a report, a JUnit reader or a person can tell which rule broke and replay
it. They subclass AssertionError because Schemathesis and pytest treat that
as "the target failed a check", not "the suite crashed".
"""

from __future__ import annotations

from .rules import Rule


class ContractViolation(AssertionError):
    """The target broke a rule of CONTRACT.md."""

    section = ""

    def __init__(self, rule: Rule, message: str, *, request: str = "", response: str = "") -> None:
        self.rule = rule
        self.message = message
        self.request = request
        self.response = response
        text = f"CONTRACT «{rule.section}»{' (inferred)' if rule.inferred else ''} [{rule.id}]: {message}"
        if request:
            text += f"\n  request:  {request}"
        if response:
            text += f"\n  response: {response}"
        super().__init__(text)


class EndpointViolation(ContractViolation):
    section = "The endpoint"


class AuthenticationViolation(ContractViolation):
    section = "Authentication"


class EnvelopeViolation(ContractViolation):
    section = "The envelope"


class SuccessBodyViolation(ContractViolation):
    section = "The 200 body"


class StateRuleViolation(ContractViolation):
    section = "State rules"


class IdempotencyViolation(ContractViolation):
    section = "Idempotency"


class HeaderViolation(ContractViolation):
    section = "Headers"


class CheckOrderViolation(ContractViolation):
    section = "Order of checks"


class NearMissViolation(ContractViolation):
    section = "Requests near a real path"


class InputValidationViolation(ContractViolation):
    section = "Input validation"


class RateLimitViolation(ContractViolation):
    section = "Rate limiting"


BY_SECTION = {cls.section: cls for cls in ContractViolation.__subclasses__()}


def violation(rule: Rule, message: str, *, request: str = "", response: str = "") -> ContractViolation:
    """The exception of the rule's section."""
    return BY_SECTION[rule.section](rule, message, request=request, response=response)
