"""Before any contract test: can this run judge the target at all?

A wrong key, URL or state endpoint would otherwise show up as dozens of
"violations" by a target that did nothing wrong. A handful of requests, each
with IDs that cannot exist (or on an instance the state endpoint just made for
this purpose), tell a broken job from a broken target. A problem is reported as
one `PreflightError` naming the option, what was sent and what came back.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import requests

from discard_contract.exchange import ENVELOPE_FIELDS
from discard_contract.ids import ID_FIELDS, InstanceIds, unknown_path
from discard_contract.spec import Spec

from .client import exchange_of, retry_delay
from .provisioning import CONSUMER, PENDING, FixturesFileProvisioner, ProvisioningError
from .target import Target

TIMEOUT_SECONDS = 10.0
MAX_THROTTLED = 3


class PreflightError(Exception):
    """The run cannot judge the target; the message names the option at fault."""


@dataclass
class Answer:
    status: int
    content_type: str
    text: str
    body: Any

    def describe(self) -> str:
        text = " ".join(self.text.split())
        return f"{self.status} ({self.content_type or 'no Content-Type'}) {text[:200]!r}"

    @property
    def is_envelope(self) -> bool:
        """Looks like the API's envelope. Loosely: a target that drops a field of it
        is the contract tests' to fail, not a sign of a wrong URL."""
        return isinstance(self.body, dict) and sum(name in self.body for name in ENVELOPE_FIELDS) >= 2


def masked(key: str) -> str:
    return key[:8] + "…" if len(key) > 10 else "…"


def discard_path(path: dict[str, str]) -> str:
    return Spec.shipped().operation().path(path)


class Preflight:
    def __init__(self, target: Target, state_headers: dict[str, str]) -> None:
        self.target = target
        self.state_headers = state_headers
        self.session = requests.Session()

    def run(self) -> None:
        """Raises PreflightError on the first problem; returns quietly when the run can judge the target."""
        try:
            self._check_fixtures_file()
            home = self._check_state_url()
            self._check_base_url_and_key()
            self._check_key_without_permission(home)
        finally:
            self.session.close()

    # The checks, in the order a user would fix them.

    def _check_fixtures_file(self) -> None:
        if self.target.fixtures_file and not self.target.state_setup_url:
            try:
                FixturesFileProvisioner(self.target.fixtures_file)
            except ProvisioningError as exc:
                raise PreflightError(f"--fixtures-file: {exc}") from None

    def _check_base_url_and_key(self) -> None:
        key = self.target.api_key
        url = self.target.base_url + discard_path(unknown_path())
        sent = f"POST {url}"
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        answer = self._send("--base-url", "POST", url, headers)
        if not answer.is_envelope:
            raise PreflightError(
                f"--base-url {self.target.base_url}: {sent} (IDs that cannot exist) answered {answer.describe()}, "
                "not the discard API's JSON envelope {success, data, error, traceId}; "
                "give the API's root, the part before /v1"
            )
        if not key or answer.status != 401:
            # Only the discard route asks for a key first: a 404 here means the path is not served.
            anonymous = self._send("--base-url", "POST", url, {})
            if anonymous.status in (404, 405) or not anonymous.is_envelope:
                raise PreflightError(
                    f"--base-url {self.target.base_url}: {sent} without a key answered {anonymous.describe()}, "
                    "where a discard needs a key (401): the discard path is not served there; "
                    "give the API's root, the part before /v1"
                )
        if key and answer.status == 401:
            raise PreflightError(
                f"--api-key {masked(key)}: the target refused it: {sent} answered {answer.describe()}; "
                "pass a key with campaigns:execute (env CONTRACT_API_KEY)"
            )

    def _check_key_without_permission(self, home: InstanceIds | None) -> None:
        key = self.target.api_key_without_permission
        if not key:
            return
        path = unknown_path()
        if home is not None:  # in a group the keys can access, the permission is all that is missing
            path["accountGroupId"] = home.account_group_id
        url = self.target.base_url + discard_path(path)
        answer = self._send("--base-url", "POST", url, {"Authorization": f"Bearer {key}"})
        if answer.status == 401:  # anything else is the 403 tests' to judge (a missing check is a bug there)
            raise PreflightError(
                f"--api-key-without-permission {masked(key)}: POST {url} answered {answer.describe()}: "
                "not a valid key; pass a valid key that lacks campaigns:execute "
                "(env CONTRACT_API_KEY_WITHOUT_PERMISSION), or leave it out to skip the 403 tests"
            )

    def _check_state_url(self) -> InstanceIds | None:
        url = self.target.state_setup_url
        if not url:
            return None
        body = {"consumer": CONSUMER, "state": PENDING, "params": {}, "action": "setup"}
        sent = f"POST {url} {{'state': {PENDING!r}, 'action': 'setup'}}"
        answer = self._send("--state-setup-url", "POST", url, self.state_headers, json=body)
        if answer.status not in (200, 201):
            raise PreflightError(
                f"--state-setup-url {url}: {sent} answered {answer.describe()}, expected 200 or 201 "
                "with the four IDs" + self._header_hint(answer)
            )
        try:
            instance = InstanceIds.from_json(answer.body, "it")
        except ValueError:
            raise PreflightError(
                f"--state-setup-url {url}: {sent} answered {answer.describe()}, expected a JSON object "
                f"with string fields {', '.join(ID_FIELDS)}"
            ) from None
        teardown = {**body, "action": "teardown", "params": instance.as_json()}
        with contextlib.suppress(requests.RequestException):  # a target may ignore teardown
            self.session.post(url, json=teardown, headers=self.state_headers, timeout=TIMEOUT_SECONDS)
        return instance

    @staticmethod
    def _header_hint(answer: Answer) -> str:
        if answer.status in (401, 403):
            return "; if it needs a credential, pass --state-setup-header 'Name: value'"
        return ""

    def _send(self, option: str, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Answer:
        for attempt in range(MAX_THROTTLED + 1):
            try:
                response = self.session.request(method, url, headers=headers, timeout=TIMEOUT_SECONDS, **kwargs)
            except requests.RequestException as exc:
                raise PreflightError(f"{option}: cannot reach {url}: {_reason(exc)}") from None
            if response.status_code != 429 or attempt == MAX_THROTTLED:
                break
            time.sleep(retry_delay(exchange_of(response), attempt))
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(response.status_code, response.headers.get("Content-Type", ""), response.text, body)


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause, in a few words (not urllib3's nested repr)."""
    if isinstance(exc, requests.Timeout):
        return f"no answer within {TIMEOUT_SECONDS:.0f} s"
    cause: BaseException = exc
    while cause.__cause__ is not None or (cause.args and isinstance(cause.args[0], BaseException)):
        cause = cause.__cause__ or cause.args[0]
    text = str(cause)
    if "Connection refused" in text or isinstance(cause, ConnectionRefusedError):
        return "connection refused (is the server running and the port right?)"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "the host name does not resolve"
    return text.split(": ", 1)[-1][:200] or type(cause).__name__
