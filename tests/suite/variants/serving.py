"""How a variant of the mock is made and served: through the app factory's extension points
and its public parts, never in the shipped mock."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response
from werkzeug.serving import WSGIRequestHandler, make_server

from mock_server import create_app
from mock_server.context import EXTENSION_KEY, MockContext
from mock_server.domain import PENDING_APPROVAL, ConditionalUpdate
from mock_server.endpoint import DiscardEndpoint
from mock_server.storage import Storage
from mock_server.storage.memory import MemoryBuckets, MemoryFaultRegistry, MemoryInstanceStore

PENDING_IGNORED = {name: not value for name, value in PENDING_APPROVAL.items()}


def context_of(app: Flask) -> MockContext:
    return app.extensions[EXTENSION_KEY]


def in_front(app: Flask, change: Callable[[Response], Response]) -> None:
    """A layer in front of the app that passes every public-API answer through `change` on its way out."""
    wsgi_app = app.wsgi_app

    def layer(environ: dict[str, Any], start_response: Any) -> Any:
        response = Response.from_app(wsgi_app, environ)
        if environ.get("PATH_INFO", "").startswith("/v1/"):
            response = change(response)
        return response(environ, start_response)

    app.wsgi_app = layer  # type: ignore[method-assign]


def rewrite_json(app: Flask, change: Callable[[dict[str, Any], int], None]) -> None:
    """Edits every JSON body the public API answers."""

    def rewrite(response: Response) -> Response:
        if response.is_json:
            body = response.get_json()
            change(body, response.status_code)
            response.set_data(json.dumps(body))
        return response

    in_front(app, rewrite)


def endpoint_of(app: Flask) -> DiscardEndpoint:
    return context_of(app).endpoint


def with_store(store_class: type[MemoryInstanceStore]) -> Mapping[str, Any]:
    """The app's settings for a mock on a store of `store_class` (the STORE factory extension point)."""
    return {"STORE": lambda seed: Storage(store_class(seed), MemoryFaultRegistry(), MemoryBuckets())}


# How a variant is made: settings for create_app, or a change to a built app through its public parts.
Variant = Mapping[str, Any] | Callable[[Flask], None]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


@dataclass
class ServedApp:
    base_url: str


@contextmanager
def served(variant: Variant | None = None, app: Flask | None = None) -> Iterator[ServedApp]:
    """A variant of the mock (or any app) on a free loopback port, over real HTTP."""
    if app is None:
        app = create_app(variant if isinstance(variant, Mapping) else None)
    if callable(variant):
        variant(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ServedApp(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(10)


def unconditionally(update: ConditionalUpdate) -> ConditionalUpdate:
    """The same write, with no condition left: what a store that checks separately does."""
    return ConditionalUpdate(update.workflow_instance_id, {}, dict(update.assign))
