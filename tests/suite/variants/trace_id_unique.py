"""trace-id-unique broken: a traceId made from the clock, shared by requests of the same second."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from discard_contract import rules

from .bug import Bug
from .serving import rewrite_json


def trace_id_from_the_clock(app: Flask) -> None:
    def stamp(body: dict[str, Any], status: int) -> None:
        body["traceId"] = time.strftime("req-%Y%m%dT%H%M%S")

    rewrite_json(app, stamp)


BUGS = {
    "traceId from the clock": Bug(
        trace_id_from_the_clock, ("test_every_answer_has_its_own_trace_id",), rules.TRACE_ID_UNIQUE
    ),
}
