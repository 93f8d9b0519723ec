"""Redis failing under a served mock: 503s at once while it is known down, and the truth about each discard.

A real redis-server behind a relay (redis_proxy.py) that hangs, loses the
replies to scripts, or refuses, in front of a real `discard-mock serve`. The
one-second bound under concurrency is shown by counting, not timing: only
the requests already in flight when Redis hung may try it (one connection
each, THREADS_PER_WORKER at most); every later one is answered without a
round trip, and only the probe connects until Redis answers again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from discard_contract.spec import Spec
from mock_server.domain import NotFound
from mock_server.seed import load_seed
from mock_server.serving.server import THREADS_PER_WORKER
from mock_server.storage.interfaces import StoreUnavailable
from mock_server.storage.outage import OutageGate
from mock_server.storage.redis_connection import RedisConnection
from mock_server.storage.redis_instances import RedisInstanceStore

from ..support.helpers import ACME, ACME_CAMPAIGN, DOCS_INSTANCE, PENDING_STATE, discard
from ..support.redis_proxy import RedisProxy
from ..support.redis_server import RedisServer
from ..support.served import MockProcess, served

CONCURRENT = 160
DEADLINE = 30.0  # seconds: far past any answer; only a hang or a mock that never recovers reaches it
UNKNOWN = {"accountGroupId": ACME, "campaignId": ACME_CAMPAIGN, "workflowInstanceId": "0" * 24}
MAY_HAVE_APPLIED = "may have been applied: check its state before retrying"
SEED = load_seed(None, Spec.shipped()).instances


@contextmanager
def mock_behind_proxy(redis_server: RedisServer, redis_prefix: str) -> Iterator[tuple[MockProcess, RedisProxy]]:
    with (
        RedisProxy(redis_server.port) as proxy,
        served("--quiet", "--store", proxy.url, "--redis-prefix", redis_prefix) as mock,
    ):
        yield mock, proxy


def wait_until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def fresh_pending(mock: MockProcess) -> dict[str, Any]:
    status, _, body = mock.call("POST", "/__mock/provider-states", body={"state": PENDING_STATE})
    assert status == 200, body
    return body


def stored(mock: MockProcess, instance: dict[str, Any]) -> dict[str, Any]:
    status, _, body = mock.call("GET", f"/__mock/instances/{instance['workflowInstanceId']}")
    assert status == 200, body
    return body


def healthy(mock: MockProcess) -> bool:
    return mock.call("GET", "/__mock/health")[0] == 200


def test_160_concurrent_discards_on_a_hung_redis_are_503s_and_only_those_in_flight_tried_it(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    with mock_behind_proxy(redis_server, redis_prefix) as (mock, proxy):
        assert mock.discard(UNKNOWN)[0] == 404  # Redis answers through the relay
        proxy.set_mode("hang")
        before = proxy.opened("discard-mock")
        go = threading.Barrier(CONCURRENT)

        def discard(_: int) -> tuple[int, dict[str, str], Any]:
            go.wait(timeout=DEADLINE)
            return mock.discard(UNKNOWN)  # its own connection, waiting DEADLINE at most for the answer

        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = list(pool.map(discard, range(CONCURRENT)))
        tried = proxy.opened("discard-mock") - before

        assert Counter(status for status, _, _ in answers) == {503: CONCURRENT}
        assert {body["error"]["code"] for _, _, body in answers} == {"SERVICE_UNAVAILABLE"}
        assert {headers["retry-after"] for _, headers, _ in answers} == {"1"}
        assert tried <= THREADS_PER_WORKER, f"{tried} request connections to a hung Redis for {CONCURRENT} requests"
        status, _, health = mock.call("GET", "/__mock/health")
        assert status == 503 and "Timeout" in health["store"]["error"], health

        proxy.set_mode("relay")  # Redis answers again: found by the probe, no restart
        assert wait_until(lambda: healthy(mock))
        assert mock.discard(UNKNOWN)[0] == 404


def test_a_discard_whose_reply_was_lost_says_it_may_have_been_applied(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    with mock_behind_proxy(redis_server, redis_prefix) as (mock, proxy):
        instance = fresh_pending(mock)
        assert mock.discard(UNKNOWN)[0] == 404  # the discard's script is loaded: no NOSCRIPT round trip follows
        proxy.set_mode("lose_script_replies")  # Redis runs the discard; its answer never comes back
        status, _, body = mock.discard(instance)
        assert status == 503, body
        assert MAY_HAVE_APPLIED in body["error"]["message"], body["error"]["message"]
        assert "retry shortly" not in body["error"]["message"].lower()

        assert wait_until(lambda: healthy(mock))  # the probe's PING goes through: requests are let through again
        assert stored(mock, instance)["workflowStatus"] == "stopped", "the 503'd discard was applied, as it warned"
        proxy.set_mode("relay")
        assert mock.discard(instance)[0] == 409


def test_a_discard_that_never_reached_redis_says_nothing_was_changed(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    with mock_behind_proxy(redis_server, redis_prefix) as (mock, proxy):
        instance = fresh_pending(mock)
        proxy.set_mode("refuse")
        answers = [mock.discard(instance) for _ in range(3)]  # the first meets the outage, the others fail fast
        for status, _, body in answers:
            assert status == 503, body
            message = body["error"]["message"]
            assert MAY_HAVE_APPLIED not in message and "Nothing was changed" in message, message

        proxy.set_mode("relay")
        assert wait_until(lambda: healthy(mock))
        assert stored(mock, instance)["workflowStatus"] == "pending"
        assert mock.discard(instance)[0] == 200


def test_a_write_tells_whether_it_may_have_been_applied(redis_server: RedisServer, redis_prefix: str) -> None:
    """At the store: a discard that failed connecting was not applied; one whose reply was lost may have been."""
    with RedisProxy(redis_server.port) as proxy:
        connection = RedisConnection(proxy.url, redis_prefix)
        store = RedisInstanceStore(connection, SEED)
        with pytest.raises(NotFound):
            discard(store, ACME, ACME_CAMPAIGN, "0" * 24)  # seeds the prefix and loads the script

        proxy.set_mode("refuse")  # every connection closed: the next write cannot get out
        with pytest.raises(StoreUnavailable) as refused:
            discard(store, ACME, ACME_CAMPAIGN, DOCS_INSTANCE)
        assert refused.value.may_have_applied is False, refused.value

        proxy.set_mode("relay")
        assert wait_until(lambda: connection.health() is None)
        proxy.set_mode("lose_script_replies")
        with pytest.raises(StoreUnavailable) as lost:
            discard(store, ACME, ACME_CAMPAIGN, DOCS_INSTANCE)
        assert lost.value.may_have_applied is True, lost.value
        proxy.set_mode("relay")
        assert wait_until(lambda: connection.health() is None)
        stored = store.get(DOCS_INSTANCE)
        assert stored is not None and stored.workflow_status == "stopped", "the write whose reply was lost was applied"


def test_the_gate_answers_without_the_store_while_it_is_down_and_one_probe_lets_requests_through_again() -> None:
    store_back = threading.Event()
    probes: list[float] = []

    def probe() -> None:
        probes.append(time.monotonic())
        if not store_back.is_set():
            raise StoreUnavailable("still down")

    others = set(threading.enumerate())  # probes of other tests' gates are not this one's

    def probing() -> bool:
        return any(t.name == "store-probe" and t not in others for t in threading.enumerate())

    gate = OutageGate(probe, interval=0.01)
    gate.check()  # not known down: a call may go to the store
    gate.failed(StoreUnavailable("connection refused"))
    with pytest.raises(StoreUnavailable, match=r"refused|still down"):
        gate.check()
    assert wait_until(lambda: len(probes) >= 3)  # probing in the background, one call at a time
    with pytest.raises(StoreUnavailable, match="still down"):
        gate.check()  # the latest reason
    store_back.set()
    assert wait_until(lambda: gate.down is None)
    gate.check()
    assert wait_until(lambda: not probing())
    probed = len(probes)
    gate.check()  # the store is back: nothing starts probing again
    assert len(probes) == probed and not probing()
