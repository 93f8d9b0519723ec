"""envelope broken: answers that are not the envelope."""

from __future__ import annotations

from flask import Flask

from discard_contract import rules

from .bug import Bug
from .serving import (
    rewrite_json,
)


def trace_id_missing_on_errors(app: Flask) -> None:
    rewrite_json(app, lambda body, status: body.pop("traceId", None) if status >= 400 else None)


def success_flag_on_errors(app: Flask) -> None:
    rewrite_json(app, lambda body, status: body.update(success=True) if status == 404 else None)


BUGS = {
    "traceId missing on errors": Bug(
        trace_id_missing_on_errors, ("test_every_answer_keeps_the_contract",), rules.ENVELOPE
    ),
    "success true on a 404": Bug(success_flag_on_errors, ("test_an_unknown_instance_is_not_found",), rules.ENVELOPE),
}
