"""The proxy's route: every request but the proxy's own control calls goes to the upstream, and back unchanged.

In front of Flask, as the mock's endpoint route is (endpoint/route.py), with
the same journal entry, log line and CORS headers. On the discard path the
mock's rate limit and injected faults answer first, in front of the upstream.
The answer then goes back as the upstream gave it; only a violation adds the
`sl-violations` header (Prism's), and `--errors` answers a request that
breaks the spec, or replaces an answer that broke a rule, with the envelope.
Judging never delays, retries or alters a request.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from werkzeug.http import HTTP_STATUS_CODES

from discard_contract import rules
from discard_contract.exchange import Exchange
from discard_contract.traffic import Finding, credential_fingerprint

from ..endpoint.call import EndpointCall
from ..envelope import ApiError, encode, failure_body, new_trace_id
from ..journal import ExchangeLog
from ..request_parts import PATH_SAFE, environ_text
from ..wire_faults import NO_ANSWER, BreakConnection, SlowBody
from .judge import Judge, request_problems, sl_violations, sl_violations_json
from .upstream import Relayed, Upstream

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ..endpoint.checks import DiscardEndpoint
    from ..endpoint.cors import CorsPolicy

log = logging.getLogger("discard_mock")

SL_VIOLATIONS = "sl-violations"
_DECODERS = {"gzip": lambda data: zlib.decompress(data, 16 + zlib.MAX_WBITS), "deflate": zlib.decompress}


class ProxyRoute:
    """WSGI middleware: the proxy's own `/__mock` calls go to `app` (Flask), everything else upstream."""

    def __init__(
        self,
        app: WSGIApplication,
        upstream: Upstream,
        judge: Judge,
        endpoint: DiscardEndpoint,
        exchanges: ExchangeLog,
        cors: CorsPolicy | None,
        *,
        errors: bool,
    ) -> None:
        self.app = app
        self.upstream = upstream
        self.judge = judge
        self.endpoint = endpoint
        self.exchanges = exchanges
        self.cors = cors
        self.errors = errors
        self.operation = endpoint.operation

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        method = environ["REQUEST_METHOD"].upper()
        if self.judge.answers_itself(path):
            return self.app(environ, start_response)
        started = time.perf_counter()
        body = environ["wsgi.input"].read()
        call = EndpointCall.from_environ(environ, path, body)
        if self._is_preflight(call):  # 204 and the CORS headers, as `serve` answers, not relayed
            return self._answer(call, start_response, 204, [], b"", started, new_trace_id(), [])
        match = self.operation.path_pattern.fullmatch(path) if method == self.operation.method else None
        params = match.groupdict() if match else None
        number = None
        try:
            if params is not None:
                self.endpoint.rate_limit(call)
                self.endpoint.relayed_faults(call, params["workflowInstanceId"])
                self._refuse_invalid(call, params, body)
                number = self.judge.model.sent(params)
            relayed = self.upstream.send(method, _target(environ), call.headers, body)
        except BreakConnection as broken:  # a fault breaks the connection in front of the upstream
            self.exchanges(
                method, path, call.query, call.headers, NO_ANSWER, [], b"", started, new_trace_id(),
                broken.journal_fields(),
            )  # fmt: skip
            raise
        except ApiError as own:
            if number is not None and params is not None:
                self.judge.model.abandoned(params)
            trace_id = new_trace_id()
            payload = encode(failure_body(own, trace_id))
            headers = [("Content-Type", "application/json"), *own.headers.items()]
            return self._answer(call, start_response, own.status, headers, payload, started, trace_id, [])
        exchange = Exchange.of(method, path, relayed.status, relayed.headers, _decoded(relayed))
        trace_id = str((exchange.envelope or {}).get("traceId") or new_trace_id())
        credential = credential_fingerprint(call.headers.get("authorization"))
        try:
            findings = self.judge.exchange(exchange, params, number, credential, call.query, body, trace_id)
        except Exception:  # a fault of the judging must never cost the client its answer
            log.exception("the proxy could not judge %s %s (trace %s); relayed unjudged", method, path, trace_id)
            findings = []
        status, payload = relayed.status, relayed.body
        headers = [(n, v) for n, v in relayed.headers if not self._replaced(n)]
        if findings and self.errors:
            status, payload, headers = self._replacement(findings)
        elif findings:
            headers.append((SL_VIOLATIONS, sl_violations(["response"], findings)))
        return self._answer(call, start_response, status, headers, payload, started, trace_id, findings)

    def _answer(
        self,
        call: EndpointCall,
        start_response: StartResponse,
        status: int,
        headers: list[tuple[str, str]],
        payload: bytes,
        started: float,
        trace_id: str,
        findings: Sequence[Finding],
    ) -> Iterable[bytes]:
        headers = [*headers, ("Content-Length", str(len(payload)))] if payload or status != 204 else list(headers)
        if self.cors is not None:
            # Max-Age is an int
            headers.extend((name, str(value)) for name, value in self.cors.headers(call.method, call.headers))
        marks = {"violations": [{"rule": f.rule.id, "why": f.why} for f in findings]} if findings else None
        self.exchanges(call.method, call.path, call.query, call.headers, status, headers, payload, started, trace_id,
                       marks)  # fmt: skip
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN')}", headers)
        if call.slow_body_ms:  # a slow-body fault dribbles out the relayed answer
            return SlowBody(payload, call.slow_body_ms / 1000, self.endpoint.sleep)
        return [payload]

    def _refuse_invalid(self, call: EndpointCall, params: dict[str, str], body: bytes) -> None:
        """With --errors, a request that breaks the spec is answered here (as Prism's proxy does), never sent."""
        if not self.errors:
            return
        problems = request_problems(self.operation, call.headers.get("authorization"), params, body)
        if problems:
            status = 401 if any(code == rules.AUTH_401.id for _, (code, _) in problems) else 400
            message = "The request breaks the spec, so the proxy did not send it: " + "; ".join(
                m for _, (_, m) in problems
            )
            header = sl_violations_json([(where, code, message) for where, (code, message) in problems])
            raise ApiError(status, message, details="request", headers={SL_VIOLATIONS: header})

    def _replacement(self, findings: Sequence[Finding]) -> tuple[int, bytes, list[tuple[str, str]]]:
        """--errors: the upstream's answer broke a rule, so the client gets a 502 naming the rules instead."""
        named = "; ".join(f"[{f.rule.id}] {f.why}" for f in findings)
        error = ApiError(
            502, f"The upstream's answer broke the contract, so the proxy replaced it: {named}", details="contract"
        )
        headers = [("Content-Type", "application/json"), (SL_VIOLATIONS, sl_violations(["response"], findings))]
        return 502, encode(failure_body(error, new_trace_id())), headers

    def _replaced(self, name: str) -> bool:
        """Fields the proxy writes itself: the length of what it sends, and CORS when it speaks CORS."""
        lowered = name.lower()
        return lowered == "content-length" or (self.cors is not None and lowered.startswith("access-control-"))

    def _is_preflight(self, call: EndpointCall) -> bool:
        """A CORS preflight, answered by the proxy's own CORS policy (as `serve` answers it), not relayed."""
        return self.cors is not None and call.method == "OPTIONS" and "access-control-request-method" in call.headers


def _target(environ: WSGIEnvironment) -> str:
    """The path and query to send on: the path as the server decoded it, re-encoded; the query as it came."""
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe=PATH_SAFE)
    query = environ_text(environ.get("QUERY_STRING", ""))  # the text; non-ASCII goes on as its UTF-8, encoded
    return f"{path}?{query}" if query else path


def _decoded(relayed: Relayed) -> bytes:
    """The body as the checks read it: a gzip or deflate coding undone (what is relayed stays as sent)."""
    coding = next((v.strip().lower() for n, v in relayed.headers if n.lower() == "content-encoding"), "")
    decoder = _DECODERS.get(coding)
    if decoder is None:
        return relayed.body
    try:
        return decoder(relayed.body)
    except zlib.error:
        return relayed.body
