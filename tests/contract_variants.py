"""Variants of the mock for testing the contract suite itself.

Each broken variant carries one realistic bug, injected through the app factory
(a store, a keyring or a hook), never in the shipped mock. The correct variants
keep the contract but decide CONTRACT.md's inferred points the other way.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask, Response
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

from mock_server import create_app
from mock_server.context import EXTENSION_KEY, MockContext
from mock_server.domain import PENDING_APPROVAL, ConditionalUpdate, Instance, NotPendingApproval, shipped_rule
from mock_server.endpoint import DiscardEndpoint
from mock_server.endpoint.keys import ApiKey, Keyring
from mock_server.envelope import ApiError
from mock_server.storage import Storage
from mock_server.storage.memory import MemoryBuckets, MemoryFaultRegistry, MemoryInstanceStore

PENDING_IGNORED = {name: not value for name, value in PENDING_APPROVAL.items()}


def _context(app: Flask) -> MockContext:
    return app.extensions[EXTENSION_KEY]


def _in_front(app: Flask, change: Callable[[Response], Response]) -> None:
    """A layer in front of the app that passes every public-API answer through `change` on its way out."""
    wsgi_app = app.wsgi_app

    def layer(environ: dict[str, Any], start_response: Any) -> Any:
        response = Response.from_app(wsgi_app, environ)
        if environ.get("PATH_INFO", "").startswith("/v1/"):
            response = change(response)
        return response(environ, start_response)

    app.wsgi_app = layer  # type: ignore[method-assign]


def _rewrite_json(app: Flask, change: Callable[[dict[str, Any], int], None]) -> None:
    """Edits every JSON body the public API answers."""

    def rewrite(response: Response) -> Response:
        if response.is_json:
            body = response.get_json()
            change(body, response.status_code)
            response.set_data(json.dumps(body))
        return response

    _in_front(app, rewrite)


def _endpoint(app: Flask) -> DiscardEndpoint:
    return _context(app).endpoint


def _with_store(store_class: type[MemoryInstanceStore]) -> Mapping[str, Any]:
    """The app's settings for a mock on a store of `store_class` (the STORE factory extension point)."""
    return {"STORE": lambda seed: Storage(store_class(seed), MemoryFaultRegistry(), MemoryBuckets())}


# Broken variants: each must make the suite fail.


class IdempotentStore(MemoryInstanceStore):
    """A repeat discard answers 200 again instead of 409."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current, applied = super().update_if(update)
        in_scope = ConditionalUpdate(update.workflow_instance_id, {**update.expect, **PENDING_IGNORED}, {})
        return current, applied or in_scope.matches(current)


class CompletingStore(MemoryInstanceStore):
    """Marks a discarded instance 'completed', as if its content had been sent."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        completed = {**update.assign, "workflow_status": "completed", "workflow_stop_reason": None}
        return super().update_if(replace(update, assign=completed))


class UnscopedStore(MemoryInstanceStore):
    """Finds the instance by its ID alone, ignoring the campaign in the path."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        unscoped = {k: v for k, v in update.expect.items() if k != "campaign_id"}
        return super().update_if(replace(update, expect=unscoped))


RACE_WINDOW_SECONDS = 0.002


def _unconditionally(update: ConditionalUpdate) -> ConditionalUpdate:
    """The same write, with no condition left: what a store that checks separately does."""
    return ConditionalUpdate(update.workflow_instance_id, {}, dict(update.assign))


class RacyStore(MemoryInstanceStore):
    """Checks, then writes up to 2 ms later (a round trip to a database would do): a second
    discard that arrives inside that window also sees a pending instance, and both succeed.

    The window is a barrier with a 2 ms timeout, not a sleep: it closes as soon as a second
    caller is there, and it is only open as long as a real check-then-write gap would be.
    """

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        super().__init__(instances)
        self._rendezvous = threading.Barrier(2, timeout=RACE_WINDOW_SECONDS)

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current = self.get(update.workflow_instance_id)
        if current is None or not update.matches(current):
            return current, False
        with suppress(threading.BrokenBarrierError):
            self._rendezvous.wait()
        self._rendezvous.reset()
        written, _ = super().update_if(_unconditionally(update))
        return written, True


class DiscardBeforeScopeStore(MemoryInstanceStore):
    """Writes the discard first and checks the campaign afterwards: a 404 that still changed state."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current = self.get(update.workflow_instance_id)
        if current is None or not current.has_pending_approval:
            return super().update_if(update)
        written, _ = super().update_if(_unconditionally(update))
        return written, update.matches(current)


