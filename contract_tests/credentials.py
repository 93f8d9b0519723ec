"""The run's credentials, and `scrub(text)`: no output of the suite shows one in clear.

A gate's console log, its JUnit file, its report and its job summary are read
by everyone who can open the CI job, far more people than may hold the keys.
So every credential the run was given (both keys, the values of
--state-setup-header, and credentials in a URL: userinfo, or a query
parameter whose name says it carries one, `discard_contract.credential_names`) is
replaced wherever it shows: in full, percent-encoded, JSON- or repr-escaped
(a str's or a bytes'),
as the Basic credentials a URL's userinfo becomes, and where a repr cut it
short with "...". A key becomes the shell variable a failure's curl line
uses (`$CONTRACT_API_KEY`), anything else `***`.

Pure: no pytest here. `contract_tests.failures` applies it to the reports,
the preflight to its messages.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

from discard_contract.credential_names import CREDENTIAL_NAME

API_KEY_VARIABLE = "CONTRACT_API_KEY"
KEY_WITHOUT_PERMISSION_VARIABLE = "CONTRACT_API_KEY_WITHOUT_PERMISSION"
MASK = "***"
# Shorter values are masked where the suite puts them (URLs, curl lines), but not searched for in
# free text: a two-letter "secret" would mask every word that contains it.
MIN_SCRUBBED = 4
# saferepr, reprlib and Schemathesis cut long text with this: a secret may show only its head or tail.
# The suite's own cuts (an answer shown in part) scrub first, then cut.
CUT = "..."


@dataclass(frozen=True)
class Secret:
    """A credential and what replaces it in output."""

    value: str
    label: str = MASK


def redact_url(url: str) -> str:
    """The URL with its userinfo and its credential-like query values replaced by `***`."""
    parts = urlsplit(url)
    if not (parts.username or parts.password or _secret_query_values(url)):
        return url
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc += f":{parts.port}"
    if parts.username or parts.password:
        netloc = f"{MASK}@{netloc}"
    query = "&".join(
        f"{name}={MASK}" if CREDENTIAL_NAME.search(name) else f"{name}={value}" if sep else name
        for name, sep, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _secret_query_values(url: str) -> list[str]:
    return [value for name, value in parse_qsl(urlsplit(url).query) if CREDENTIAL_NAME.search(name) and value]


def url_secrets(url: str | None) -> list[Secret]:
    """The credentials a URL carries: its userinfo (and the Basic credentials requests makes of it)
    and its credential-like query values."""
    if not url:
        return []
    parts = urlsplit(url)
    found = [Secret(value) for value in _secret_query_values(url)]
    # Raw as well as decoded: the URL carries them percent-encoded.
    raw_user, _, raw_password = parts.netloc.rpartition("@")[0].partition(":")
    for value in (parts.username, parts.password, raw_user, raw_password):
        if value:
            found.append(Secret(value))
    if parts.username is not None and parts.password is not None:
        basic = base64.b64encode(f"{parts.username}:{parts.password}".encode()).decode()
        found.append(Secret(basic))
    return found


@dataclass(frozen=True)
class Credentials:
    """Every credential of one run; `scrub` takes them out of any text."""

    secrets: tuple[Secret, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        api_key: str | None = None,
        api_key_without_permission: str | None = None,
        headers: Mapping[str, str] | None = None,
        urls: Iterable[str | None] = (),
    ) -> Credentials:
        """The run's credentials: both keys, the provider-state headers' values, and what the URLs carry."""
        found = [Secret(value) for value in (headers or {}).values() if value]
        for url in urls:
            found += url_secrets(url)
        # The keys last, so a key that is also given elsewhere keeps its variable as a label.
        if api_key_without_permission:
            found.append(Secret(api_key_without_permission, "$" + KEY_WITHOUT_PERMISSION_VARIABLE))
        if api_key:
            found.append(Secret(api_key, "$" + API_KEY_VARIABLE))
        return cls(tuple(found))

    @property
    def variables(self) -> dict[str, str]:
        """Each key's value -> the environment variable that stands for it in a curl line."""
        return {s.value: s.label.removeprefix("$") for s in self.secrets if s.label.startswith("$")}

    @cached_property
    def _labels(self) -> dict[str, str]:
        """Every form a credential takes in text -> its label (later secrets win)."""
        forms: dict[str, str] = {}
        for secret in self.secrets:
            for form in _forms(secret.value):
                if len(form) >= MIN_SCRUBBED:
                    forms[form] = secret.label
        return forms

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self._labels:
            return None
        longest_first = sorted(self._labels, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, longest_first)))

    def scrub(self, text: str) -> str:
        """`text` with every credential, whole or cut short by a repr, replaced by its label."""
        if self._pattern is None or not text:
            return text
        text = self._pattern.sub(lambda match: self._labels[match.group(0)], text)
        if CUT in text:
            text = self._scrub_cut(text)
        return text

    def _scrub_cut(self, text: str) -> str:
        """A repr cut in the middle shows a secret's head before "..." or its tail after it (a space
        between them too: Schemathesis cuts that way)."""
        pieces = text.split(CUT)
        for index in range(len(pieces)):
            for form, label in self._labels.items():
                if index < len(pieces) - 1:  # a head right before the cut
                    kept = pieces[index].rstrip(" ")
                    head = _longest_overlap(kept, form, at_end=True)
                    if head:
                        pieces[index] = kept[:-head] + label + pieces[index][len(kept) :]
                if index > 0:  # a tail right after it
                    kept = pieces[index].lstrip(" ")
                    tail = _longest_overlap(kept, form, at_end=False)
                    if tail:
                        pieces[index] = pieces[index][: len(pieces[index]) - len(kept)] + label + kept[tail:]
        return CUT.join(pieces)


def _longest_overlap(piece: str, form: str, *, at_end: bool) -> int:
    """The length of the longest head of `form` that `piece` ends with (or tail it starts with),
    if at least MIN_SCRUBBED characters long; else 0."""
    for size in range(min(len(form) - 1, len(piece)), MIN_SCRUBBED - 1, -1):
        if (piece.endswith(form[:size])) if at_end else piece.startswith(form[-size:]):
            return size
    return 0


def _forms(value: str) -> set[str]:
    """The ways a value shows in text: as it is, percent-encoded, JSON-escaped, in a str's or bytes' repr."""
    escaped = (json.dumps(value)[1:-1], repr(value)[1:-1], repr(value.encode("utf-8", "replace"))[2:-1])
    return {value, quote(value, safe=""), quote_plus(value), *escaped}


_active = Credentials()


def activate(credentials: Credentials) -> Credentials:
    """Makes `credentials` the ones curl lines and reports use; returns the ones before (to give back)."""
    global _active
    previous, _active = _active, credentials
    return previous


def active() -> Credentials:
    return _active
