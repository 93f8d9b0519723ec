"""Typed contract failures: one exception class per CONTRACT.md area.

Each carries the rule it enforces, the request (a curl line) and the response,
so a report, a JUnit reader or a person can tell which rule broke and replay
it. They subclass AssertionError because Schemathesis checks and pytest treat
that as "the target failed a check", not "the suite crashed".
"""

from __future__ import annotations

from .rules import Rule, rule


class ContractViolation(AssertionError):
    """The target broke a rule of CONTRACT.md."""

    area = ""

    def __init__(self, rule_id: str, message: str, *, request: str = "", response: str = "") -> None:
        self.rule: Rule = rule(rule_id)
        self.message = message
        self.request = request
        self.response = response
        text = f"CONTRACT «{self.rule.area}»{' (inferred)' if self.rule.inferred else ''} [{rule_id}]: {message}"
        if request:
            text += f"\n  request:  {request}"
        if response:
            text += f"\n  response: {response}"
        super().__init__(text)


class EndpointViolation(ContractViolation):
    area = "The endpoint"


class AuthenticationViolation(ContractViolation):
    area = "Authentication"


class EnvelopeViolation(ContractViolation):
    area = "The envelope"


class SuccessBodyViolation(ContractViolation):
    area = "The 200 body"


class StateRuleViolation(ContractViolation):
    area = "State rules"


class CheckOrderViolation(ContractViolation):
    area = "Order of checks"


class InputValidationViolation(ContractViolation):
    area = "Input validation"


class RateLimitViolation(ContractViolation):
    area = "Rate limiting"


_BY_AREA = {cls.area: cls for cls in ContractViolation.__subclasses__()}


def violation(rule_id: str, message: str, *, request: str = "", response: str = "") -> ContractViolation:
    """The exception of the rule's area."""
    cls = _BY_AREA[rule(rule_id).area]
    return cls(rule_id, message, request=request, response=response)
