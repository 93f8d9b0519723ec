"""The Flask app behind granian's RSGI interface: whole requests in, a thread only for the app's own work.

Why not granian's WSGI interface: it hands a request to a Python thread as
soon as the head has arrived, and that thread then blocks reading the body;
a client that stalls mid-body holds a thread, and a handful of them starve
the server (measured: 20 stalled bodies stopped a worker with 2 threads).
Here the head is parsed by granian (Rust, no thread per connection), the
body is read on the event loop, bounded in size and time, and only a request
that arrived whole is given to a thread to run the app. A slow or stalled
client costs a connection and a little memory, never a thread.

What the bridge refuses itself, before the app, it answers in the app's
error envelope: an oversized request line (414), header field or head (431),
body (413), a body that does not arrive in time (408) or cannot be decoded
(400, malformed chunked encoding), a header field named with '_' (400: WSGI
names `X-Mock-Control_Token` as it names `X-Mock-Control-Token`, so one would
pass for the other; nginx and Apache drop such fields unread). Each refusal
carries the header fields the app gives every answer (its CORS headers:
without them a browser shows its page "Failed to fetch", not the status).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from ..endpoint.call import EndpointCall
from ..envelope import error_body, new_trace_id
from ..loop_calls import LoopCalls, MustWait
from ..wire_faults import SlowBody
from .head import Refusal, client_host, decoded_path, head_fields, read_fields, wsgi_environ
from .limits import ServeLimits

log = logging.getLogger("discard_mock")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# The header fields the app adds to every answer (CORS), from a request's method and fields by lower-case name.
AnswerHeaders = Callable[[str, Mapping[str, str]], Iterable[tuple[str, str]]]
Payload = bytes | SlowBody

# The envelope's Content-Type, as the app answers it.
JSON_HEADERS = [("content-type", "application/json")]


def refusal_body(refusal: Refusal) -> bytes:
    return json.dumps(
        error_body(refusal.status, refusal.message, refusal.details, new_trace_id()), separators=(",", ":")
    ).encode()


class EndpointRoute(Protocol):
    """The app's hot route, answered without a WSGI environ (endpoint/route.py's EndpointRoute)."""

    def match(self, method: str, path: str) -> Mapping[str, str] | None: ...

    def answer(self, call: EndpointCall, params: Mapping[str, str]) -> tuple[int, list[tuple[str, str]], Payload]: ...


class RsgiBridge:
    """An RSGI application that serves a WSGI app (the mock's Flask app) on a pool of threads."""

    def __init__(
        self,
        app: WsgiApp,
        limits: ServeLimits,
        threads: int,
        runs_inline: Callable[[str], bool] | None = None,
        answer_headers: AnswerHeaders | None = None,
        route: EndpointRoute | None = None,
        suspends: bool = False,
    ) -> None:
        """`answer_headers(method, fields)`: what the app adds to every answer, added to the bridge's own refusals.

        `runs_inline(path)` says whether the app answers a request on `path` without waiting on anything.

        Such a request runs on the event loop's own thread: no hand-off to a pool thread and back,
        which is a third of a short request's cost on a busy worker. Anything that may wait (a
        latency fault's sleep, a lock shared with other processes, a network store's reply) must go
        to the pool, or it would hold up every connection of the worker, unless it waits by
        suspending (`suspends`). Default: every request to the pool.

        `route`: requests it matches are answered by it from the parsed head, with no WSGI
        environ (a sixth of a discard's time went into building one); all others by `app`.

        `suspends`: the route's inline calls may wait for a network reply (a Redis store): each runs
        as a loop call (loop_calls.py), which waits on the loop instead of blocking it.
        """
        self.app = app
        self.limits = limits
        self.threads = threads
        self.runs_inline = runs_inline or _never
        self.answer_headers = answer_headers
        self.route = route
        self.suspends = suspends
        self._pool: ThreadPoolExecutor | None = None
        self._loop_calls = LoopCalls()

    # RSGI ------------------------------------------------------------------

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called once per worker process, after the fork: the pool is the worker's own."""
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="request")

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return
        try:
            fields = read_fields(scope, self.limits)
            # Most requests (every discard) have no body: no coroutine, no timer, for nothing to read.
            if "content-length" in fields or "transfer-encoding" in fields:
                body = await self._read_body(scope, protocol)
            else:
                body = b""
        except Refusal as refusal:
            log.info("%s %s %d (refused by the server: %s)", scope.method, _printable(scope.path), refusal.status,
                     refusal.details)  # fmt: skip
            headers = [*JSON_HEADERS, ("connection", "close")]
            if self.answer_headers is not None:
                headers.extend(self.answer_headers(scope.method.upper(), head_fields(scope)))
            protocol.response_bytes(refusal.status, headers, refusal_body(refusal))
            return
        if self._pool is None:  # served without __rsgi_init__ (never by granian): make one now
            self.__rsgi_init__(asyncio.get_running_loop())
        path = decoded_path(scope.path)
        params = None if self.route is None else self.route.match(scope.method, path)
        if params is not None:
            call = EndpointCall(scope.method, path, scope.query_string, fields, client_host(scope.client), bool(body))
            answer = self.route.answer  # type: ignore[union-attr]  # params come from a route
            call.inline = self.runs_inline(path)
            if call.inline:
                try:
                    if self.suspends:
                        status, headers, payload = await self._loop_calls.run(answer, call, params)
                    else:
                        status, headers, payload = answer(call, params)
                except MustWait:  # a fault this process had not heard of asks it to wait: on a thread, then
                    call.inline = False
            if not call.inline:
                status, headers, payload = await asyncio.get_running_loop().run_in_executor(
                    self._pool, answer, call, params
                )
        else:
            environ = wsgi_environ(scope, fields, body)
            if self.runs_inline(path):
                status, headers, payload = self._call(environ)
            else:
                status, headers, payload = await asyncio.get_running_loop().run_in_executor(
                    self._pool, self._call, environ
                )
        if isinstance(payload, SlowBody):  # a slow-body fault: the head now, the pieces paced on the loop
            transport = protocol.response_stream(status, headers)
            for piece in payload.pieces:
                await asyncio.sleep(payload.pause)
                await transport.send_bytes(piece)
            return
        protocol.response_bytes(status, headers, payload)

    # The request -------------------------------------------------------------

    async def _read_body(self, scope: Any, protocol: Any) -> bytes:
        """The whole body, read without a thread; Refusal when too large, too slow or malformed.

        A body with a Content-Length is read whole once its length is known to be within the limit
        (granian stops at that length, and a body that ends early is an error). A chunked body is read
        chunk by chunk, so its size is bounded as it arrives; granian's chunk iterator ends quietly on
        a framing error, so a chunked body broken before its first byte reads as an empty one.
        """
        limits = self.limits
        declared = scope.headers.get("content-length")
        chunked = "chunked" in (scope.headers.get("transfer-encoding") or "").lower()
        too_large = Refusal(413, f"Request bodies are limited to {limits.max_body_bytes} bytes.", "body")
        if not chunked and declared in (None, "0"):
            return b""
        if not chunked and int(declared) > limits.max_body_bytes:  # granian refused non-numeric lengths
            raise too_large
        try:
            async with asyncio.timeout(limits.body_timeout):
                if not chunked:
                    return bytes(await protocol())
                chunks: list[bytes] = []
                received = 0
                async for chunk in protocol:
                    received += len(chunk)
                    if received > limits.max_body_bytes:
                        raise too_large
                    chunks.append(chunk)
                return b"".join(chunks)
        except TimeoutError:
            raise Refusal(
                408, f"The request body did not arrive whole within {limits.body_timeout:g} seconds.", "body"
            ) from None
        except Refusal:
            raise
        except Exception:  # granian's protocol error: the body ended before its length, or is malformed
            raise Refusal(400, "The body could not be read: it ended early or is malformed.", "body") from None

    def _call(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], Payload]:
        """Runs the app on a pool thread; its whole answer, as granian sends it (a SlowBody as it is)."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            started[:] = [status, headers]

        result = self.app(environ, start_response)
        if isinstance(result, SlowBody):
            status, headers = started
            return int(status[:3]), headers, result
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        return int(status[:3]), headers, payload


def _never(path: str) -> bool:
    return False


def _printable(text: str) -> str:
    """A path as one log line shows it: control characters escaped, so no line can be forged."""
    return text.encode("unicode_escape", "backslashreplace").decode("ascii") if not text.isprintable() else text
