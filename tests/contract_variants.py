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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler, make_server

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


def _rewrite_json(app: Flask, change: Callable[[dict[str, Any], int], None]) -> None:
    """Edits every JSON body the public API answers."""

    @app.after_request
    def rewrite(response: Response) -> Response:
        if request.path.startswith("/v1/") and response.is_json:
            body = response.get_json()
            change(body, response.status_code)
            response.set_data(json.dumps(body))
        return response


def _endpoint(app: Flask) -> DiscardEndpoint:
    return app.view_functions["discard_api." + _context(app).operation.operation_id]


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


class RacyStore(MemoryInstanceStore):
    """Reads, waits for a second caller (up to 200 ms), then writes: parallel discards both see a pending instance."""

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        super().__init__(instances)
        self._rendezvous = threading.Barrier(2, timeout=0.2)

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current = self.get(update.workflow_instance_id)
        if current is None or not update.matches(current):
            return current, False
        with suppress(threading.BrokenBarrierError):
            self._rendezvous.wait()
        self._rendezvous.reset()
        updated = update.applied(current)
        self._by_id[update.workflow_instance_id] = updated
        return updated, True


class DiscardBeforeScopeStore(MemoryInstanceStore):
    """Writes the discard first and checks the campaign afterwards: a 404 that still changed state."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current = self.get(update.workflow_instance_id)
        if current is None or not current.has_pending_approval:
            return super().update_if(update)
        updated = update.applied(current)
        self._by_id[update.workflow_instance_id] = updated
        return updated, update.matches(current)


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


def unknown_keys_accepted(app: Flask) -> None:
    _endpoint(app).keyring = AnyKeyKeyring(_context(app).seed.api_keys)


def permission_not_checked(app: Flask) -> None:
    _endpoint(app).keyring = NoPermissionCheckKeyring(_context(app).seed.api_keys)


def body_obeyed(app: Flask) -> None:
    """Discards every instance a JSON body names, then serves the path's discard."""

    @app.before_request
    def obey() -> None:
        if not request.path.endswith("/discard") or not request.is_json:
            return
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
        request.environ["CONTENT_LENGTH"] = "0"
        request.environ["wsgi.input"] = io.BytesIO(b"")
        request.__dict__.pop("content_length", None)


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
    @app.before_request
    def crash() -> None:
        if request.path.startswith("/v1/") and "workflow-instances/" in request.path:
            instance_id = request.path.split("workflow-instances/")[1].split("/")[0]
            if len(instance_id) != 24:
                raise RuntimeError("unexpected ID length")


def every_request_unauthorized(app: Flask) -> None:
    """Rejects every key: a run that only ever sees 401s must not pass."""

    class NoKeyring(Keyring):
        def authenticate(self, authorization: str | None) -> ApiKey:
            raise ApiError(401, "The API key is unknown or has been revoked.")

    _endpoint(app).keyring = NoKeyring(())


# How a variant is made: settings for create_app, or a change to a built app through its public parts.
Variant = Mapping[str, Any] | Callable[[Flask], None]

BROKEN: dict[str, tuple[Variant, str]] = {
    # name: (variant, a test of the suite that must fail on it)
    "idempotent discard": (idempotent_discard, "test_a_repeated_discard_is_a_conflict"),
    "completed after discard": (completed_after_discard, "test_a_discard_answers_for_exactly_that_instance"),
    "campaign scope ignored": (campaign_scope_ignored, "test_an_instance_of_another_campaign_is_not_found"),
    "racy discard": (racy_discard, "test_parallel_discards_of_one_instance_succeed_exactly_once"),
    "rejected request changes state": (rejected_request_changes_state, "test_an_unknown_campaign_is_not_found"),
    "unknown keys accepted": (unknown_keys_accepted, "test_a_missing_malformed_or_unknown_key_is_401"),
    "permission not checked": (permission_not_checked, "test_a_key_without_campaigns_execute_is_403"),
    "body obeyed": (body_obeyed, "test_a_body_never_discards_or_edits_another_instance"),
    "traceId missing on errors": (trace_id_missing_on_errors, "test_every_answer_keeps_the_contract"),
    "success true on a 404": (success_flag_on_errors, "test_an_unknown_instance_is_not_found"),
    "wrong instance in the answer": (wrong_instance_in_answer, "test_a_discard_answers_for_exactly_that_instance"),
    "500 on malformed IDs": (server_error_on_malformed_ids, "test_a_malformed_id_is_refused_with_an_error_envelope"),
    "every request 401": (every_request_unauthorized, "test_every_answer_keeps_the_contract"),
}


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


def throttled(app: Flask) -> None:
    """Every third API request gets 429 with Retry-After, unprocessed, as a rate limiter answers."""
    counter = itertools.count(1)
    lock = threading.Lock()

    @app.before_request
    def throttle() -> Response | None:
        if not request.path.startswith("/v1/"):
            return None
        with lock:
            turn = next(counter)
        if turn % 3:
            return None
        body = {
            "success": False,
            "data": None,
            "error": {"code": "RATE_LIMITED", "message": "Slow down.", "details": None},
            "traceId": f"throttled-{turn}",
        }
        return Response(json.dumps(body), 429, {"Retry-After": "0"}, mimetype="application/json")


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
