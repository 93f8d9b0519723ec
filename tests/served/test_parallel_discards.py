"""Parallel discards of one pending instance: exactly one 200, every other 409 (CONTRACT, inferred).

A Barrier releases all threads at once so they really race on the pending
check; the store must agree with the answers afterwards.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from flask import Flask

from ..support.helpers import PENDING_STATE, assert_discarded, bearer, discard_path, path_of
from ..support.served import MockProcess

APP_THREADS = 64
HTTP_REQUESTS = 32


def race(count: int, send: Any) -> list[tuple[int, dict[str, Any]]]:
    """Runs `send()` on `count` threads released together; returns (status, body) per call."""
    barrier = threading.Barrier(count)

    def one(_: int) -> tuple[int, dict[str, Any]]:
        barrier.wait(timeout=30)
        return send()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def assert_one_winner(answers: list[tuple[int, dict[str, Any]]], workflow_instance_id: str) -> None:
    assert Counter(status for status, _ in answers) == {200: 1, 409: len(answers) - 1}
    winner = next(body for status, body in answers if status == 200)
    assert winner["data"]["workflowInstanceId"] == workflow_instance_id
    assert len({body["traceId"] for _, body in answers}) == len(answers)
    assert all(body["error"]["code"] == "CONFLICT" for status, body in answers if status == 409)


def test_64_threads_discarding_one_instance_through_the_app(app: Flask) -> None:
    def send() -> tuple[int, dict[str, Any]]:
        response = app.test_client().post(discard_path(), headers=bearer())  # a client per thread
        return response.status_code, response.get_json()

    answers = race(APP_THREADS, send)
    stored = app.test_client().get("/__mock/instances/507f1f77bcf86cd799439011").get_json()
    assert_one_winner(answers, "507f1f77bcf86cd799439011")
    assert (stored["workflowStatus"], stored["hasPendingApproval"]) == ("stopped", False)


def test_parallel_discards_of_different_instances_all_succeed(app: Flask) -> None:
    """The lock serialises writes, it does not refuse them: 16 instances, 16 successes."""
    client = app.test_client()
    targets = [client.post("/__mock/provider-states", json={"state": PENDING_STATE}).get_json() for _ in range(16)]
    iterator = iter(targets)
    lock = threading.Lock()

    def send() -> tuple[int, dict[str, Any]]:
        with lock:
            ids = next(iterator)
        response = app.test_client().post(path_of(ids), headers=bearer())
        return response.status_code, response.get_json()

    answers = race(len(targets), send)
    assert [status for status, _ in answers] == [200] * len(targets)
    assert {body["data"]["workflowInstanceId"] for _, body in answers} == {t["workflowInstanceId"] for t in targets}


def test_32_parallel_http_requests_against_the_served_mock(served_mock: MockProcess) -> None:
    ids = requests.post(served_mock.url("/__mock/provider-states"), json={"state": PENDING_STATE}, timeout=10).json()
    url = served_mock.url(path_of(ids))

    def send() -> tuple[int, dict[str, Any]]:
        response = requests.post(url, headers=bearer(), timeout=30)  # a connection per request
        return response.status_code, response.json()

    answers = race(HTTP_REQUESTS, send)
    assert_one_winner(answers, ids["workflowInstanceId"])
    stored = requests.get(served_mock.url(f"/__mock/instances/{ids['workflowInstanceId']}"), timeout=10).json()
    assert_discarded(stored)
