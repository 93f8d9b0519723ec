"""What the journal shows of a credential: never the credential itself.

The journal answers "what did my client send?" to anyone who can read the
control API, so it must not hand out what would let them act as the client.
A credential is any of:

- `Authorization` and `Proxy-Authorization`, in any form: each credential of
  a repeated or comma-joined field, each word after its scheme;
- a header field or query parameter whose name says it carries a credential
  (`discard_contract.credential_names`: token, key, secret, auth, password,
  session, sig, credential), and cookies;
- anywhere (headers, query, path), the mock's own secrets: the control token.

A key (a Bearer token, a field named for a key or token) is shown as its
prefix and last four characters, enough to tell two keys apart when
debugging a 401 (`Bearer sk_test_…cute`); a short one as its prefix alone.
Anything that may be a password or a whole session (other schemes such as
Basic, fields named secret, password or session, cookies, the control
token's own header) is `[redacted]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus

from discard_contract.credential_names import CREDENTIAL_NAME

REDACTED = "[redacted]"
AUTHORIZATION_FIELDS = frozenset({"authorization", "proxy-authorization"})
WHOLLY_SECRET_NAME = re.compile(r"secret|passw|session|cookie|^x-mock-control-token$", re.IGNORECASE)
# Schemes a field may name with nothing after them (RFC 9110 11.4); shown, since they hide nothing.
SCHEMES = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm", "token", "aws4-hmac-sha256", "hoba", "mutual"})
SHOWN_KEY_END = 4
KEY_PREFIX_WITHIN = 12  # a key's prefix is what precedes its last '_' in these first characters (`sk_test_`)
MIN_HIDDEN = 3  # characters of a key that always stay hidden, whatever its length


class Redactor:
    """Masks the credentials of journal entries; `secrets` are values never shown wherever they occur."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = tuple(secret for secret in secrets if secret)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self.value(name, value) for name, value in headers.items()}

    def value(self, name: str, value: str) -> str:
        """A header field's or query parameter's value as shown, by its name and content."""
        if self._holds_secret(value):
            return REDACTED
        lowered = name.lower()
        if lowered in AUTHORIZATION_FIELDS:
            return masked_authorization(value)
        if not CREDENTIAL_NAME.search(lowered):
            return value
        if WHOLLY_SECRET_NAME.search(lowered):
            return REDACTED
        return masked_authorization(value)  # a key or a token, bare or after a scheme

    def query(self, query: str) -> str:
        """The query string as sent, with each credential parameter's value masked (shown decoded)."""
        if not query:
            return query
        shown = []
        for part in query.split("&"):
            raw_name, equals, raw_value = part.partition("=")
            value = unquote_plus(raw_value)
            masked = self.value(unquote_plus(raw_name), value)
            shown.append(part if masked == value else f"{raw_name}{equals}{masked}")
        return "&".join(shown)

    def text(self, text: str) -> str:
        """Free text (a path) with every secret replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def _holds_secret(self, value: str) -> bool:
        return any(secret in value for secret in self._secrets)


def masked_authorization(value: str) -> str:
    """Every credential of a field (comma-separated when repeated), each masked by its scheme."""
    return ", ".join(_masked_credential(part) for part in value.split(","))


def _masked_credential(credential: str) -> str:
    words = credential.split()
    if not words:
        return ""
    scheme, *params = words
    if "=" in scheme.rstrip("="):  # an auth-param (`realm="x"`) of the credential before it
        return REDACTED
    if not params:  # a scheme alone, or a bare key
        return scheme if scheme.lower() in SCHEMES else mask_key(scheme)
    if scheme.lower() == "bearer":
        return " ".join([scheme, *map(mask_key, params)])
    return f"{scheme} {REDACTED}"  # Basic and the others carry what may be a password


def mask_key(key: str) -> str:
    """A key as shown: its prefix and last four characters (`sk_test_…cute`), never most of it."""
    cut = key.rfind("_", 0, KEY_PREFIX_WITHIN)
    prefix = key[: cut + 1] if cut >= 0 else key[:3]
    hidden = len(key) - len(prefix)
    if hidden < MIN_HIDDEN:  # so short that any part of it shown is most of it
        return f"{prefix}…" if cut >= 0 else "…"
    if hidden < MIN_HIDDEN + SHOWN_KEY_END:
        return f"{prefix}…"
    return f"{prefix}…{key[-SHOWN_KEY_END:]}"
