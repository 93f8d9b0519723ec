"""Sending discards through Schemathesis, so every answer is checked the same way.

Every request of the suite, generated or hand-built, is a Schemathesis `Case`
of the spec's operation: it is validated by Schemathesis' own checks plus the
envelope checks, and a failure shows the request as a curl line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from urllib3.util.retry import Retry

from .checks import ENVELOPE_CHECKS, envelope_of

# Not `ignored_auth`: its probes go out on a session of their own, which does not
# wait out 429s, so a rate-limited target would fail it; test_auth.py covers it.
CONFORMANCE_CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    *ENVELOPE_CHECKS,
)
MAX_429_RETRIES = 5
SPEC_RULE = (
    "CONTRACT «The endpoint» and «The envelope»: every answer has a documented status, a JSON body valid "
    "against the spec's schema for that status, and the envelope {success, data, error, traceId}."
)


def http_session(backoff_factor: float = 0.5) -> requests.Session:
    """A session that waits out 429s (Retry-After when sent, backoff when not).

    Only 429s are retried: a throttled request was not processed, so sending it
    again is safe; anything else, 5xx included, is answered as it came.
    """
    retry = Retry(
        total=MAX_429_RETRIES,
        connect=0,
        read=0,
        other=0,
        status=MAX_429_RETRIES,
        status_forcelist=(429,),
        allowed_methods=None,
        respect_retry_after_header=True,
        backoff_factor=backoff_factor,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=64)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass
class Exchange:
    """One request and its answer."""

    case: Any
    response: Any
    base_url: str

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def body(self) -> dict[str, Any] | None:
        return envelope_of(self.response)

    @property
    def data(self) -> dict[str, Any]:
        body = self.body or {}
        return body.get("data") or {}

    def explain(self) -> str:
        """The request as a curl line and the answer, for failure messages."""
        curl = self.case.as_curl_command(headers=dict(self.response.request.headers), base_url=self.base_url)
        text = self.response.content[:1000].decode("utf-8", "replace")
        return f"\n  request:  {curl}\n  response: {self.status} {text}"


class DiscardClient:
    """Builds, sends and validates discard requests against one target."""

    def __init__(self, schema: Any, base_url: str, api_key: str | None, session: requests.Session) -> None:
        self.schema = schema
        self.operation = next(op.ok() for op in schema.get_all_operations())
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.session = session

    def fork(self) -> DiscardClient:
        """The same client on its own connection pool, for use from another thread."""
        return DiscardClient(self.schema, self.base_url, self.api_key, http_session())

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
        **kwargs: Any,
    ) -> Exchange:
        """Sends `case` with `headers` (default: the bearer of --api-key) and validates the answer.

        The headers go in as explicit request headers, so Schemathesis knows the
        key was given, not generated.
        """
        sent = dict(self.bearer() if headers is None else headers)
        response = case.call(base_url=self.base_url, session=self.session, headers=sent, **kwargs)
        try:
            case.validate_response(
                response,
                checks=list(checks),
                headers=sent,
                transport_kwargs={"base_url": self.base_url},
            )
        except FailureGroup as failures:
            failures.add_note(SPEC_RULE)
            raise
        return Exchange(case, response, self.base_url)

    def discard(
        self,
        path: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        checks: Iterable[Any] = CONFORMANCE_CHECKS,
        **kwargs: Any,
    ) -> Exchange:
        return self.send(self.case(path), headers=headers, checks=checks, **kwargs)
