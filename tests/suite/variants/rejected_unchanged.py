"""rejected-unchanged broken: a refused request still changed state."""

from __future__ import annotations

import io
from contextlib import suppress
from typing import Any

from flask import Flask
from werkzeug.wrappers import Request

from discard_contract import rules
from mock_server.domain import ConditionalUpdate, Instance, NotPendingApproval, shipped_rule
from mock_server.storage.memory import MemoryInstanceStore

from .bug import Bug
from .serving import (
    context_of,
    unconditionally,
    with_store,
)


class DiscardBeforeScopeStore(MemoryInstanceStore):
    """Writes the discard first and checks the campaign afterwards: a 404 that still changed state."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        current = self.get(update.workflow_instance_id)
        if current is None or not current.has_pending_approval:
            return super().update_if(update)
        written, _ = super().update_if(unconditionally(update))
        return written, update.matches(current)


rejected_request_changes_state = with_store(DiscardBeforeScopeStore)


def body_obeyed(app: Flask) -> None:
    """Discards every instance a JSON body names, then serves the path's discard."""
    wsgi_app = app.wsgi_app

    def obey(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.endswith("/discard") and request.is_json:
            body = request.get_json(silent=True) or {}
            store = context_of(app).instances
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


BUGS = {
    "rejected request changes state": Bug(
        rejected_request_changes_state, ("test_an_unknown_campaign_is_not_found",), rules.REJECTED_UNCHANGED
    ),
    "body obeyed": Bug(
        body_obeyed, ("test_a_body_never_discards_or_edits_another_instance",), rules.REJECTED_UNCHANGED
    ),
}
