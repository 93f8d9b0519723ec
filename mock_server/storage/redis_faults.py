"""Faults in Redis, shared by every replica: one list, counted hits consumed exactly once fleet-wide.

Every change bumps a version key, so a replica reloads the list only when
it changed: `active`, on every request, costs one GET.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import redis

from ..faults import Fault
from .redis_connection import RedisConnection


class RedisFaultRegistry:
    """The FaultRegistry protocol in Redis; `active` costs one GET while no fault changes."""

    def __init__(self, connection: RedisConnection) -> None:
        self._redis = connection
        self._faults = connection.key("faults")
        self._hits = connection.key("fault-hits")
        self._version = connection.key("fault-version")
        self._cache: tuple[bytes | None, tuple[Fault, ...]] = (b"never loaded", ())

    def add(self, fault: Fault) -> None:
        count = "" if fault.count is None else str(fault.count)
        self._redis.run(
            lambda _: self._redis.scripts.add_fault(
                keys=[self._faults, self._hits, self._version, self._redis.key("fault-seq")],
                args=[fault.id, json.dumps(fault.to_json()), count],
            ),
            writes=True,
        )

    def faults(self) -> list[Fault]:
        return list(self._load()[1])

    def remove(self, fault_id: str) -> bool:
        keys = [self._faults, self._hits, self._version]
        return bool(
            self._redis.run(lambda _: self._redis.scripts.remove_fault(keys=keys, args=[fault_id]), writes=True)
        )

    def clear(self) -> int:
        keys = [self._faults, self._hits, self._version]
        return int(self._redis.run(lambda _: self._redis.scripts.clear_faults(keys=keys), writes=True))

    def active(self) -> Sequence[Fault]:
        version = self._redis.run(lambda client: client.get(self._version))
        cached_version, cached = self._cache
        if version == cached_version:
            return cached
        version, every = self._load()
        active = tuple(f for f in every if f.count is None or f.count > 0)
        self._cache = (version, active)
        return active

    def consume(self, fault: Fault) -> bool:
        keys = [self._hits, self._version]
        left = self._redis.run(lambda _: self._redis.scripts.consume_fault(keys=keys, args=[fault.id]))
        return int(left) >= 0

    def _load(self) -> tuple[bytes | None, list[Fault]]:
        """The version and every fault (hits left as `count`), from one MULTI: one snapshot."""

        def read(client: redis.Redis) -> list[Any]:
            pipe = client.pipeline(transaction=True)
            pipe.get(self._version)
            pipe.hgetall(self._faults)
            pipe.hgetall(self._hits)
            return pipe.execute()

        version, docs, hits = self._redis.run(read)
        loaded = sorted((json.loads(raw) for raw in docs.values()), key=lambda doc: doc.get("seq", 0))
        faults = []
        for doc in loaded:
            fault = Fault.from_json(doc)
            left = hits.get(fault.id.encode())
            faults.append(replace(fault, count=int(left) if left is not None else None))
        return version, faults
