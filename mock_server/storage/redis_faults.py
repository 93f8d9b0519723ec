"""Faults in Redis, shared by every replica: one list, counted hits consumed exactly once fleet-wide.

Every change sets the list's version to a new token. Each replica caches the
list with its version and decides a request's faults from the cache, with no
round trip; the discard's script (redis_instances.py) writes only while the
version is still the cached one, and a request that ends before the store
confirms it with one GET. A replica whose cache went out of date finds out on
that same round trip, reloads, and runs the request's checks again.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import replace
from typing import Any

import redis

from ..faults import Fault
from .interfaces import FaultSnapshot, StaleFaults
from .redis_connection import RedisConnection

VERSION_KEY = "fault-version"  # the list's version, under the prefix; the discard script checks it too


def version_of(faults: FaultSnapshot) -> bytes:
    """A snapshot's version as the scripts compare it (the GET reply, b'' for a list never changed)."""
    version = faults.version
    return version if isinstance(version, bytes) else b""


class RedisFaultRegistry:
    """The FaultRegistry protocol in Redis; `snapshot` is this replica's cache, read without a round trip."""

    def __init__(self, connection: RedisConnection) -> None:
        self._redis = connection
        self._faults = connection.key("faults")
        self._hits = connection.key("fault-hits")
        self._version = connection.key(VERSION_KEY)
        self._cache: FaultSnapshot | None = None
        self._loading = threading.Lock()

    def add(self, fault: Fault) -> None:
        count = "" if fault.count is None else str(fault.count)
        keys = [self._faults, self._hits, self._version, self._redis.key("fault-seq")]
        args = [fault.id, json.dumps(fault.to_json()), count, _token()]
        self._redis.run(lambda _: self._redis.scripts.add_fault(keys=keys, args=args), writes=True)

    def faults(self) -> list[Fault]:
        return list(self._load()[1])

    def remove(self, fault_id: str) -> bool:
        keys = [self._faults, self._hits, self._version]
        args = [fault_id, _token()]
        return bool(self._redis.run(lambda _: self._redis.scripts.remove_fault(keys=keys, args=args), writes=True))

    def clear(self) -> int:
        keys = [self._faults, self._hits, self._version]
        return int(self._redis.run(lambda _: self._redis.scripts.clear_faults(keys=keys, args=[_token()]), writes=True))

    def snapshot(self) -> FaultSnapshot:
        cached = self._cache
        return cached if cached is not None else self.reload()

    def reload(self) -> FaultSnapshot:
        with self._loading:  # one load at a time: threads that found the cache stale at once share it
            version, every = self._load()
            cached = self._cache
            if cached is None or cached.version != version:
                cached = self._cache = FaultSnapshot(version, tuple(f for f in every if f.count != 0))
            return cached

    def confirm(self, faults: FaultSnapshot) -> None:
        if (self._redis.run(lambda _: self._redis.command("GET", self._version)) or b"") != version_of(faults):
            raise StaleFaults

    def consume(self, fault: Fault, faults: FaultSnapshot) -> FaultSnapshot | None:
        keys = [self._hits, self._version]
        token = _token()
        args: list[str | bytes] = [fault.id, version_of(faults), token]
        left = int(self._redis.run(lambda _: self._redis.script(self._redis.scripts.consume_fault, keys, args)))
        if left == -2:
            raise StaleFaults
        if left < 0:
            return None
        if left > 0:
            return faults
        after = faults.spent(fault, token.encode())
        if self._cache == faults:
            self._cache = after
        return after

    def _load(self) -> tuple[bytes, list[Fault]]:
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
        return version or b"", faults


def _token() -> str:
    """A new version for the list: random, so no two changes (even across a Redis that lost its data) share one."""
    return secrets.token_hex(8)
