"""The Redis store on a real redis-server: the same answers as the memory store, shared by every app on a prefix.

Two apps on one prefix stand for two replicas: each has its own Redis client
and connection pool, and nothing but Redis in common.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from discard_contract.spec import Spec
from mock_server import create_app
from mock_server.domain import Instance
from mock_server.seed import load_seed
from mock_server.storage import DuplicateInstance, StoreUnavailable
from mock_server.storage.memory import MemoryInstanceStore
from mock_server.storage.redis_connection import SOCKET_TIMEOUT_SECONDS, RedisConnection
from mock_server.storage.redis_instances import RedisInstanceStore

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    DOCS_INSTANCE,
    bearer,
    discard,
    discard_outcome,
    discard_path,
    discard_scopes,
    run_cli,
)
from ..support.redis_server import RedisServer

SEED = load_seed(None, Spec.load()).instances


def _store(server: RedisServer, prefix: str, seed: tuple[Instance, ...] = SEED) -> RedisInstanceStore:
    return RedisInstanceStore(RedisConnection(server.url, prefix), seed)


def _replica(server: RedisServer, prefix: str, **config: object) -> Flask:
    return create_app({"STORE": server.url, "REDIS_PREFIX": prefix, **config})


def test_the_redis_store_answers_every_discard_as_the_memory_store_does(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    memory, stored = MemoryInstanceStore(SEED), _store(redis_server, redis_prefix)
    assert stored.instances() == list(SEED)  # seeded, in the data file's order
    for scope in discard_scopes(SEED):
        assert discard_outcome(stored, *scope) == discard_outcome(memory, *scope), scope
    assert stored.instances() == memory.instances()


def test_get_add_duplicates_and_replace_all(redis_server: RedisServer, redis_prefix: str) -> None:
    store = _store(redis_server, redis_prefix)
    extra = replace(SEED[0], workflow_instance_id="d" * 24)
    store.add(extra)
    assert store.get("d" * 24) == extra and store.get("e" * 24) is None
    with pytest.raises(DuplicateInstance):
        store.add(replace(extra, campaign_id="f" * 24))
    assert store.get("d" * 24) == extra
    assert store.instances() == [*SEED, extra]  # added after the seed, in order
    store.replace_all([extra])
    assert store.instances() == [extra]
    client = redis_server.client()
    assert client.ttl(redis_prefix + "instances") == -1  # the scratch hash's expiry did not follow it
    assert not client.keys(redis_prefix + "scratch:*")


def test_a_seeded_prefix_is_not_reseeded_but_an_emptied_one_is(redis_server: RedisServer, redis_prefix: str) -> None:
    first = _store(redis_server, redis_prefix)
    discarded = discard(first, ACME, ACME_CAMPAIGN, DOCS_INSTANCE)
    again = _store(redis_server, redis_prefix)  # a replica starting later
    assert again.get(DOCS_INSTANCE) == discarded
    assert len(again.instances()) == len(SEED)

    client = redis_server.client()
    client.delete(*client.keys(redis_prefix + "*"))  # what a Redis restarted without persistence holds
    assert first.get(DOCS_INSTANCE) == SEED[0]  # the next call finds the prefix empty and seeds it
    assert discard(again, ACME, ACME_CAMPAIGN, DOCS_INSTANCE) == discarded
    assert len(first.instances()) == len(SEED)


def test_parallel_discards_through_two_replicas_give_one_success_per_instance(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    replicas = [_store(redis_server, redis_prefix, ()) for _ in range(2)]
    fresh = [replace(SEED[0], workflow_instance_id=f"{i:024x}") for i in range(40)]
    for instance in fresh:
        replicas[instance.workflow_instance_id.endswith(("0", "2", "4")) * 1].add(instance)
    attempts = [(replicas[n % 2], instance) for instance in fresh for n in range(5)]

    def discard(attempt: tuple[RedisInstanceStore, Instance]) -> tuple[str, object]:
        store, instance = attempt
        return instance.workflow_instance_id, discard_outcome(store, ACME, ACME_CAMPAIGN, instance.workflow_instance_id)

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(discard, attempts))
    wins = Counter(instance_id for instance_id, outcome in outcomes if isinstance(outcome, Instance))
    assert len(wins) == len(fresh) and set(wins.values()) == {1}
    assert all(isinstance(o, Instance) or o[0] == "not pending" for _, o in outcomes)
    assert {i.workflow_status for i in replicas[1].instances()} == {"stopped"}


def test_two_prefixes_on_one_redis_are_two_mocks(redis_server: RedisServer, redis_prefix: str) -> None:
    team_a = _replica(redis_server, redis_prefix + "a:").test_client()
    team_b = _replica(redis_server, redis_prefix + "b:").test_client()
    assert team_a.post(discard_path(), headers=bearer()).status_code == 200
    assert team_b.post(discard_path(), headers=bearer()).status_code == 200  # b's instance is its own
    assert team_a.post("/__mock/faults", json={"status": 502}).status_code == 201
    assert team_a.post(discard_path(), headers=bearer()).status_code == 502
    assert team_b.post(discard_path(), headers=bearer()).status_code == 409  # no fault in b

    assert team_a.delete("/__mock/faults").status_code == 200
    assert team_a.post("/__mock/reset").status_code == 200  # resets a only
    assert team_a.post(discard_path(), headers=bearer()).status_code == 200
    assert team_b.post(discard_path(), headers=bearer()).status_code == 409


def test_a_counted_fault_fires_exactly_count_times_across_replicas(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    replicas = [_replica(redis_server, redis_prefix).test_client() for _ in range(3)]
    assert replicas[0].post("/__mock/faults", json={"status": 500, "count": 7}).status_code == 201
    paths = [discard_path(workflow_instance_id=f"{i:024x}") for i in range(30)]  # unknown IDs: 404 unless injected

    def send(index: int) -> int:
        return replicas[index % 3].post(paths[index], headers=bearer()).status_code

    with ThreadPoolExecutor(max_workers=9) as pool:
        statuses = Counter(pool.map(send, range(len(paths))))
    assert statuses == {500: 7, 404: 23}, statuses
    listed = replicas[2].get("/__mock/faults").get_json()["faults"]
    assert [fault["count"] for fault in listed] == [0]


def test_the_rate_limit_is_one_bucket_per_key_for_the_whole_fleet(redis_server: RedisServer, redis_prefix: str) -> None:
    replicas = [_replica(redis_server, redis_prefix, RATE_LIMIT="6/min").test_client() for _ in range(3)]
    statuses = [replicas[n % 3].post(discard_path(workflow_instance_id="0" * 24), headers=bearer()) for n in range(9)]
    assert [r.status_code for r in statuses] == [404] * 6 + [429] * 3  # one burst of 6, not 6 per replica
    assert int(statuses[-1].headers["Retry-After"]) >= 1
    other_key = replicas[1].post(discard_path(workflow_instance_id="0" * 24), headers=bearer("sk_test_readonly"))
    assert other_key.status_code == 403  # another key has its own bucket


def test_an_unreachable_redis_is_a_503_envelope_within_a_second_and_health_says_why(tmp_path: Path) -> None:
    """A Redis that never answers costs a request one socket timeout per round trip, and no retries.

    The second is shown without a stopwatch: a request against a listener that never replies is a
    503 naming the timeout (not a hang), it makes at most two attempts, and each waits at most
    SOCKET_TIMEOUT_SECONDS (test_store_errors_are_unavailable_not_500 holds the pool to that).
    """
    # A listener that accepts and never answers: the worst case, a Redis hung or a network that drops.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    accepted: list[socket.socket] = []

    def accept() -> None:
        with suppress(OSError):  # the listener closed at the end of the test
            for _ in range(64):
                accepted.append(silent.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        client = create_app({"STORE": f"redis://:secret@127.0.0.1:{silent.getsockname()[1]}/0"}).test_client()
        before = len(accepted)  # start-up's own attempts, each already timed out
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(client.post, discard_path(), headers=bearer()).result(timeout=30)  # a hang fails
        attempts = len(accepted) - before
        assert answer.status_code == 503, answer.status_code
        assert attempts >= 1 and attempts * SOCKET_TIMEOUT_SECONDS <= 1.0, attempts
        body = answer.get_json()
        assert body["success"] is False and body["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert "Timeout" in body["error"]["message"] and answer.headers["Retry-After"] == "1"
        health = client.get("/__mock/health")
        assert health.status_code == 503
        store = health.get_json()["store"]
        assert store["ok"] is False and "Timeout" in store["error"]
        assert "secret" not in health.get_data(as_text=True)  # the password never shows
    finally:
        silent.close()
        for connection in accepted:
            connection.close()


def test_a_redis_that_comes_up_later_is_used_without_a_restart(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    client = create_app({"STORE": server.url}).test_client()  # nothing listens on the port yet
    refused = client.post(discard_path(), headers=bearer())
    assert refused.status_code == 503 and "Connection refused" in refused.get_json()["error"]["message"]
    assert "Connection refused" in client.get("/__mock/health").get_json()["store"]["error"]
    server.start()
    try:
        # The outage's probe finds it within a probe interval; a deadline only a mock that never recovers reaches.
        deadline = time.monotonic() + 30
        while client.get("/__mock/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/__mock/health").status_code == 200
        assert client.post(discard_path(), headers=bearer()).status_code == 200  # the prefix was seeded meanwhile
        assert client.post(discard_path(), headers=bearer()).status_code == 409
    finally:
        server.kill()


def test_a_redis_restarted_between_two_requests_answers_the_second_as_usual(tmp_path: Path) -> None:
    """The connection a thread keeps for the discard's commands is checked before each one: a socket
    Redis closed when it restarted is replaced, not written to (its reply lost: a 503 'may have applied')."""
    server = RedisServer(tmp_path / "redis").start()
    try:
        client = create_app({"STORE": server.url}).test_client()
        assert client.post(discard_path(), headers=bearer()).status_code == 200
        server.kill()
        server.start()  # empty: no persistence
        answer = client.post(discard_path(), headers=bearer())
        assert answer.status_code == 200, answer.get_json()  # reseeded from the data file: pending again
        assert client.post(discard_path(), headers=bearer()).status_code == 409
    finally:
        server.kill()


def test_health_reports_every_store(tmp_path: Path) -> None:
    for config, kind in (({}, "memory"), ({"STORE": f"sqlite:{tmp_path / 'mock.db'}"}, "sqlite")):
        answer = create_app(config).test_client().get("/__mock/health")
        assert answer.status_code == 200
        assert answer.get_json() == {"ok": True, "store": {**answer.get_json()["store"], "kind": kind, "ok": True}}


def test_the_health_check_needs_no_control_token() -> None:
    client = create_app({"CONTROL_TOKEN": "team-secret"}).test_client()
    assert client.get("/__mock/health").status_code == 200
    assert client.get("/__mock/instances").status_code == 401


def test_store_errors_are_unavailable_not_500(redis_server: RedisServer, redis_prefix: str) -> None:
    connection = RedisConnection(redis_server.url, redis_prefix)
    store = RedisInstanceStore(connection, SEED)
    connection.client.connection_pool.disconnect()
    settings = connection.client.connection_pool.connection_kwargs
    assert settings["socket_timeout"] == settings["socket_connect_timeout"] == SOCKET_TIMEOUT_SECONDS <= 0.5
    redis_server.client().client_pause(1000, all=True)  # stands in for a Redis too busy to answer in time
    with pytest.raises(StoreUnavailable, match="Timeout"):  # a client that waited a whole second would get it
        store.get(DOCS_INSTANCE)
    deadline = time.monotonic() + 30  # the pause ends after a second; the outage's probe then finds Redis back
    while connection.health() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.get(DOCS_INSTANCE) == SEED[0]  # and calls simply work again


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--store", "redis://127.0.0.1:notaport/0"], "not a Redis URL"),
        (["--store", "memcached://127.0.0.1"], "redis://HOST:PORT/DB"),
        (["--redis-prefix", "x:"], "--redis-prefix goes with a Redis --store"),
        (["--store", "redis://127.0.0.1:1/0", "--redis-prefix", ""], "--redis-prefix must not be empty"),
    ],
)
def test_bad_redis_settings_stop_the_start_with_a_reason(argv: list[str], message: str) -> None:
    result = run_cli(["serve", "--port", "0", *argv], timeout=30)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
