"""Separate `discard-mock serve` processes on one Redis behave as one mock, and outlive a Redis restart.

Each replica is its own process tree with its own Redis connections, as
replicas on several hosts behind a load balancer would be; the tests spread
their requests over the replicas themselves.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from ..suite.test_contract_suite import run_suite
from ..support.redis_server import RedisServer
from ..support.served import MockProcess, instance_doc, served, write_data_file

REPLICAS = 3
FRESH = 100
DISCARDS = 600
CLIENT_THREADS = 48


@contextmanager
def fleet(count: int, *args: str) -> Iterator[list[MockProcess]]:
    with ExitStack() as stack:
        yield [stack.enter_context(served("--quiet", *args)) for _ in range(count)]


def _create(replica: MockProcess, doc: dict[str, Any]) -> dict[str, Any]:
    status, _, body = replica.call("POST", "/__mock/instances", body=doc)
    assert status == 201, body
    return body


def test_three_replicas_600_parallel_discards_of_100_fresh_instances_give_exactly_100_successes(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    with fleet(REPLICAS, "--store", redis_server.url, "--redis-prefix", redis_prefix) as replicas:
        fresh = [_create(replicas[i % REPLICAS], instance_doc(i, prefix="f")) for i in range(FRESH)]
        # Each instance's six attempts side by side, two through each replica: they are in flight together.
        per_instance = DISCARDS // FRESH
        targets = [(replicas[n % REPLICAS], doc) for doc in fresh for n in range(per_instance)]
        go = threading.Event()

        def discard(target: tuple[MockProcess, dict[str, Any]]) -> tuple[str, int]:
            go.wait(timeout=30)  # every client thread starts at once, none before all are queued
            replica, doc = target
            return doc["workflowInstanceId"], replica.discard(doc)[0]

        with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
            pending = pool.map(discard, targets)
            go.set()
            answers = list(pending)

        statuses = Counter(status for _, status in answers)
        assert statuses == {200: FRESH, 409: DISCARDS - FRESH}, statuses
        winners = Counter(instance_id for instance_id, status in answers if status == 200)
        assert set(winners) == {doc["workflowInstanceId"] for doc in fresh} and set(winners.values()) == {1}
        for replica in replicas:  # every replica lists the same 100 as stopped
            stored = replica.instances()
            for doc in fresh:
                instance = stored[doc["workflowInstanceId"]]
                assert (instance["workflowStatus"], instance["workflowStopReason"], instance["hasPendingApproval"]) == (
                    "stopped",
                    "CONTENT_DISCARDED",
                    False,
                ), (replica.base_url, instance)

        # A fault set through one replica answers on the others, for exactly its count.
        status, _, body = replicas[0].call("POST", "/__mock/faults", body={"status": 502, "count": 4})
        assert status == 201, body
        faulted = Counter(replicas[n % REPLICAS].discard(fresh[n])[0] for n in range(9))
        assert faulted == {502: 4, 409: 5}, faulted


class Load:
    """Discards of fresh instances from several threads, round robin over the replicas, until stopped."""

    def __init__(self, replicas: list[MockProcess], docs: list[dict[str, Any]]) -> None:
        self.replicas = replicas
        self._todo = list(reversed(docs))
        self._lock = threading.Lock()
        self.stop = threading.Event()
        self.answers: list[tuple[float, str, int, float]] = []  # (when, instance ID, status, seconds taken)

    def _client(self, number: int) -> None:
        while not self.stop.is_set():
            with self._lock:
                if not self._todo:
                    return
                doc = self._todo.pop()
            replica = self.replicas[number % len(self.replicas)]
            started = time.monotonic()
            try:
                status = replica.discard(doc)[0]
            except (OSError, http.client.HTTPException):
                status = 0  # no answer at all: the test fails on it below
            with self._lock:
                self.answers.append((started, doc["workflowInstanceId"], status, time.monotonic() - started))
            time.sleep(0.02)  # a steady load, not a flood: the outage must not use up every instance

    def wait_for(self, condition: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if condition(list(self.answers)):
                    return True
            time.sleep(0.05)
        return False

    @contextmanager
    def running(self, threads: int) -> Iterator[Load]:
        workers = [threading.Thread(target=self._client, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        try:
            yield self
        finally:
            self.stop.set()
            for worker in workers:
                worker.join(timeout=30)


def test_redis_killed_and_restarted_under_load_503s_then_recovers_and_keeps_every_200(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    docs = [instance_doc(i, prefix="b") for i in range(5000)]
    data = write_data_file(tmp_path / "data.json", docs)  # seeded into Redis, so into its AOF
    with fleet(2, "--store", own_redis.url, "--data", str(data)) as replicas:
        load = Load(replicas, docs)
        with load.running(threads=8):
            assert load.wait_for(lambda a: sum(s == 200 for *_, s, _ in a) >= 50, timeout=30)
            own_redis.kill()
            killed_at = time.monotonic()
            assert load.wait_for(lambda a: sum(s == 503 for *_, s, _ in a) >= 20, timeout=15)
            status, _, body = replicas[1].call("GET", "/__mock/health")
            assert status == 503 and body["store"]["ok"] is False and body["store"]["error"], body
            own_redis.start()  # same port, same directory: it replays its AOF
            restarted_at = time.monotonic()
            assert load.wait_for(lambda a: sum(s == 200 and t > restarted_at for t, _, s, _ in a) >= 50, timeout=30), (
                Counter(s for *_, s, _ in load.answers)
            )

        answers = load.answers
        assert {status for *_, status, _ in answers} <= {200, 503}, Counter(s for *_, s, _ in answers)
        assert any(status == 503 for *_, status, _ in answers)  # a killed Redis is a 503 (test_redis_store: how soon)
        assert all(killed_at - 1 < when < restarted_at + 5 for when, _, status, _ in answers if status == 503)
        for replica in replicas:
            assert replica.call("GET", "/__mock/health")[0] == 200
        stored = replicas[0].instances()
        answered_200 = {instance_id for _, instance_id, status, _ in answers if status == 200}
        for instance_id in answered_200:  # AOF with appendfsync always: no answered discard is lost
            assert stored[instance_id]["workflowStatus"] == "stopped", instance_id
        for instance_id in {i for _, i, status, _ in answers if status == 503}:  # unknown outcome, never half-done
            assert (stored[instance_id]["workflowStatus"], stored[instance_id]["hasPendingApproval"]) in (
                ("stopped", False),
                ("pending", True),
            )


def test_the_suite_passes_a_redis_backed_replica(redis_server: RedisServer, redis_prefix: str, tmp_path: Path) -> None:
    with served("--quiet", "--store", redis_server.url, "--redis-prefix", redis_prefix) as mock:
        run = run_suite(mock.base_url, tmp_path)
    assert run.code == 0 and not run.failed, run.output


def test_the_suite_fails_a_redis_backed_replica_with_a_fault(
    redis_server: RedisServer, redis_prefix: str, tmp_path: Path
) -> None:
    """The fault is set through a second replica: the one under test only shares it through Redis."""
    with fleet(2, "--store", redis_server.url, "--redis-prefix", redis_prefix) as (tested, other):
        status, _, body = other.call("POST", "/__mock/faults", body={"status": 500, "probability": 0.2})
        assert status == 201, body
        run = run_suite(tested.base_url, tmp_path, "-x")  # the first failure is enough
        status, _, journal = tested.call("GET", "/__mock/requests")
    assert run.code == 1 and run.failed, run.output
    assert status == 200 and any(entry["status"] == 500 for entry in journal["requests"]), "no injected 500 seen"


def test_two_replicas_draw_from_one_rate_limit_bucket_per_key(redis_server: RedisServer, redis_prefix: str) -> None:
    args = ("--store", redis_server.url, "--redis-prefix", redis_prefix, "--rate-limit", "4/min")
    with fleet(2, *args) as replicas:
        unknown = instance_doc(1, prefix="e")  # never created: 404 while the bucket has tokens
        statuses = [replicas[n % 2].discard(unknown)[0] for n in range(6)]
        other_key = replicas[1].discard(unknown, key="sk_test_readonly")[0]
    assert statuses == [404] * 4 + [429] * 2  # a burst of 4 for the fleet, not 4 per replica
    assert other_key == 403  # another key, another bucket
