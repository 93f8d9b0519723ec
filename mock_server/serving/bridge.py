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
import io
import json
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..envelope import error_body, new_trace_id
from ..wire_faults import SlowBody
from .limits import ServeLimits

log = logging.getLogger("discard_mock")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# The header fields the app adds to every answer (CORS), from a request's WSGI environ.
AnswerHeaders = Callable[[dict[str, Any]], Iterable[tuple[str, str]]]

# The envelope's Content-Type, as the app answers it.
JSON_HEADERS = [("content-type", "application/json")]

# What a WSGI environ holds for every request; each request's own keys are added to a copy.
_BASE_ENVIRON: dict[str, Any] = {
    "SCRIPT_NAME": "",
    "SERVER_SOFTWARE": "discard-mock (granian)",
    "wsgi.errors": sys.stderr,
    "wsgi.input_terminated": True,  # the body is whole and de-chunked: read it to its end
    "wsgi.multiprocess": False,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
}


class Refusal(Exception):
    """A request the server answers itself, in the envelope, without the app."""

    def __init__(self, status: int, message: str, details: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def refusal_body(refusal: Refusal) -> bytes:
    return json.dumps(
        error_body(refusal.status, refusal.message, refusal.details, new_trace_id()), separators=(",", ":")
    ).encode()


class RsgiBridge:
    """An RSGI application that serves a WSGI app (the mock's Flask app) on a pool of threads."""

    def __init__(
        self,
        app: WsgiApp,
        limits: ServeLimits,
        threads: int,
        runs_inline: Callable[[dict[str, Any]], bool] | None = None,
        answer_headers: AnswerHeaders | None = None,
    ) -> None:
        """`answer_headers(environ)`: what the app adds to every answer, added to the bridge's own refusals.

        `runs_inline(environ)` says whether the app answers this request without waiting on anything.

        Such a request runs on the event loop's own thread: no hand-off to a pool thread and back,
        which is a third of a short request's cost on a busy worker. Anything that may wait (a
        latency fault's sleep, a lock shared with other processes, a network store) must go to
        the pool, or it would hold up every connection of the worker. Default: every request to
        the pool.
        """
        self.app = app
        self.limits = limits
        self.threads = threads
        self.runs_inline = runs_inline or _never
        self.answer_headers = answer_headers
        self._pool: ThreadPoolExecutor | None = None

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
            environ = self._environ(scope)
            # Most requests (every discard) have no body: no coroutine, no timer, for nothing to read.
            if "content-length" in scope.headers or "transfer-encoding" in scope.headers:
                body = await self._read_body(scope, protocol)
            else:
                body = b""
        except Refusal as refusal:
            log.info("%s %s %d (refused by the server: %s)", scope.method, _printable(scope.path), refusal.status,
                     refusal.details)  # fmt: skip
            headers = [*JSON_HEADERS, ("connection", "close")]
            if self.answer_headers is not None:
                headers.extend(self.answer_headers(_head_environ(scope)))
            protocol.response_bytes(refusal.status, headers, refusal_body(refusal))
            return
        environ["wsgi.input"] = io.BytesIO(body)
        if self._pool is None:  # served without __rsgi_init__ (never by granian): make one now
            self.__rsgi_init__(asyncio.get_running_loop())
        if self.runs_inline(environ):
            status, headers, payload = self._call(environ)
        else:
            status, headers, payload = await asyncio.get_running_loop().run_in_executor(self._pool, self._call, environ)
        if isinstance(payload, SlowBody):  # a slow-body fault: the head now, the pieces paced on the loop
            transport = protocol.response_stream(status, headers)
            for piece in payload.pieces:
                await asyncio.sleep(payload.pause)
                await transport.send_bytes(piece)
            return
        protocol.response_bytes(status, headers, payload)

    # The request -------------------------------------------------------------

    def _environ(self, scope: Any) -> dict[str, Any]:
        """The WSGI environ of a request whose head granian parsed; Refusal for a head over the limits."""
        limits = self.limits
        if not scope.method.isupper():  # Werkzeug upper-cases methods; HTTP's are case-sensitive (RFC 9110 9.1)
            raise Refusal(400, f"Unknown method {scope.method!r}: HTTP methods are case-sensitive.", "method")
        target_length = len(scope.path) + len(scope.query_string)
        if target_length > limits.max_request_line:
            raise Refusal(414, f"The request line is limited to {limits.max_request_line} bytes.", "requestLine")
        environ = _BASE_ENVIRON.copy()
        total = 0
        count = 0
        names = set()
        for name, value in scope.headers.items():
            size = len(name) + len(value) + 2
            if size > limits.max_header_field:
                raise Refusal(
                    431, f"A header field is limited to {limits.max_header_field} bytes; {name} is {size}.", "headers"
                )
            if "_" in name:
                raise Refusal(
                    400,
                    f"Header field {name} has '_' in its name, which this server does not read (in WSGI it would "
                    f"pass for {name.replace('_', '-')}): send it with '-'.",
                    "headers",
                )
            total += size
            count += 1
            names.add(name)
            key = _ENVIRON_KEYS.get(name) or _environ_key(name)
            if key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
                environ[key] = value
                continue
            if key in environ:  # a repeated field: one value, comma-joined (RFC 9110 5.3)
                environ[key] = environ[key] + "," + value
            else:
                environ[key] = value
        if len(names) != len(scope.headers.keys()):  # granian leaves out fields whose values are not ASCII
            unread = sorted(set(scope.headers.keys()) - names)
            raise Refusal(
                400,
                f"Header field {', '.join(unread)} holds bytes outside ASCII, which this server does not read; "
                "send non-ASCII values percent-encoded.",
                "headers",
            )
        if count > limits.max_header_count:
            raise Refusal(431, f"A request is limited to {limits.max_header_count} header fields.", "headers")
        if total > limits.max_header_bytes:
            raise Refusal(431, f"Header fields are limited to {limits.max_header_bytes} bytes in all.", "headers")
        client_host, _, client_port = scope.client.rpartition(":")
        server_host, _, server_port = scope.server.rpartition(":")
        environ["REQUEST_METHOD"] = scope.method
        environ["PATH_INFO"] = scope.path.encode("utf-8", "surrogateescape").decode("latin-1")
        environ["QUERY_STRING"] = scope.query_string
        environ["SERVER_PROTOCOL"] = "HTTP/" + scope.http_version
        environ["REMOTE_ADDR"] = client_host.strip("[]")
        environ["REMOTE_PORT"] = client_port
        environ["SERVER_NAME"] = server_host.strip("[]")
        environ["SERVER_PORT"] = server_port
        return environ

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

    def _call(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes | SlowBody]:
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


# A header field's WSGI environ key by its name, for the names clients send (bounded: clients choose them).
_ENVIRON_KEYS: dict[str, str] = {}
_REMEMBERED_NAMES = 256


def _environ_key(name: str) -> str:
    """`x-api-key` as WSGI names it, `HTTP_X_API_KEY` (the body's two fields without the prefix), remembered."""
    key = name.upper().replace("-", "_")
    if key != "CONTENT_TYPE" and key != "CONTENT_LENGTH":
        key = "HTTP_" + key
    if len(_ENVIRON_KEYS) < _REMEMBERED_NAMES:
        _ENVIRON_KEYS[name] = key
    return key


def _head_environ(scope: Any) -> dict[str, Any]:
    """A refused request's method and header fields as a WSGI environ, however far over the limits they are."""
    environ: dict[str, Any] = {"REQUEST_METHOD": scope.method}
    for name, value in scope.headers.items():
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = environ[key] + "," + value if key in environ else value
    return environ


def _never(environ: dict[str, Any]) -> bool:
    return False


def _printable(text: str) -> str:
    """A path as one log line shows it: control characters escaped, so no line can be forged."""
    return text.encode("unicode_escape", "backslashreplace").decode("ascii") if not text.isprintable() else text
