"""The upstream a proxy relays to: one pooled HTTP client, requests sent and answers returned as they are.

Hop-by-hop header fields (RFC 9110 7.6.1: `Connection`, the fields it names,
and the classic ones: Keep-Alive, Proxy-Connection, TE, Trailer,
Transfer-Encoding, Upgrade) belong to one connection and are not relayed
either way; `Host` names the upstream; everything else passes unchanged.
The client adds nothing of its own (no User-Agent, no Accept-Encoding, no
cookies, no proxy or netrc settings from the environment), follows no
redirect, and never retries: a request reaches the upstream once or not at all.
"""

from __future__ import annotations

import http.cookiejar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import SKIP_HEADER

from ..config import ConfigError
from ..envelope import ApiError

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"}
)
# The client's own defaults, sent only when the request carried them.
CLIENT_DEFAULTS = ("User-Agent", "Accept-Encoding")
POOL_SIZE = 16  # connections kept open to the upstream: the server answers on 8 threads


@dataclass(frozen=True)
class Relayed:
    """The upstream's answer: status, header fields (hop-by-hop ones left out) and body, as sent."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The fields a proxy relays: neither hop-by-hop nor named by `Connection` (RFC 9110 7.6.1)."""
    pairs = list(headers)
    named = {
        token.strip().lower() for name, value in pairs if name.lower() == "connection" for token in value.split(",")
    }
    return [(name, value) for name, value in pairs if name.lower() not in HOP_BY_HOP | named]


class Upstream:
    """The base URL every request is relayed to, over a pool of kept-alive connections."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--upstream must be an http:// or https:// URL with a host; got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.shown = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"
        self.timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy variables, no netrc credentials added on the way
        self._session.headers.clear()
        self._session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))  # keeps none
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Relayed:
        """Relays one request; a 502 ApiError naming the upstream when it cannot be reached or is too slow."""
        sent: dict[str, str | bytes] = dict(end_to_end(headers.items()))
        present = {name.lower() for name in sent}
        for name in CLIENT_DEFAULTS:
            if name.lower() not in present:
                sent[name] = SKIP_HEADER
        try:
            answer = self._session.request(
                method,
                self.base_url + target,
                headers=sent,
                data=body or None,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
            try:
                payload = answer.raw.read(decode_content=False)
            finally:
                answer.close()
        except requests.Timeout:
            raise ApiError(
                502,
                f"The upstream {self.shown} did not answer within {self.timeout:g} s (timeout); the request may "
                "have reached it: check the instance's state before retrying.",
                details="upstream timeout",
            ) from None
        except requests.ConnectionError as exc:
            refused = "refused" in str(exc).lower()
            why = "refused the connection" if refused else f"could not be reached ({_reason(exc)})"
            raise ApiError(
                502,
                f"The upstream {self.shown} {why}; the request was not relayed. Is it running at that address?",
                details="upstream connection refused" if refused else "upstream unreachable",
            ) from None
        return Relayed(answer.status_code, tuple(end_to_end(answer.raw.headers.items())), payload)

    def close(self) -> None:
        self._session.close()


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text[text.rfind(":") + 1 :].strip(" )'\"")[:200] or type(exc).__name__
