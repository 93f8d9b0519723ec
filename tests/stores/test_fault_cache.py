"""Each process decides faults from its cached list; the store's write, or one look at the version, confirms it.

Two apps on one store (a SQLite file, a Redis prefix) stand for two worker
processes or replicas: each caches the fault list on its own, and only the
store is shared. A fault added through one applies to the very next request
on the other, whose cache is then out of date: the discard must not happen.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from discard_contract.spec import Spec
from mock_server import create_app
from mock_server.context import EXTENSION_KEY
from mock_server.domain import shipped_rule
from mock_server.endpoint.call import EndpointCall
from mock_server.envelope import ApiError
from mock_server.faults import Fault
from mock_server.loop_calls import MustWait
from mock_server.seed import load_seed
from mock_server.storage import Storage, open_storage
from mock_server.storage.interfaces import StaleFaults

from ..support.helpers import ACME, ACME_CAMPAIGN, DOCS_INSTANCE, EXECUTE_KEY, bearer, discard_path
from ..support.redis_server import RedisServer

SEED = load_seed(None, Spec.load()).instances
UNKNOWN = "0" * 24


@pytest.fixture(params=["sqlite", "redis"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The settings of a store several processes share."""
    if request.param == "sqlite":
        return {"STORE": f"sqlite:{tmp_path / 'store.db'}"}
    server: RedisServer = request.getfixturevalue("redis_server")
    return {"STORE": server.url, "REDIS_PREFIX": request.getfixturevalue("redis_prefix")}


def _replicas(settings: dict[str, Any], count: int = 2) -> list[Flask]:
    return [create_app(dict(settings)) for _ in range(count)]


def _storage(app: Flask) -> Storage:
    storage: Storage = app.extensions[EXTENSION_KEY].storage
    return storage


def _pending(app: Flask, instance_id: str) -> bool:
    instance = _storage(app).instances.get(instance_id)
    assert instance is not None
    return instance.has_pending_approval


def test_a_fault_added_on_one_replica_stops_the_next_discard_on_the_other(shared: dict[str, Any]) -> None:
    one, other = _replicas(shared)
    assert other.test_client().post(discard_path(workflow_instance_id=UNKNOWN), headers=bearer()).status_code == 404
    cached = _storage(other).faults.snapshot()  # `other` has cached the list, with no fault in it
    assert one.test_client().post("/__mock/faults", json={"status": 503}).status_code == 201
    assert _storage(other).faults.snapshot() == cached  # still the stale list: nothing told `other`

    answer = other.test_client().post(discard_path(), headers=bearer())
    assert answer.status_code == 503, answer.get_json()
    assert "fault" in answer.get_json()["error"]["details"]
    assert _pending(one, DOCS_INSTANCE)  # not discarded: the fault was in force before the request


def test_a_request_that_ends_before_the_store_still_sees_a_fault_added_elsewhere(shared: dict[str, Any]) -> None:
    one, other = _replicas(shared)
    assert other.test_client().post(discard_path()).status_code == 401  # caches the list, with no fault
    assert one.test_client().post("/__mock/faults", json={"status": 502}).status_code == 201
    assert other.test_client().post(discard_path()).status_code == 502  # faults come before the 401
    assert one.test_client().delete("/__mock/faults").status_code == 200
    assert other.test_client().post(discard_path()).status_code == 401


def test_a_fault_removed_elsewhere_no_longer_fires_on_a_replica_that_cached_it(shared: dict[str, Any]) -> None:
    one, other = _replicas(shared)
    assert one.test_client().post("/__mock/faults", json={"status": 500}).status_code == 201
    assert other.test_client().post(discard_path(), headers=bearer()).status_code == 500  # cached, with the fault
    assert one.test_client().delete("/__mock/faults").status_code == 200
    assert other.test_client().post(discard_path(), headers=bearer()).status_code == 200


def test_a_discard_at_a_stale_fault_version_changes_nothing(shared: dict[str, Any]) -> None:
    settings = {"REDIS_PREFIX": shared.get("REDIS_PREFIX")}
    one, other = (open_storage(shared["STORE"], SEED, settings) for _ in range(2))
    stale = other.faults.reload()
    one.faults.add(Fault("elsewhere", status=500, workflow_instance_id=UNKNOWN))  # fires on no request here
    update = shipped_rule().update(ACME, ACME_CAMPAIGN, DOCS_INSTANCE)
    with pytest.raises(StaleFaults):
        other.instances.update_if_faults(update, stale)
    assert one.instances.get(DOCS_INSTANCE) == SEED[0]  # untouched
    current = other.faults.reload()
    assert [f.id for f in current.active] == ["elsewhere"]
    discarded, applied = other.instances.update_if_faults(update, current)
    assert applied and discarded is not None and not discarded.has_pending_approval


