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
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler, make_server

from mock_server import create_app
from mock_server.auth import ApiKey, Keyring
from mock_server.context import EXTENSION_KEY, MockContext
from mock_server.domain import Instance, NotFound, NotPendingApproval, discarded, locate
from mock_server.envelope import ApiError
from mock_server.store import MemoryInstanceStore


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


def _replace_store(app: Flask, store: MemoryInstanceStore) -> None:
    ctx = _context(app)
    store.replace_all(ctx.store.instances())
    ctx.store = store
    ctx.provider_states._store = store


# Broken variants: each must make the suite fail.


class IdempotentStore(MemoryInstanceStore):
    """A repeat discard answers 200 again instead of 409."""

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
        current = locate(self.get(workflow_instance_id), account_group_id, campaign_id, workflow_instance_id)
        if current.has_pending_approval:
            return super().discard(account_group_id, campaign_id, workflow_instance_id)
        return current


class CompletingStore(MemoryInstanceStore):
    """Marks a discarded instance 'completed', as if its content had been sent."""

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
        done = super().discard(account_group_id, campaign_id, workflow_instance_id)
        completed = replace(done, workflow_status="completed", workflow_stop_reason=None)
        self.replace_one(completed)
        return completed

    def replace_one(self, instance: Instance) -> None:
        self._by_id[instance.workflow_instance_id] = instance


class UnscopedStore(MemoryInstanceStore):
    """Finds the instance by its ID alone, ignoring the campaign in the path."""

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
        current = self.get(workflow_instance_id)
        if current is None:
            raise NotFound(workflow_instance_id)
        return super().discard(current.account_group_id, current.campaign_id, workflow_instance_id)


class RacyStore(MemoryInstanceStore):
    """Reads, thinks, then writes: parallel discards all see a pending instance."""

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
        current = locate(self.get(workflow_instance_id), account_group_id, campaign_id, workflow_instance_id)
        time.sleep(0.05)
        updated = discarded(current)
        self._by_id[workflow_instance_id] = updated
        return updated


class DiscardBeforeScopeStore(MemoryInstanceStore):
    """Writes the discard first and checks the campaign afterwards: a 404 that still changed state."""

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
        current = self.get(workflow_instance_id)
        if current is None or not current.has_pending_approval:
            return super().discard(account_group_id, campaign_id, workflow_instance_id)
        updated = discarded(current)
        self._by_id[workflow_instance_id] = updated
        return locate(updated, account_group_id, campaign_id, workflow_instance_id)


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


def idempotent_discard(app: Flask) -> None:
    _replace_store(app, IdempotentStore())


def completed_after_discard(app: Flask) -> None:
    _replace_store(app, CompletingStore())


def campaign_scope_ignored(app: Flask) -> None:
    _replace_store(app, UnscopedStore())


def racy_discard(app: Flask) -> None:
    _replace_store(app, RacyStore())


def rejected_request_changes_state(app: Flask) -> None:
    _replace_store(app, DiscardBeforeScopeStore())


def unknown_keys_accepted(app: Flask) -> None:
    ctx = _context(app)
    ctx.keyring = AnyKeyKeyring(ApiKey(k.key, k.permissions, k.account_groups) for k in ctx.seed.api_keys)


def permission_not_checked(app: Flask) -> None:
    ctx = _context(app)
    ctx.keyring = NoPermissionCheckKeyring(ctx.seed.api_keys)


def body_obeyed(app: Flask) -> None:
    """Discards every instance a JSON body names, then serves the path's discard."""

    @app.before_request
    def obey() -> None:
        if not request.path.endswith("/discard") or not request.is_json:
            return
        body = request.get_json(silent=True) or {}
        store = _context(app).store
        for other in body.get("workflowInstanceIds", []):
            instance = store.get(other)
            if instance is not None:
                with suppress(NotPendingApproval):
                    store.discard(instance.account_group_id, instance.campaign_id, instance.workflow_instance_id)
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

    _context(app).keyring = NoKeyring(())


BROKEN: dict[str, tuple[Callable[[Flask], None], str]] = {
    # name: (injector, a test of the suite that must fail on it)
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
    ctx.operation = replace(ctx.operation, parameters=())

    class NotFoundForOtherGroups(Keyring):
        @staticmethod
        def require_account_group(key: ApiKey, account_group_id: str) -> None:
            if account_group_id not in key.account_groups:
                raise ApiError(404, f"No account group {account_group_id}.")

    ctx.keyring = NotFoundForOtherGroups(ctx.seed.api_keys)

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
def served(inject: Callable[[Flask], None] | None = None, app: Flask | None = None) -> Iterator[ServedApp]:
    """A variant of the mock (or any app) on a free loopback port, over real HTTP."""
    app = app or create_app()
    if inject is not None:
        inject(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ServedApp(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(10)
