"""The fault registries of every store: one list seen by every process, counted hits spent once, a cached list
found stale by its version."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.faults import Fault
from mock_server.storage import FaultRegistry
from mock_server.storage.interfaces import StaleFaults
from mock_server.storage.memory import MemoryFaultRegistry
from mock_server.storage.redis_connection import RedisConnection
from mock_server.storage.redis_faults import RedisFaultRegistry
from mock_server.storage.sqlite import SqliteFaultRegistry
from mock_server.storage.sqlite.db import SqliteDatabase

from ..support.redis_server import RedisServer


@pytest.fixture(params=["memory", "sqlite", "redis"])
def registries(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[FaultRegistry, FaultRegistry]:
    """Two views of one registry: the same object in memory, two 'processes' on one SQLite file or Redis prefix."""
    if request.param == "memory":
        registry = MemoryFaultRegistry()
        return registry, registry
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        prefix: str = request.getfixturevalue("redis_prefix")
        return RedisFaultRegistry(RedisConnection(server.url, prefix)), RedisFaultRegistry(
            RedisConnection(server.url, prefix)
        )
    path = tmp_path / "faults.db"
    return SqliteFaultRegistry(SqliteDatabase(path)), SqliteFaultRegistry(SqliteDatabase(path))


def test_a_fault_added_anywhere_is_active_everywhere_until_spent(registries: tuple[FaultRegistry, ...]) -> None:
    one, other = registries
    assert other.snapshot().active == ()
    one.add(Fault("a", status=500, count=2))
    one.add(Fault("b", latency_ms=10))
    assert [f.id for f in other.reload().active] == ["a", "b"]
    cached = other.snapshot()
    assert other.consume(cached.active[0], cached) == cached  # a hit left: the same list
    before = one.reload()
    after = one.consume(before.active[0], before)  # the last hit: the list changes, without it
    assert after is not None and after.version != before.version and [f.id for f in after.active] == ["b"]
    one.confirm(after)
    with pytest.raises(StaleFaults):
        one.consume(Fault("a", status=500, count=2), before)
    assert one.consume(Fault("a", status=500, count=2), one.reload()) is None  # no hits left
    assert [f.id for f in other.reload().active] == ["b"]
    assert [(f.id, f.count) for f in other.faults()] == [("a", 0), ("b", None)]  # still listed, as spent


def test_a_cached_list_is_found_stale_once_another_process_changes_it(registries: tuple[FaultRegistry, ...]) -> None:
    one, other = registries
    cached = other.snapshot()
    other.confirm(cached)  # nothing changed
    one.add(Fault("a", status=502))
    if other is not one:
        assert other.snapshot() == cached  # no round trip: still the cached list ...
    with pytest.raises(StaleFaults):
        other.confirm(cached)  # ... which a look at the version finds out of date
    with pytest.raises(StaleFaults):
        other.consume(Fault("a", status=502, count=1), cached)
    assert [f.id for f in other.reload().active] == ["a"]
    other.confirm(other.snapshot())


def test_faults_are_removed_one_by_one_or_all_at_once(registries: tuple[FaultRegistry, ...]) -> None:
    one, other = registries
    for name in "abc":
        one.add(Fault(name, status=502))
    assert other.remove("b") is True
    assert other.remove("b") is False
    assert [f.id for f in one.reload().active] == ["a", "c"]
    assert other.clear() == 2
    assert one.reload().active == ()
    assert one.faults() == []
