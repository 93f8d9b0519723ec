"""The suite's HTTP behaviour towards a target: only 429s are retried."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, request

from contract_tests.provisioning import NOT_PENDING, PENDING, StateSetupProvisioner
from contract_tests.transport import MAX_429_RETRIES, http_session

from .variants import served


@contextmanager
def answering(statuses: list[int], headers: dict[str, str] | None = None) -> Iterator[tuple[str, Callable[[], int]]]:
    """A server that answers the given statuses in turn (the last one forever), counting requests."""
    app = Flask(__name__)
    count = itertools.count()
    seen = [0]

    @app.post("/v1/thing")
    def thing() -> Response:
        turn = next(count)
        seen[0] += 1
        status = statuses[min(turn, len(statuses) - 1)]
        return Response("{}", status, headers if status == 429 else {}, mimetype="application/json")

    with served(app=app) as server:
        yield server.base_url + "/v1/thing", lambda: seen[0]


def test_a_429_is_retried_after_retry_after_until_it_goes_through() -> None:
    with answering([429, 429, 200], {"Retry-After": "0"}) as (url, requests_seen):
        response = http_session().post(url, timeout=10)
        assert (response.status_code, requests_seen()) == (200, 3)


def test_a_429_without_retry_after_is_retried_with_backoff() -> None:
    with answering([429, 200]) as (url, requests_seen):
        response = http_session().post(url, timeout=10)
        assert (response.status_code, requests_seen()) == (200, 2)


def test_retries_stop_after_a_bound_and_return_the_429() -> None:
    with answering([429], {"Retry-After": "0"}) as (url, requests_seen):
        response = http_session(backoff_factor=0.01).post(url, timeout=10)
        assert (response.status_code, requests_seen()) == (429, MAX_429_RETRIES + 1)


def test_a_server_error_is_never_retried() -> None:
    for status in (500, 502, 503):
        with answering([status, 200]) as (url, requests_seen):
            response = http_session().post(url, timeout=10)
            assert (response.status_code, requests_seen()) == (status, 1)


def test_each_setup_is_torn_down_with_the_ids_it_returned_merged_into_params() -> None:
    """CONTRACT.md: one teardown per setup, same state, the IDs in `params`, so a target can delete them."""
    app = Flask(__name__)
    calls: list[dict[str, Any]] = []
    ids = itertools.count()

    @app.post("/states")
    def states() -> Response:
        body = request.get_json()
        calls.append(body)
        n = next(ids)
        made = {"accountGroupId": "g", "campaignId": f"c{n}", "workflowInstanceId": f"w{n}", "leadId": f"l{n}"}
        return Response(json.dumps(made), 201, mimetype="application/json")

    with served(app=app) as server:
        provisioner = StateSetupProvisioner(server.base_url + "/states", http_session)
        pending = provisioner.pending()
        not_pending = provisioner.not_pending("completed")
        provisioner.close()
    teardowns = [c for c in calls if c["action"] == "teardown"]
    assert [(t["state"], t["params"]) for t in teardowns] == [
        (PENDING, pending.as_json()),
        (NOT_PENDING, {"workflowStatus": "completed", **not_pending.as_json()}),
    ]
