"""A served replica's discards wait for Redis on the event loop (loop calls), with every Redis guarantee kept.

The server runs a discard on its event loop's thread and the discard's
script goes out on the loop's one connection to Redis (redis_link.py); the
call suspends until the reply and the loop serves other requests meanwhile.
These tests drive a real `discard-mock serve` through the relay
(redis_proxy.py) once that connection is open, and check what the thread
path's tests (test_redis_outages.py) check, on it: a hung Redis holds up
only the requests waiting for it, a lost reply is a 503 that says the
discard may have been applied, and a Redis that forgot its scripts is
answered as usual.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from mock_server import create_app
from mock_server.context import EXTENSION_KEY
from mock_server.loop_calls import MustWait
from mock_server.placement import runs_inline
from mock_server.storage.redis_link import LoopLinks

from ..support.helpers import path_of, run_on_own_loop
from ..support.redis_proxy import RedisProxy
from ..support.redis_server import RedisServer, free_port
from ..support.served import MockProcess
from .test_redis_outages import (
    DEADLINE,
    MAY_HAVE_APPLIED,
    UNKNOWN,
    fresh_pending,
    healthy,
    mock_behind_proxy,
    stored,
    wait_until,
)

IN_FLIGHT = 48
PREFLIGHT = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}


Linked = tuple[MockProcess, RedisProxy]


@pytest.fixture
def linked(redis_server: RedisServer, redis_prefix: str) -> Iterator[Linked]:
    """A served mock behind the relay, whose worker has its loop's connection to Redis."""
    with mock_behind_proxy(redis_server, redis_prefix) as (mock, proxy):
        with_loop_connection(mock, proxy)
        yield mock, proxy


def with_loop_connection(mock: MockProcess, proxy: RedisProxy) -> None:
    """Discards one after another until the worker's loop has its connection to Redis.

    A worker's first Redis call runs on a thread while the loop's connection is made; one request at
    a time, a mock that ran every call on its thread pool would never open another connection.
    """
    assert mock.discard(UNKNOWN)[0] == 404
    first = proxy.opened("discard-mock")  # start-up's (seeding), and the first call's thread's
    assert wait_until(lambda: mock.discard(UNKNOWN)[0] == 404 and proxy.opened("discard-mock") > first), (
        "discards one at a time opened no connection for the loop"
    )


def all_at_once(count: int, request: Any) -> list[Any]:
    go = threading.Barrier(count)

    def one(index: int) -> Any:
        go.wait(timeout=DEADLINE)
        return request(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_discards_in_flight_share_the_loops_one_connection_and_each_is_applied_once(linked: Linked) -> None:
    mock, proxy = linked
    before = proxy.opened("discard-mock")
    instances = [fresh_pending(mock) for _ in range(IN_FLIGHT)]

    first = all_at_once(IN_FLIGHT, lambda i: mock.discard(instances[i])[0])
    again = all_at_once(IN_FLIGHT, lambda i: mock.discard(instances[i])[0])

    assert Counter(first) == {200: IN_FLIGHT} and Counter(again) == {409: IN_FLIGHT}, (first, again)
    assert proxy.opened("discard-mock") == before, "discards in flight took connections of their own"
    assert {stored(mock, instance)["workflowStatus"] for instance in instances} == {"stopped"}


def test_a_hung_redis_holds_up_only_the_discards_waiting_for_it(linked: Linked) -> None:
    mock, proxy = linked
    proxy.set_mode("hang")
    finished: list[tuple[str, float]] = []

    def discard(_: int) -> int:
        status = mock.discard(UNKNOWN)[0]
        finished.append(("discard", time.monotonic()))
        return status

    with ThreadPoolExecutor(8) as pool:
        waiting = [pool.submit(discard, i) for i in range(8)]
        assert wait_until(lambda: proxy.held() > 0), "no discard reached the hung Redis"
        preflight = mock.call("OPTIONS", path_of(UNKNOWN), headers=PREFLIGHT)
        finished.append(("preflight", time.monotonic()))
        statuses = [future.result(timeout=DEADLINE) for future in waiting]

    assert preflight[0] == 204, preflight
    assert finished[0][0] == "preflight", f"the loop stopped while Redis hung: {finished}"
    assert Counter(statuses) == {503: 8}, statuses
    proxy.set_mode("relay")
    assert wait_until(lambda: healthy(mock))
    assert mock.discard(UNKNOWN)[0] == 404


def test_a_reply_lost_on_the_loops_connection_says_the_discard_may_have_been_applied(linked: Linked) -> None:
    mock, proxy = linked
    instance = fresh_pending(mock)
    proxy.set_mode("lose_script_replies")
    status, _, body = mock.discard(instance)
    assert status == 503, body
    assert MAY_HAVE_APPLIED in body["error"]["message"], body["error"]["message"]

    proxy.set_mode("relay")
    assert wait_until(lambda: healthy(mock))
    assert stored(mock, instance)["workflowStatus"] == "stopped", "the 503'd discard was applied, as it warned"
    assert wait_until(lambda: mock.discard(instance)[0] == 409)


def test_a_redis_that_forgot_its_scripts_answers_the_loops_next_discard_as_usual(
    linked: Linked, redis_server: RedisServer
) -> None:
    mock = linked[0]
    instance = fresh_pending(mock)
    redis.Redis(port=redis_server.port).script_flush()  # as a restart does: every script is gone

    assert mock.discard(instance)[0] == 200
    assert mock.discard(instance)[0] == 409


def test_over_tls_the_endpoints_calls_stay_on_the_pool(redis_server: RedisServer, redis_prefix: str) -> None:
    """asyncio cannot take over a TLS socket redis-py made: a rediss:// store's calls must not run on the loop."""
    plain = create_app({"STORE": redis_server.url, "REDIS_PREFIX": redis_prefix})
    tls = create_app({"STORE": f"rediss://127.0.0.1:{free_port()}/0", "REDIS_PREFIX": redis_prefix})

    on_loop = runs_inline(plain, redis_server.url)
    assert plain.extensions[EXTENSION_KEY].storage.suspends and on_loop is not None
    assert on_loop(path_of(UNKNOWN)) and not on_loop("/__mock/instances"), "only the endpoint's calls"
    assert not tls.extensions[EXTENSION_KEY].storage.suspends
    assert runs_inline(tls, "rediss://127.0.0.1/0") is None


def test_a_loop_connection_that_cannot_be_made_is_tried_again_unless_the_failure_is_not_redis(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis unreachable: the next call tries again. A failure that is not Redis's (a redis-py whose
    connection keeps its socket elsewhere) gives the loop's connection up, says so once, and leaves
    every call on threads, instead of a new attempt and a traceback per request."""

    class Unreachable:
        def connect(self) -> None:
            raise redis.ConnectionError("Connection refused")

    class SocketElsewhere:
        def connect(self) -> None:
            pass  # greeted, but no `_sock` to take over

    async def attempts(make: Any) -> int:
        made: list[object] = []

        def connection() -> Any:
            made.append(make())
            return made[-1]

        links = LoopLinks(connection, 0.5, "redis://127.0.0.1:1/0")
        for _ in range(3):
            with pytest.raises(MustWait):
                links.current()
            await asyncio.sleep(0.05)  # the attempt, on a thread, ends
        return len(made)

    assert run_on_own_loop(lambda: attempts(Unreachable)) == 3
    with caplog.at_level(logging.WARNING, logger="discard_mock"):
        assert run_on_own_loop(lambda: attempts(SocketElsewhere)) == 1
    assert [r.getMessage() for r in caplog.records if "stay on threads" in r.getMessage()] != []