def test_one_success_per_instance_across_replicas_while_the_fault_list_keeps_changing(shared: dict[str, Any]) -> None:
    """Every change makes the replicas' caches stale mid-request: reruns must not discard twice."""
    replicas = _replicas(shared)
    fresh = [replace(SEED[0], workflow_instance_id=f"{i:024x}") for i in range(1, 31)]
    for instance in fresh:
        _storage(replicas[0]).instances.add(instance)
    done = threading.Event()

    def churn() -> None:
        client = replicas[1].test_client()
        while not done.is_set():  # a fault that fires on none of these requests, added and removed
            added = client.post("/__mock/faults", json={"status": 500, "workflowInstanceId": UNKNOWN}).get_json()
            client.delete(f"/__mock/faults/{added['id']}")

    def send(attempt: int) -> tuple[str, int]:
        instance_id = fresh[attempt // 4].workflow_instance_id
        path = discard_path(workflow_instance_id=instance_id)
        return instance_id, replicas[attempt % 2].test_client().post(path, headers=bearer()).status_code

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(send, range(4 * len(fresh))))
    finally:
        done.set()
        churner.join(timeout=30)
    assert Counter(status for _, status in answers) == {200: len(fresh), 409: 3 * len(fresh)}
    assert Counter(instance_id for instance_id, status in answers if status == 200) == Counter(
        i.workflow_instance_id for i in fresh
    )


def test_a_discard_on_the_redis_store_is_one_round_trip(own_redis: RedisServer) -> None:
    """With the fault list cached, a discard sends Redis one command: the script that checks its version and writes."""
    app = create_app({"STORE": own_redis.url})
    client = app.test_client()
    assert client.post(discard_path(workflow_instance_id=UNKNOWN), headers=bearer()).status_code == 404  # warm
    redis = own_redis.client()
    redis.config_resetstat()
    assert client.post(discard_path(), headers=bearer()).status_code == 200
    assert client.post(discard_path(), headers=bearer()).status_code == 409
    calls = {
        name: int(stats["calls"])
        for name, stats in redis.info("commandstats").items()
        if name not in ("cmdstat_config|resetstat", "cmdstat_info")
    }
    # Two scripts sent, and what ran inside them (Redis counts those too): the version's GET, the seeded
    # check, the instance's HGET, and one HSET for the 200. No GET of the version of its own.
    expected = {"evalsha": 2, "get": 2, "exists": 2, "hget": 2, "hset": 1}
    assert calls == {f"cmdstat_{name}": count for name, count in expected.items()}, calls


def test_a_relayed_request_finds_a_stale_list_and_answers_the_fault_added_elsewhere(shared: dict[str, Any]) -> None:
    """What the proxy asks before relaying: no store write follows, so the version is looked at even when no
    fault of the cached list fires."""
    one, other = _replicas(shared)
    endpoint = other.extensions[EXTENSION_KEY].endpoint

    def call() -> EndpointCall:
        return EndpointCall("POST", discard_path(), "", {}, "127.0.0.1", has_body=False)

    endpoint.relayed_faults(call(), DOCS_INSTANCE)  # no fault: relayed
    cached = _storage(other).faults.snapshot()
    assert one.test_client().post("/__mock/faults", json={"status": 502, "count": 1}).status_code == 201
    assert _storage(other).faults.snapshot() == cached  # `other` has not heard of it
    with pytest.raises(ApiError) as answered:
        endpoint.relayed_faults(call(), DOCS_INSTANCE)
    assert answered.value.status == 502
    endpoint.relayed_faults(call(), DOCS_INSTANCE)  # its one hit is spent, fleet-wide
    assert [(f.count) for f in _storage(one).faults.faults()] == [0]


def test_a_call_run_again_where_it_may_wait_does_not_take_a_counted_faults_hit_twice(shared: dict[str, Any]) -> None:
    """A loop call that took a hit, then found the list stale and must reload it on a thread (MustWait),
    is run again there: the fault acts again, its hit is not taken again."""
    one, other = _replicas(shared)
    endpoint = other.extensions[EXTENSION_KEY].endpoint
    assert (
        one.test_client().post("/__mock/faults", json={"kind": "slow-body", "latencyMs": 30, "count": 3}).status_code
        == 201
    )
    endpoint.faults.snapshot()  # `other` caches the list with the fault
    endpoint.instances = StaleOnce(endpoint.instances)  # the discard's write finds the list changed elsewhere
    endpoint.faults = ReloadWaits(endpoint.faults)  # and reloading it must wait, as it must in a loop call
    call = EndpointCall("POST", discard_path(), "", {"authorization": f"Bearer {EXECUTE_KEY}"}, None, has_body=False)
    params = {"accountGroupId": ACME, "campaignId": ACME_CAMPAIGN, "workflowInstanceId": DOCS_INSTANCE}

    with pytest.raises(MustWait):
        endpoint(call, params)
    answer = endpoint(call, params)  # run again, as the server runs it on a thread

    assert answer.status == 200 and call.slow_body_ms == 30, "the fault acted on the request"
    assert [fault.count for fault in _storage(one).faults.faults()] == [2], "one hit for one request"
    assert not _pending(one, DOCS_INSTANCE)


class StaleOnce:
    """An instance store whose first write finds the fault list stale (StaleFaults: nothing written)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.stale = True

    def update_if_faults(self, update: Any, faults: Any) -> Any:
        if self.stale:
            self.stale = False
            raise StaleFaults
        return self.inner.update_if_faults(update, faults)


class ReloadWaits:
    """A fault registry whose first reload must wait (MustWait), as a loop call's must."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.waits = True

    def reload(self) -> Any:
        if self.waits:
            self.waits = False
            raise MustWait
        return self.inner.reload()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
