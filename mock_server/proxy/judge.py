"""How the proxy judges what it relays, with the contract's own checks and a model learned from the traffic.

An answer of the discard operation is held to the answer checks the suite
uses (`discard_contract.conformance.OPERATION_CHECKS`) and to the traffic
model (`discard_contract.traffic`); any other answer of the API to the
envelope. Provider-state calls relayed to the upstream teach the model which
instances were given pending; a relayed reset makes it forget. Findings go to
the watch (listed, logged, reported) and, as Prism's `sl-violations` header,
to the client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from discard_contract import rules
from discard_contract.checks import ENVELOPE_CHECKS, Check
from discard_contract.conformance import OPERATION_CHECKS
from discard_contract.exchange import Exchange
from discard_contract.ids import InstanceIds
from discard_contract.spec import Operation, Spec
from discard_contract.traffic import Finding, TrafficModel
from discard_contract.violations import ContractViolation

from ..control import PREFIX
from ..request_parts import bearer_token
from .watch import Watch, write_atomically

# Control calls about the upstream's instances: relayed to it (the proxy holds no instances of its own).
PROVIDER_STATES = PREFIX + "/provider-states"
RESET = PREFIX + "/reset"
RELAYED_CONTROL = (PROVIDER_STATES, RESET, PREFIX + "/instances")
PENDING_STATE = next(iter(Spec.shipped().provider_states))
MAX_MESSAGE = 300  # characters of a violation's message in the header


def sl_violations_json(items: Sequence[tuple[list[str], str, str]]) -> str:
    """Prism's `sl-violations` value: a JSON list of {location, severity, code, message}, ASCII, one line."""
    return json.dumps(
        [
            {"location": location, "severity": "Error", "code": code, "message": message[:MAX_MESSAGE]}
            for location, code, message in items
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    )


def sl_violations(location: list[str], findings: Sequence[Finding]) -> str:
    return sl_violations_json([(location, f.rule.id, f.why) for f in findings])


def request_problems(
    operation: Operation, authorization: str | None, params: Mapping[str, str], body: bytes
) -> list[tuple[list[str], tuple[str, str]]]:
    """What makes a request to the operation break the spec: (location, (rule id, message)) each."""
    problems = []
    if bearer_token(authorization) is None:
        message = "the operation requires 'Authorization: Bearer <key>' (security bearerAuth)"
        problems.append((["request", "header", "Authorization"], (rules.AUTH_401.id, message)))
    for param in operation.parameters:
        problem = param.problem(params[param.name])
        if problem is not None:
            problems.append((["request", "path", param.name], (rules.INPUT_VALIDATION.id, problem)))
    if body:
        problems.append((["request", "body"], (rules.SPEC.id, "the operation takes no request body")))
    return problems


def _broken(checks: tuple[Check, ...], exchange: Exchange) -> list[Finding]:
    findings = []
    for check in checks:
        try:
            check(exchange)
        except ContractViolation as broken:
            findings.append(Finding.of(broken))
    return findings


class Judge:
    """The model, the watch, and the data file the proxy keeps current."""

    def __init__(self, watch: Watch, record_file: str | None = None) -> None:
        self.model = TrafficModel()
        self.watch = watch
        self.record_file = record_file

    @staticmethod
    def answers_itself(path: str) -> bool:
        """The proxy's own control calls; the upstream's (provider states, reset, instances) are relayed."""
        return (path.startswith(PREFIX + "/") and not path.startswith(RELAYED_CONTROL)) or path == PREFIX

    def exchange(
        self,
        exchange: Exchange,
        params: dict[str, str] | None,
        number: int | None,
        credential: str,
        query: str,
        body: bytes,
        trace_id: str,
    ) -> list[Finding]:
        """The rules one relayed exchange broke (also listed, logged and reported), and what it taught the model."""
        path = exchange.target
        if path.startswith(PREFIX):
            self._learn(path, exchange, query, body)
            return []
        if params is None or number is None:
            findings = _broken(ENVELOPE_CHECKS, exchange)
        else:
            findings = _broken(OPERATION_CHECKS, exchange)
            findings += self.model.answered(params, number, exchange, credential)
        self.watch.judged(exchange.method, path, exchange.status, trace_id, findings)
        if params is not None:
            self.write_record()
        return findings

    def _learn(self, path: str, exchange: Exchange, query: str, body: bytes) -> None:
        if not 200 <= exchange.status < 300 or exchange.method != "POST":
            return
        if path == RESET:
            self.model.forget()
        elif path == PROVIDER_STATES:
            change = _state_change(query, body)
            if change.get("action", "setup") != "setup":
                return
            try:
                given = InstanceIds.from_json(exchange.envelope, "the provider-state call")
            except ValueError:
                return  # an answer without the IDs: nothing to learn
            pending = change.get("state") == PENDING_STATE
            states = Spec.shipped().provider_states[str(change.get("state", PENDING_STATE))]
            params = change.get("params")
            wanted = params.get("workflowStatus") if isinstance(params, dict) else None
            status = wanted if wanted in states else next(iter(states))
            lead = (
                {"workflowStatus": status, **states[status]}
                if change.get("state") in Spec.shipped().provider_states
                else None
            )
            self.model.given(given, pending=pending, lead_status=lead)
        self.write_record()

    def write_record(self) -> dict[str, Any] | None:
        """Rewrites the --record-data file from what the model holds now; the document, or None without one."""
        if self.record_file is None:
            return None
        from .recording import recorded_data

        doc = recorded_data(self.model, self.watch.upstream)
        write_atomically(self.record_file, doc)
        return doc


def _state_change(query: str, body: bytes) -> dict[str, Any]:
    """A provider-state call's state, action and params, from its JSON body or its query string (Pact's forms)."""
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        return doc
    fields = {name: values[0] for name, values in parse_qs(query).items()}
    return {"state": fields.pop("state", None), "action": fields.pop("action", "setup"), "params": fields}
