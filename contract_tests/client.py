"""Sending discards through Schemathesis, so every answer is checked the same way.

Every request of the suite, generated or hand-built, is a Schemathesis `Case`
of the spec's operation: it is validated by Schemathesis' own checks plus the
contract's checks on an answer (`discard_contract.checks`, adapted here, not
registered with Schemathesis), and a failure shows the request as a curl line.
A 429 is validated too, before it is retried: whichever layer wrote it, it is
the contract's business.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import requests
from schemathesis import Case, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import CustomFailure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from discard_contract import rules
from discard_contract.checks import ANSWER_CHECKS, ENVELOPE_CHECKS, Check
from discard_contract.exchange import Exchange
from discard_contract.rules import Rule
from discard_contract.violations import ContractViolation, violation

from . import credentials
from .curl import curl_line
from .record import RunRecord
from .transport import MAX_429_RETRIES, GatedSession, http_session, retry_delay


def exchange_of(response: Response | requests.Response, method: str | None = None) -> Exchange:
    """The contract's view of an answer, from Schemathesis' response or a plain requests one."""
    request = response.request
    headers: Any = response.headers if isinstance(response, Response) else response.headers.items()
    return Exchange.of(
        method or str(request.method), str(request.path_url), response.status_code, headers, response.content
    )


def as_schemathesis(checks: tuple[Check, ...], name: str) -> Callable[[Any, Response, Any], None]:
    """The contract's checks as one Schemathesis check (passed explicitly, never registered
    globally, so other Schemathesis runs in the same process are unaffected)."""

    def check(ctx: Any, response: Response, case: Any) -> None:
        exchange = exchange_of(response)
        for each in checks:
            each(exchange)

    check.__name__ = name
    return check


contract_answer_checks = as_schemathesis(ANSWER_CHECKS, "contract_answer_checks")

# Not `ignored_auth`: its probes go out on a session of their own, which does not
# wait out 429s, so a rate-limited target would fail it; test_auth.py covers it.
CONFORMANCE_CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    contract_answer_checks,
)
# What a 429 must satisfy before it is retried: documented, the envelope and its headers.
THROTTLED_CHECKS = (
    status_code_conformance, content_type_conformance, response_schema_conformance, contract_answer_checks
)  # fmt: skip
# What an answer outside the spec's operation must satisfy (another method, an unknown path).
ENVELOPE_ONLY = (as_schemathesis(ENVELOPE_CHECKS, "contract_envelope_checks"),)


def curl_of(request: requests.PreparedRequest) -> str:
    """The request as a curl line a shell runs as it is, each key as its environment variable."""
    body = request.body.encode() if isinstance(request.body, str) else request.body
    return curl_line(str(request.method), str(request.url), request.headers, body, credentials.active().variables)


def answer_text(exchange: Exchange, throttled: int = 0) -> str:
    """The answer in one line for a failure message, scrubbed before it is cut (a cut could keep half
    of a key the target echoed)."""
    text = credentials.active().scrub(exchange.body.decode("utf-8", "replace"))[:1000]
    after = f" (after {throttled} x 429)" if throttled else ""
    return f"{exchange.status}{after} {text}"


@dataclass(frozen=True)
class Plain:
    """A request outside the spec's operation (an unknown route, a path near an instance's) and its answer."""

    exchange: Exchange
    curl: str

    @property
    def answer(self) -> str:
        return answer_text(self.exchange)

    def shown(self) -> dict[str, str]:
        """The request and the answer, as a violation shows them."""
        return {"request": self.curl, "response": self.answer}


@dataclass
class Sent:
    """One request the suite sent, and its answer (after any 429s, which were checked and are counted)."""

    case: Case[Any]
    response: Response
    base_url: str
    throttled: int = 0  # 429s answered before this response

    @cached_property
    def exchange(self) -> Exchange:
        return exchange_of(self.response)

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def body(self) -> dict[str, Any] | None:
        return self.exchange.envelope

    @property
    def data(self) -> dict[str, Any]:
        return self.exchange.data

    @property
    def curl(self) -> str:
        return curl_of(self.response.request)

    @property
    def answer(self) -> str:
        return answer_text(self.exchange, self.throttled)

    def shown(self) -> dict[str, str]:
        """The request and the answer, as a violation shows them."""
        return {"request": self.curl, "response": self.answer}

    def explain(self) -> str:
        """The request as a curl line and the answer, for failure messages."""
        return f"\n  request:  {self.curl}\n  response: {self.answer}"


def typed(failures: FailureGroup, request: str, response: str, rule: Rule = rules.SPEC) -> ContractViolation:
    """Schemathesis' failure group as one typed violation, every failure's message in it.

    It names the rule of the first of the contract's checks that failed (else `rule`), but for
    a 429 that is not the envelope: that breaks the rate-limit rule (CONTRACT.md: a 429 must
    still be the envelope), which is what `rule` says while a 429 is checked."""
    messages = []
    for failure in failures.exceptions:
        inner = failure.exception if isinstance(failure, CustomFailure) else None
        text = inner.message if isinstance(inner, ContractViolation) else f"{failure.title}: {failure.message}"
        messages.append(" ".join(text.split()) if len(failures.exceptions) > 1 else text)
    message = "; ".join(messages)
    raised = [f.exception for f in failures.exceptions if isinstance(f, CustomFailure)]
    ours = [e for e in raised if isinstance(e, ContractViolation)]
    named = ours[0].rule if ours and not (rule is rules.RATE_LIMIT and ours[0].rule is rules.ENVELOPE) else rule
    return violation(named, message, request=request, response=response)


class DiscardClient:
    """Builds, sends and validates discard requests against one target."""

    def __init__(
        self,
        schema: Any,
        base_url: str,
        api_key: str | None,
        session: requests.Session,
        record: RunRecord | None = None,
    ) -> None:
        self.schema = schema
        self.operation = next(op.ok() for op in schema.get_all_operations())
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.session = session
        self.record = record or RunRecord()

    def fork(self) -> DiscardClient:
        """The same client on its own connection pool, for use from another thread."""
        return DiscardClient(self.schema, self.base_url, self.api_key, http_session(retry_429=False), self.record)

    def bearer(self, key: str | None = None) -> dict[str, str]:
        key = key or self.api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def case(self, path: Mapping[str, str], *, method: str | None = None) -> Any:
        """A hand-built case of the spec's operation."""
        return self.operation.Case(method=method, path_parameters=dict(path))

    def send(
        self,
        case: Any,
        *,
        headers: Mapping[str, str] | None = None,
        checks: Iterable[Any] = CONFORMANCE_CHECKS,
        before_sending: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> Sent:
        """Sends `case` with `headers` (default: the bearer of --api-key) and validates the answer.

        The headers go in as explicit request headers, so Schemathesis knows the
        key was given, not generated. A 429 is validated, then retried after its
        Retry-After (or a backoff); anything else is answered as it came.
        """
        sent = dict(self.bearer() if headers is None else headers)
        throttled = 0
        while True:
            if before_sending is not None and isinstance(self.session, GatedSession):
                self.session.before_send, before_sending = before_sending, None
            started = time.monotonic()
            response = case.call(base_url=self.base_url, session=self.session, headers=sent, **kwargs)
            self.record.answered(response.status_code, time.monotonic() - started)
            if response.status_code != rules.RATE_LIMIT.status or throttled == MAX_429_RETRIES:
                break
            self._validate(case, response, sent, THROTTLED_CHECKS, rule=rules.RATE_LIMIT)
            self.record.give_up_if_throttled()
            time.sleep(retry_delay(exchange_of(response), throttled))
            throttled += 1
        if case.method.upper() == self.operation.method.upper() and case.path_parameters:
            # Before the answer is judged: a discard that happened counts even if its answer is wrong.
            self.record.model.answered(dict(case.path_parameters), response.status_code)
        self._validate(case, response, sent, checks)
        return Sent(case, response, self.base_url, throttled)

    def _validate(self, case: Any, response: Any, sent: dict[str, str], checks: Iterable[Any], **kw: Rule) -> None:

        __tracebackhide__ = True  # failures point at the test, not at this helper
        try:
            case.validate_response(
                response,
                checks=list(checks),
                headers=sent,
                transport_kwargs={"base_url": self.base_url},
            )
        except FailureGroup as failures:
            shown = Sent(case, response, self.base_url)
            raise typed(failures, shown.curl, shown.answer, **kw) from None

    def off_the_spec(self, target: str, *, method: str = "POST", headers: Mapping[str, str] | None = None) -> Plain:
        """A request to `target` (path and query, sent byte for byte as given: no re-encoding) that
        need not be the spec's operation: an unknown route, a path near an instance's. Its 429s are
        checked against the envelope and retried like the discards'."""

        __tracebackhide__ = True  # failures point at the test, not at this helper
        url = self.base_url + target
        attempt = 0
        while True:
            prepared = self.session.prepare_request(
                requests.Request(method, url, headers=dict(self.bearer() if headers is None else headers))
            )
            prepared.url = url  # as given: requests would decode escapes of unreserved characters
            started = time.monotonic()
            answer = exchange_of(self.session.send(prepared, timeout=30), method)
            self.record.answered(answer.status, time.monotonic() - started)
            sent = Plain(answer, curl_of(prepared))
            if answer.status != rules.RATE_LIMIT.status or attempt == MAX_429_RETRIES:
                return sent
            for check in ENVELOPE_CHECKS:
                try:
                    check(answer)
                except ContractViolation as exc:
                    raise violation(
                        rules.RATE_LIMIT, f"a 429 must be the envelope: {exc.message}", **sent.shown()
                    ) from None
            self.record.give_up_if_throttled()
            time.sleep(retry_delay(answer, attempt))
            attempt += 1

    def discard(
        self,
        path: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        checks: Iterable[Any] = CONFORMANCE_CHECKS,
        **kwargs: Any,
    ) -> Sent:

        __tracebackhide__ = True  # failures point at the test, not at this helper
        return self.send(self.case(path), headers=headers, checks=checks, **kwargs)
