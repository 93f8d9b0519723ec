"""`discard-mock proxy`: the mock's app with a relay to an upstream in place of the discard endpoint.

Built by the same factory (`create_app` with a `PROXY` setting), so the journal,
CORS, request limits, console, rate limit and faults work as in `serve`; the
upstream answers everything else, judged as it passes (judge.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the relay's modules (and requests) load in init_app: `serve` imports this package for its options
    from flask import Flask

    from ..endpoint.checks import DiscardEndpoint
    from ..endpoint.cors import CorsPolicy
    from ..journal import ExchangeLog
    from .judge import Judge

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ProxySettings:
    """What `discard-mock proxy` adds to `serve`'s settings."""

    upstream: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    errors: bool = False  # Prism's --errors: refuse requests that break the spec, replace answers that break a rule
    report_file: str | None = None
    record_file: str | None = None


def init_app(
    app: Flask,
    settings: ProxySettings,
    endpoint: DiscardEndpoint,
    exchanges: ExchangeLog,
    cors: CorsPolicy | None,
    *,
    control_api: bool,
) -> Judge:
    """Relays to the upstream in front of Flask; `/__mock/violations`, `/report`, `/record` with the control API."""
    from ..control import PREFIX
    from . import control
    from .judge import Judge
    from .route import ProxyRoute
    from .upstream import Upstream
    from .watch import Watch

    upstream = Upstream(settings.upstream, settings.timeout)
    judge = Judge(Watch(upstream.shown, settings.report_file), settings.record_file)
    app.extensions[control.EXTENSION_KEY] = judge
    if control_api:
        app.register_blueprint(control.bp, url_prefix=PREFIX)
    app.wsgi_app = ProxyRoute(  # type: ignore[method-assign]
        app.wsgi_app, upstream, judge, endpoint, exchanges, cors, errors=settings.errors
    )
    return judge