UNDONE_AFTER_SECONDS = 1.0


class ForgetfulStore(MemoryInstanceStore):
    """Answers a discard with 200, then loses the write a second later (a write to a cache
    that never reached the database): the instance is pending approval again.

    The loss is applied when the store is next used, not by a timer, so it happens
    exactly when a request comes a second or more after the discard, however loaded
    the machine.
    """

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        super().__init__(instances)
        self._to_forget: dict[str, tuple[float, ConditionalUpdate]] = {}
        self._forget_lock = threading.Lock()

    def _forget_old_writes(self) -> None:
        now = time.monotonic()
        with self._forget_lock:
            due = [undo for when, undo in self._to_forget.values() if now - when >= UNDONE_AFTER_SECONDS]
            for undo in due:
                del self._to_forget[undo.workflow_instance_id]
        for undo in due:
            super().update_if(undo)

    def get(self, workflow_instance_id: str) -> Instance | None:
        self._forget_old_writes()
        return super().get(workflow_instance_id)

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        self._forget_old_writes()
        before = super().get(update.workflow_instance_id)
        current, applied = super().update_if(update)
        if applied and before is not None:
            restore = {name: getattr(before, name) for name in update.assign}
            with self._forget_lock:
                self._to_forget[update.workflow_instance_id] = (
                    time.monotonic(),
                    ConditionalUpdate(update.workflow_instance_id, dict(update.assign), restore),
                )
        return current, applied


class AnyKeyKeyring(Keyring):
    """Takes any bearer token for the execute key."""

    def authenticate(self, authorization: str | None) -> ApiKey:
        try:
            return super().authenticate(authorization)
        except ApiError:
            if authorization and authorization.startswith("Bearer "):
                return super().authenticate("Bearer sk_test_execute")
            raise


class NoPermissionCheckKeyring(Keyring):
    @staticmethod
    def require_permissions(key: ApiKey, permissions: Any) -> None:
        return None


idempotent_discard = _with_store(IdempotentStore)
completed_after_discard = _with_store(CompletingStore)
campaign_scope_ignored = _with_store(UnscopedStore)
racy_discard = _with_store(RacyStore)
rejected_request_changes_state = _with_store(DiscardBeforeScopeStore)
discard_undone_later = _with_store(ForgetfulStore)


def unknown_keys_accepted(app: Flask) -> None:
    _endpoint(app).keyring = AnyKeyKeyring(_context(app).seed.api_keys)


def permission_not_checked(app: Flask) -> None:
    _endpoint(app).keyring = NoPermissionCheckKeyring(_context(app).seed.api_keys)


