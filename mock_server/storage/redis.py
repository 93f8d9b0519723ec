"""The Redis engine: instances, faults and rate-limit buckets in one Redis, one mock across replicas on many hosts.

Every replica (`discard-mock serve --store redis://HOST:PORT/DB`) keeps its
state under one key prefix of one Redis, so the replicas answer as one mock.
Every write that a rule guards runs as one Lua script on the server
(redis_scripts.py); a counted fault's last hit and a rate-limit bucket's
token too (the bucket's clock is Redis's TIME, so hosts whose clocks differ
still share one rate). Redis down is a 503, not a hang (redis_connection.py).

  redis_connection.py  the pool, the scripts, outages as StoreUnavailable
  redis_scripts.py     the Lua scripts
  redis_instances.py   the instance store, and seeding the prefix from the data file
  redis_faults.py      the fault registry
  redis_buckets.py     the rate-limit buckets

Keys under the prefix P:
  P instances      hash: workflowInstanceId -> the instance as JSON (with its `seq`, for order)
  P seq            the last `seq` given to an instance
  P seeded         present once the prefix was seeded from the data file
  P added          instances added since the prefix was seeded or reset (what --max-instances bounds)
  P scratch:RANDOM a seed or reset being written; swapped in whole, or expires
  P faults         hash: fault id -> the fault as JSON (with its `seq`)
  P fault-hits     hash: fault id -> hits left, for counted faults
  P fault-version  a new token at every fault change; a discard writes only while it is the cached one
  P fault-seq      the last `seq` given to a fault
  P bucket:KEY     one rate-limit bucket (tokens, updated); expires once it would be full again
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from ..domain import Instance
from .interfaces import Storage, StoreOpenError, StoreUnavailable
from .redis_buckets import RedisBuckets
from .redis_connection import RedisConnection
from .redis_faults import RedisFaultRegistry
from .redis_instances import RedisInstanceStore

DEFAULT_PREFIX = "discard-mock:"


def parse_prefix(prefix: str | None) -> str:
    """The key prefix: any non-empty text (it is only ever a key's start)."""
    if prefix is None:
        return DEFAULT_PREFIX
    if not prefix:
        raise StoreOpenError("--redis-prefix must not be empty: name one, e.g. discard-mock:")
    return prefix


def open_redis(url: str, prefix: str | None, seed: Iterable[Instance]) -> Storage:
    """The Redis engine: seeds an empty prefix now if Redis answers, else starts anyway (503s until it does)."""
    connection = RedisConnection(url, parse_prefix(prefix))
    instances = RedisInstanceStore(connection, seed)
    with suppress(StoreUnavailable):  # Redis down at start-up: the outage gate has said so, and 503s until it is back
        connection.run(lambda _: instances.seed_if_unseeded())
    return Storage(
        instances,
        RedisFaultRegistry(connection),
        RedisBuckets(connection),
        release=connection.close,
        shared=True,
        health=connection.health,
        suspends=connection.suspends,
        about={"kind": "redis", "target": connection.where, "prefix": connection.prefix},
    )
