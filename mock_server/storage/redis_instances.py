"""Instances in one Redis hash under the prefix, seeded from the data file once per prefix.

A discard is one Lua script (redis_scripts.CONDITIONAL_WRITE): the expected
fields are checked and the new ones written with nothing in between, whichever
replica sends it, and only while the fault list is at the version the replica
decided the request's faults from: one round trip a discard. Seeding and resets fill a scratch hash in batches and swap
it in with one script, so no reader ever sees half a reset; a prefix found
empty (Redis restarted without persistence) is seeded again by the first call.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import asdict
from typing import Any

import orjson
import redis
from redis.typing import EncodableT, FieldT

from ..domain import ConditionalUpdate, Instance, instance_of
from .interfaces import DuplicateInstance, FaultSnapshot, InstanceLimitReached, StaleFaults
from .redis_connection import RedisConnection, Unseeded
from .redis_faults import VERSION_KEY, version_of

SEED_BATCH = 5_000  # instances per round trip while seeding
SCRATCH_TTL_SECONDS = 3600


def encode(instance: Instance, seq: int | None = None) -> str:
    doc: dict[str, Any] = asdict(instance)
    if seq is not None:
        doc["seq"] = seq
    return json.dumps(doc, separators=(",", ":"))


def decode(raw: bytes | str) -> Instance:
    """An instance as `encode` wrote it (and the scripts rewrote it); read by orjson, a discard's answer reads one."""
    doc = orjson.loads(raw)
    doc.pop("seq", None)
    return instance_of(**doc)


def _seq(raw: bytes) -> int:
    return int(json.loads(raw).get("seq", 0))


class RedisInstanceStore:
    """The InstanceStore protocol over one Redis hash; it seeds the prefix for the connection when it is empty."""

    def __init__(self, connection: RedisConnection, seed: Iterable[Instance] = ()) -> None:
        self._redis = connection
        self._instances = connection.key("instances")
        self._seeded = connection.key("seeded")
        self._added = connection.key("added")
        self._fault_version = connection.key(VERSION_KEY)
        self._seed = list(seed)
        self._seeding = threading.Lock()
        connection.seed_if_unseeded = self.seed_if_unseeded

    def get(self, workflow_instance_id: str) -> Instance | None:
        raw = self._redis.run(lambda client: self._read(client, "HGET", workflow_instance_id))
        return decode(raw) if raw is not None else None

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        """One Lua script: the expected fields are checked and the new ones written with nothing in between."""
        return self._write(update, ())

    def update_if_faults(self, update: ConditionalUpdate, faults: FaultSnapshot) -> tuple[Instance | None, bool]:
        """The same script, which also checks the fault list's version: still one round trip."""
        return self._write(update, (version_of(faults),))

    def _write(self, update: ConditionalUpdate, fault_version: tuple[bytes, ...]) -> tuple[Instance | None, bool]:
        keys = [self._instances, self._seeded, self._fault_version]
        args: list[str | bytes] = [update.workflow_instance_id, orjson.dumps(dict(update.expect))]
        args += [orjson.dumps(dict(update.assign)), *fault_version]

        def write(_: redis.Redis) -> list[Any]:
            outcome: list[Any] = self._redis.script(self._redis.scripts.conditional_write, keys, args)
            if outcome[0] == -1:
                raise Unseeded
            return outcome

        outcome = self._redis.run(write, writes=True)
        if outcome[0] == -2:
            raise StaleFaults
        if outcome[0] == 0:
            return None, False
        return decode(outcome[1]), outcome[0] == 2

    def add(self, instance: Instance, limit: int | None = None) -> None:
        keys = [self._instances, self._redis.key("seq"), self._seeded, self._added]
        args = [instance.workflow_instance_id, encode(instance), "" if limit is None else str(limit)]

        def add(_: redis.Redis) -> int:
            added = int(self._redis.scripts.add(keys=keys, args=args))
            if added == -1:
                raise Unseeded
            return added

        outcome = self._redis.run(add, writes=True)
        if outcome == -2:
            raise InstanceLimitReached(limit or 0)
        if outcome == 0:
            raise DuplicateInstance(instance.workflow_instance_id)

    def instances(self) -> list[Instance]:
        values = self._redis.run(lambda client: self._read(client, "HVALS"))
        return [decode(raw) for raw in sorted(values, key=_seq)]

    def replace_all(self, instances: Iterable[Instance]) -> None:
        self._redis.run(lambda _: self._replace(instances, only_if_unseeded=False), writes=True)

    def seed_if_unseeded(self) -> None:
        """Seeds the prefix from the data file unless it is seeded: once per prefix, whichever replica wins."""
        with self._seeding:  # one thread of this process seeds; the others wait and find it done
            if not self._redis.client.exists(self._seeded):
                self._replace(self._seed, only_if_unseeded=True)

    def _read(self, client: redis.Redis, command: str, *args: str) -> Any:
        """One read of the instances, sent with the seeded check in one round trip."""
        pipe = client.pipeline(transaction=False)
        pipe.exists(self._seeded)
        pipe.execute_command(command, self._instances, *args)
        seeded, result = pipe.execute()
        if not seeded:
            raise Unseeded
        return result

    def _replace(self, instances: Iterable[Instance], *, only_if_unseeded: bool) -> bool:
        """Fills a scratch hash in batches, then swaps it in with one script: readers never see half a reset."""
        client = self._redis.client
        scratch = self._redis.key(f"scratch:{secrets.token_hex(8)}")
        count = 0
        try:
            batch: dict[FieldT, EncodableT] = {}
            for instance in instances:
                count += 1
                batch[instance.workflow_instance_id] = encode(instance, count)
                if len(batch) >= SEED_BATCH:
                    _fill(client, scratch, batch)
                    batch = {}
            if batch:
                _fill(client, scratch, batch)
            keys = [scratch, self._instances, self._redis.key("seq"), self._seeded, self._added]
            return bool(self._redis.scripts.install(keys=keys, args=[count, "1" if only_if_unseeded else "0"]))
        except BaseException:
            with suppress(redis.RedisError):  # Redis is gone: the scratch key stays, named so nobody reads it
                client.unlink(scratch)
            raise


def _fill(client: redis.Redis, scratch: str, batch: dict[FieldT, EncodableT]) -> None:
    """One batch into the scratch hash; it expires unless installed, so a replica dying mid-seed leaves none."""
    pipe = client.pipeline(transaction=False)
    pipe.hset(scratch, mapping=batch)
    pipe.expire(scratch, SCRATCH_TTL_SECONDS)
    pipe.execute()