def body_obeyed(app: Flask) -> None:
    """Discards every instance a JSON body names, then serves the path's discard."""
    wsgi_app = app.wsgi_app

    def obey(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.endswith("/discard") and request.is_json:
            body = request.get_json(silent=True) or {}
            store = _context(app).instances
            for other in body.get("workflowInstanceIds", []):
                instance = store.get(other)
                if instance is not None:
                    with suppress(NotPendingApproval):
                        store.update_if(
                            shipped_rule().update(
                                instance.account_group_id, instance.campaign_id, instance.workflow_instance_id
                            )
                        )
            environ["CONTENT_LENGTH"] = "0"
            environ["wsgi.input"] = io.BytesIO(b"")
        return wsgi_app(environ, start_response)

    app.wsgi_app = obey  # type: ignore[method-assign]


def trace_id_missing_on_errors(app: Flask) -> None:
    _rewrite_json(app, lambda body, status: body.pop("traceId", None) if status >= 400 else None)


def success_flag_on_errors(app: Flask) -> None:
    _rewrite_json(app, lambda body, status: body.update(success=True) if status == 404 else None)


def wrong_instance_in_answer(app: Flask) -> None:
    def swap(body: dict[str, Any], status: int) -> None:
        if status == 200:
            body["data"]["leadStatus"]["workflowInstanceId"] = "0" * 24

    _rewrite_json(app, swap)


def server_error_on_malformed_ids(app: Flask) -> None:
    endpoint = _endpoint(app)
    validate = endpoint.validate

    def crash(environ: dict[str, Any], params: Mapping[str, str]) -> None:
        if len(params["workflowInstanceId"]) != 24:
            raise RuntimeError("unexpected ID length")
        validate(environ, params)

    endpoint.validate = crash  # type: ignore[method-assign]


def every_request_unauthorized(app: Flask) -> None:
    """Rejects every key: a run that only ever sees 401s must not pass."""

    class NoKeyring(Keyring):
        def authenticate(self, authorization: str | None) -> ApiKey:
            raise ApiError(401, "The API key is unknown or has been revoked.")

    _endpoint(app).keyring = NoKeyring(())


# How a variant is made: settings for create_app, or a change to a built app through its public parts.
Variant = Mapping[str, Any] | Callable[[Flask], None]


# Correct variants: CONTRACT.md's inferred points decided the other way.


def other_inferred_choices(app: Flask) -> None:
    """No ID formats checked (404 instead of 400), 404 for an inaccessible account group,
    bodies ignored, other error codes (VALIDATION_ERROR kept for 400), no error details."""
    ctx = _context(app)
    endpoint = _endpoint(app)
    endpoint.operation = replace(endpoint.operation, parameters=())

    class NotFoundForOtherGroups(Keyring):
        @staticmethod
        def require_account_group(key: ApiKey, account_group_id: str) -> None:
            if account_group_id not in key.account_groups:
                raise ApiError(404, f"No account group {account_group_id}.")

    endpoint.keyring = NotFoundForOtherGroups(ctx.seed.api_keys)

    def ignore_body(environ: dict[str, Any], start_response: Any, wsgi_app: Any = app.wsgi_app) -> Any:
        if environ.get("PATH_INFO", "").startswith("/v1/"):
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input"] = io.BytesIO(b"")
        return wsgi_app(environ, start_response)

    app.wsgi_app = ignore_body  # type: ignore[method-assign]

    def recode(body: dict[str, Any], status: int) -> None:
        if status >= 400:
            body["error"].pop("details", None)
            if status != 400:
                body["error"]["code"] = f"E{status}"

    _rewrite_json(app, recode)


def approved_action(app: Flask) -> None:
    """Answers a discard with action 'approved', as the docs' example does: only `inferred` checks object."""
    _rewrite_json(app, lambda body, status: body["data"].update(action="approved") if status == 200 else None)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


def _rate_limited_body(turn: int) -> bytes:
    error = {"code": "RATE_LIMITED", "message": "Slow down.", "details": None}
    return json.dumps({"success": False, "data": None, "error": error, "traceId": f"throttled-{turn}"}).encode()


def throttling(
    *,
    every: int = 3,
    retry_after: tuple[str | None, ...] = ("0",),
    body: str = "envelope",
) -> Callable[[Flask], None]:
    """A layer in front of the API that answers every `every`-th API request 429, unprocessed.

    body "envelope": the contract's error envelope; "html": what a gateway writes
    when nobody configured it. The 429s take their Retry-After from
    `retry_after` in turn (None: no header).
    """
    counter = itertools.count(1)
    lock = threading.Lock()

    def inject(app: Flask) -> None:
        wsgi_app = app.wsgi_app

        def gateway(environ: dict[str, Any], start_response: Any) -> Any:
            if not environ.get("PATH_INFO", "").startswith("/v1/"):
                return wsgi_app(environ, start_response)
            with lock:
                turn = next(counter)
            if turn % every:
                return wsgi_app(environ, start_response)
            value = retry_after[(turn // every) % len(retry_after)]
            return _too_many_requests(turn, value, body)(environ, start_response)

        app.wsgi_app = gateway  # type: ignore[method-assign]

    return inject


def _too_many_requests(turn: int, retry_after: str | None, body: str = "envelope") -> Response:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    if body == "html":
        page = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
        return Response(page, 429, headers, mimetype="text/html")
    return Response(_rate_limited_body(turn), 429, headers, mimetype="application/json")


def throttled_after_processing(app: Flask) -> None:
    """A limiter placed after the handler: a discard is done, then answered 429, so the
    client's retry finds the instance already discarded (a 429 that changed something)."""
    counter = itertools.count(1)
    _in_front(app, lambda response: _too_many_requests(next(counter), "0") if response.status_code == 200 else response)


throttled = throttling(retry_after=("0", None))  # with Retry-After and without, in turn
gateway_429_in_html = throttling(body="html")


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


@dataclass(frozen=True)
class Bug:
    """A broken variant, the tests of the suite that must catch it, and the rule they must name."""

    inject: Variant
    catchers: tuple[str, ...]  # each must fail, with a violation of `rule`
    rule: str
    also_run: tuple[str, ...] = ()  # tests the catchers need beside them (e.g. a discard to re-check)


BROKEN: dict[str, Bug] = {
    "idempotent discard": Bug(idempotent_discard, ("test_a_repeated_discard_is_a_conflict",), "repeat-409"),
    "completed after discard": Bug(
        completed_after_discard, ("test_a_discard_answers_for_exactly_that_instance",), "discard-200"
    ),
    "campaign scope ignored": Bug(
        campaign_scope_ignored, ("test_an_instance_of_another_campaign_is_not_found",), "scope-404"
    ),
    "rejected request changes state": Bug(
        rejected_request_changes_state, ("test_an_unknown_campaign_is_not_found",), "rejected-unchanged"
    ),
    "unknown keys accepted": Bug(
        unknown_keys_accepted, ("test_a_missing_malformed_or_unknown_key_is_401",), "auth-401"
    ),
    "permission not checked": Bug(permission_not_checked, ("test_a_key_without_campaigns_execute_is_403",), "auth-403"),
    "body obeyed": Bug(body_obeyed, ("test_a_body_never_discards_or_edits_another_instance",), "rejected-unchanged"),
    "traceId missing on errors": Bug(trace_id_missing_on_errors, ("test_every_answer_keeps_the_contract",), "envelope"),
    "success true on a 404": Bug(success_flag_on_errors, ("test_an_unknown_instance_is_not_found",), "envelope"),
    "wrong instance in the answer": Bug(
        wrong_instance_in_answer, ("test_a_discard_answers_for_exactly_that_instance",), "discard-200"
    ),
    "500 on malformed IDs": Bug(
        server_error_on_malformed_ids, ("test_a_malformed_id_is_refused_with_an_error_envelope",), "spec"
    ),
    "discard undone a second later": Bug(
        discard_undone_later,
        ("test_every_discard_is_still_final_at_the_end_of_the_run",),
        "final",
        also_run=("test_a_discard_answers_for_exactly_that_instance",),
    ),
    "check-then-write window of 2 ms": Bug(
        racy_discard, ("test_parallel_discards_of_one_instance_succeed_exactly_once",), "concurrent"
    ),
    "gateway 429 in HTML": Bug(gateway_429_in_html, ("test_a_repeated_discard_is_a_conflict",), "rate-limit"),
    "429 after processing": Bug(throttled_after_processing, ("test_a_repeated_discard_is_a_conflict",), "rate-limit"),
}
