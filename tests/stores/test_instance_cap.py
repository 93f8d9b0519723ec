"""--max-instances bounds the store, not a process: its count lives with the instances.

Kept by the store beside what it bounds, the count is shared by every worker
on a SQLite file (or replica on a Redis prefix) and survives a restart that
keeps the instances; only a reset starts it again.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from discard_contract.spec import Spec
from mock_server.seed import load_seed
from mock_server.storage import InstanceLimitReached
from mock_server.storage.redis_connection import RedisConnection
from mock_server.storage.redis_instances import RedisInstanceStore

from ..support.redis_server import RedisServer
from ..support.served import MockProcess, instance_doc, served

CAP = 3
SEED = load_seed(None, Spec.shipped()).instances


def create(mock: MockProcess, index: int) -> int:
    return mock.call("POST", "/__mock/instances", body=instance_doc(index, prefix="c"))[0]


def test_a_restart_on_the_same_sqlite_file_keeps_the_count(tmp_path: Path) -> None:
    args = ("--quiet", "--store", f"sqlite:{tmp_path / 'mock.db'}", "--max-instances", str(CAP))
    with served(*args) as mock:
        assert [create(mock, n) for n in range(CAP + 1)] == [201] * CAP + [507]
    with served(*args) as again:
        status, _, body = again.call("POST", "/__mock/instances", body=instance_doc(CAP + 1, prefix="c"))
        assert status == 507, body
        assert body["error"]["code"] == "INSTANCE_LIMIT" and "--max-instances" in body["error"]["message"]
        assert again.call("POST", "/__mock/reset")[0] == 200
        assert [create(again, n) for n in range(CAP + 1)] == [201] * CAP + [507]


def test_workers_on_one_file_draw_from_one_count(tmp_path: Path) -> None:
    args = ("--quiet", "--workers", "2", "--store", f"sqlite:{tmp_path / 'mock.db'}", "--max-instances", str(CAP))
    with served(*args) as mock, ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(lambda n: create(mock, n), range(4 * CAP)))
    assert statuses == {201: CAP, 507: 3 * CAP}, statuses


def test_replicas_on_one_redis_prefix_draw_from_one_count(redis_server: RedisServer, redis_prefix: str) -> None:
    def replica() -> RedisInstanceStore:
        return RedisInstanceStore(RedisConnection(redis_server.url, redis_prefix), SEED)

    first, second = replica(), replica()
    fresh = [replace(SEED[0], workflow_instance_id=f"{n:024x}") for n in range(CAP + 1)]
    for n, instance in enumerate(fresh[:CAP]):
        (first, second)[n % 2].add(instance, CAP)
    with pytest.raises(InstanceLimitReached):
        replica().add(fresh[CAP], CAP)  # a replica started later counts what the others added
    assert len(first.instances()) == len(SEED) + CAP
    second.replace_all(SEED)
    first.add(fresh[CAP], CAP)  # a reset starts the count again
