"""Instances, faults and rate-limit buckets in Redis: one mock across replicas on many hosts.

Every replica (`discard-mock serve --store redis://HOST:PORT/DB`) keeps its
state under one key prefix of one Redis, so the replicas answer as one mock.
Every write that a rule guards runs as one Lua script on the server, where
nothing can interleave: a discard's pending check and its write, a counted
fault's last hit, a rate-limit bucket's token (the bucket's clock is Redis's
TIME, so hosts whose clocks differ still share one rate). Python never reads
and then writes.

Redis being unreachable is an answer, not a hang: every socket operation
times out after half a second, nothing is retried (a retried discard whose
first reply was lost would answer 409 for its own success), and every store
call raises StoreUnavailable, which the endpoint answers as a 503 envelope.
The next call simply tries again: when Redis is back the mock works again,
and if it came back empty (restarted without persistence), the first call
re-seeds the prefix from the data file.

Keys under the prefix P:
  P instances      hash: workflowInstanceId -> the instance as JSON (with its `seq`, for order)
  P seq            the last `seq` given to an instance
  P seeded         present once the prefix was seeded from the data file
  P scratch:RANDOM a seed or reset being written; swapped in whole, or expires
  P faults         hash: fault id -> the fault as JSON (with its `seq`)
  P fault-hits     hash: fault id -> hits left, for counted faults
  P fault-version  bumped by every fault change, so replicas reload only then
  P fault-seq      the last `seq` given to a fault
  P bucket:KEY     one rate-limit bucket (tokens, updated); expires once it would be full again
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import asdict, replace
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.typing import EncodableT, FieldT

from ..domain import ConditionalUpdate, Instance
from ..faults import Fault
from ..rate_limit import RateLimit
from .interfaces import DuplicateInstance, Storage, StoreOpenError, StoreUnavailable

log = logging.getLogger("discard_mock")

DEFAULT_PREFIX = "discard-mock:"
SCHEMES = ("redis://", "rediss://")
SOCKET_TIMEOUT_SECONDS = 0.5  # connect and each reply: an unreachable Redis costs a request at most this, twice
SEED_BATCH = 5_000  # instances per round trip while seeding
SCRATCH_TTL_SECONDS = 3600

T = TypeVar("T")

# Errors that say Redis cannot serve right now (down, loading its AOF, out of memory, a
# replica that cannot write ...): the endpoint answers 503 and the next call tries again.
_UNAVAILABLE_REPLIES = ("LOADING", "MISCONF", "READONLY", "MASTERDOWN", "NOREPLICAS", "OOM", "BUSY", "TRYAGAIN")


class Unseeded(Exception):
    """The prefix holds no seeded instances: Redis lost them (a restart without persistence, a flush)."""


# Lua scripts ----------------------------------------------------------------------------
# Each runs atomically on the Redis server. Every key a script touches is passed in KEYS.

# A domain.ConditionalUpdate: the changes written if every expected field holds; the rule
# (which fields, which values) is the caller's, from domain.py.
#   KEYS: instances, seeded
#   -> {-1} the prefix is not seeded (Redis came back empty); {0} no such instance;
#      {1, record} a condition failed, nothing written; {2, record} written
_CONDITIONAL_WRITE = """
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0} end
local record = cjson.decode(raw)
for field, value in pairs(cjson.decode(ARGV[2])) do
  if record[field] ~= value then return {1, raw} end
end
for field, value in pairs(cjson.decode(ARGV[3])) do record[field] = value end
local written = cjson.encode(record)
redis.call('HSET', KEYS[1], ARGV[1], written)
return {2, written}
"""

# A new instance, after every other: 0 when the ID exists already, -1 when the prefix is not seeded, else 1.
#   KEYS: instances, seq, seeded
_ADD = """
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local record = cjson.decode(ARGV[2])
record['seq'] = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
return 1
"""

# Puts a hash filled under a scratch key in place of the instances, in one step.
#   KEYS: scratch, instances, seq, seeded; ARGV: count, only_if_unseeded ("1"/"0")
#   -> 0 when only_if_unseeded and another replica seeded first (the scratch is dropped), else 1
_INSTALL = """
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('PERSIST', KEYS[2])  -- the scratch key's expiry must not follow it
else
  redis.call('DEL', KEYS[2])
end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], '1')
return 1
"""

#   KEYS: faults, fault-hits, fault-version, fault-seq; ARGV: id, fault JSON, count ('' for none)
_ADD_FAULT = """
local doc = cjson.decode(ARGV[2])
doc['seq'] = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(doc))
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) else redis.call('HDEL', KEYS[2], ARGV[1]) end
redis.call('INCR', KEYS[3])
return 1
"""

# One hit off a counted fault: the hits left, or -1 when none was left. The last hit
# bumps the version, so every replica drops the fault from its active list.
#   KEYS: fault-hits, fault-version; ARGV: id
_CONSUME_FAULT = """
local left = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if not left or left < 1 then return -1 end
left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left == 0 then redis.call('INCR', KEYS[2]) end
return left
"""

#   KEYS: faults, fault-hits, fault-version; ARGV: id -> 1 removed, 0 no such fault
_REMOVE_FAULT = """
local found = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('INCR', KEYS[3])
return found
"""

#   KEYS: faults, fault-hits, fault-version -> how many faults there were
_CLEAR_FAULTS = """
local count = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('INCR', KEYS[3])
return count
"""

# A token bucket on Redis's clock (rate_limit.take, in Lua). The bucket expires once it
# would have refilled, since a full bucket and no bucket give the same answers.
#   KEYS: the bucket; ARGV: per_second, burst -> '' when the request may pass, else seconds to wait
_TAKE_TOKEN = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = burst
if saved[1] then
  local elapsed = math.max(0, now - tonumber(saved[2]))
  tokens = math.min(burst, tonumber(saved[1]) + elapsed * rate)
end
local wait = ''
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = string.format('%.6f', (1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.9f', tokens), 'updated', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return wait
"""


# The connection ----------------------------------------------------------------------


def describe_url(url: str) -> str:
    """The URL without its password, for messages and the health answer."""
    try:
        parts = redis.connection.parse_url(url)
    except ValueError:
        return url.split("@")[-1]
    scheme = url.split("://", 1)[0]
    if "path" in parts:
        return f"{scheme}://{parts['path']}"
    return f"{scheme}://{parts.get('host', 'localhost')}:{parts.get('port', 6379)}/{parts.get('db', 0)}"


class RedisConnection:
    """One Redis client per process (its pool reconnects after a fork), its scripts and key names.

    `run` is the one way to Redis: it turns every "cannot serve now" error into
    StoreUnavailable, and a call that finds the prefix unseeded (Redis came back
    empty) seeds it and runs again.
    """

    def __init__(self, url: str, prefix: str, seed: Iterable[Instance]) -> None:
        if not url.startswith(SCHEMES):
            raise StoreOpenError(f"store {url!r}: a Redis URL starts with redis:// or rediss://")
        self.where = describe_url(url)
        self.prefix = prefix
        no_retries = Retry(NoBackoff(), 0)
        try:
            pool = redis.ConnectionPool.from_url(
                url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
                retry=no_retries,
                retry_on_timeout=False,
                client_name="discard-mock",
            )
        except (ValueError, TypeError) as exc:
            raise StoreOpenError(f"store {self.where}: not a Redis URL redis-py accepts: {exc}") from None
        self.client = redis.Redis(connection_pool=pool, retry=no_retries)
        self._seed = list(seed)
        self._seeding = threading.Lock()
        self.conditional_write = self.client.register_script(_CONDITIONAL_WRITE)
        self.add = self.client.register_script(_ADD)
        self.install = self.client.register_script(_INSTALL)
        self.add_fault = self.client.register_script(_ADD_FAULT)
        self.consume_fault = self.client.register_script(_CONSUME_FAULT)
        self.remove_fault = self.client.register_script(_REMOVE_FAULT)
        self.clear_faults = self.client.register_script(_CLEAR_FAULTS)
        self.take_token = self.client.register_script(_TAKE_TOKEN)

    def key(self, name: str) -> str:
        return self.prefix + name

    def run(self, operation: Callable[[redis.Redis], T]) -> T:
        """`operation(client)`, with Redis's outages as StoreUnavailable.

        An operation that finds the prefix unseeded (raises Unseeded) runs once
        more after seeding it: Redis lost everything, and the data file is the start.
        """
        try:
            try:
                result = operation(self.client)
            except Unseeded:
                self.seed()
                result = operation(self.client)
        except (redis.ConnectionError, redis.TimeoutError, redis.exceptions.InvalidResponse) as exc:
            # InvalidResponse: something other than Redis answers at that address.
            raise self._unavailable(exc) from None
        except redis.ResponseError as exc:
            if not str(exc).startswith(_UNAVAILABLE_REPLIES):
                raise
            raise self._unavailable(exc) from None
        return result

    def try_connect(self) -> str | None:
        """Seeds the prefix if it is new; None, or why Redis cannot be used now (start-up goes on either way)."""
        try:
            self.run(lambda _: self.seed())
        except StoreUnavailable as exc:
            return str(exc)
        return None

    def seed(self) -> None:
        """Seeds the prefix from the data file unless it is seeded: once per prefix, whichever replica wins."""
        with self._seeding:  # one thread of this process seeds; the others wait and find it done
            if not self.client.exists(self.key("seeded")):
                self.replace_instances(self._seed, only_if_unseeded=True)

    def health(self) -> str | None:
        """None while this replica reaches Redis (a PING answers), else why not."""
        try:
            self.run(lambda client: client.ping())
        except StoreUnavailable as exc:
            return str(exc)
        return None

    def close(self) -> None:
        self.client.connection_pool.disconnect()

    def replace_instances(self, instances: Iterable[Instance], *, only_if_unseeded: bool) -> bool:
        """Fills a scratch hash in batches, then swaps it in with one script: readers never see half a reset."""
        client = self.client
        scratch = self.key(f"scratch:{secrets.token_hex(8)}")
        count = 0
        try:
            batch: dict[FieldT, EncodableT] = {}
            for instance in instances:
                count += 1
                batch[instance.workflow_instance_id] = encode(instance, count)
                if len(batch) >= SEED_BATCH:
                    self._fill(client, scratch, batch)
                    batch = {}
            if batch:
                self._fill(client, scratch, batch)
            keys = [scratch, self.key("instances"), self.key("seq"), self.key("seeded")]
            return bool(self.install(keys=keys, args=[count, "1" if only_if_unseeded else "0"]))
        except BaseException:
            with suppress(redis.RedisError):  # Redis is gone: the scratch key stays, named so nobody reads it
                client.unlink(scratch)
            raise

    @staticmethod
    def _fill(client: redis.Redis, scratch: str, batch: dict[FieldT, EncodableT]) -> None:
        """One batch into the scratch hash; it expires unless installed, so a replica dying mid-seed leaves none."""
        pipe = client.pipeline(transaction=False)
        pipe.hset(scratch, mapping=batch)
        pipe.expire(scratch, SCRATCH_TTL_SECONDS)
        pipe.execute()

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        # Idle pooled connections to a Redis that went away are dead too: drop them now,
        # so the requests after its return do not each fail once on a stale socket.
        self.client.connection_pool.disconnect(inuse_connections=False)
        why = str(exc).rstrip(".") or type(exc).__name__
        return StoreUnavailable(f"Redis at {self.where} cannot be used: {why}")


def encode(instance: Instance, seq: int | None = None) -> str:
    doc: dict[str, Any] = asdict(instance)
    if seq is not None:
        doc["seq"] = seq
    return json.dumps(doc, separators=(",", ":"))


def decode(raw: bytes | str) -> Instance:
    doc = json.loads(raw)
    doc.pop("seq", None)
    return Instance(**doc)


def _seq(raw: bytes) -> int:
    return int(json.loads(raw).get("seq", 0))


# The stores -------------------------------------------------------------------------


class RedisInstanceStore:
    """The InstanceStore protocol over one Redis hash."""

    def __init__(self, connection: RedisConnection) -> None:
        self._redis = connection
        self._instances = connection.key("instances")
        self._seeded = connection.key("seeded")

    def get(self, workflow_instance_id: str) -> Instance | None:
        raw = self._redis.run(lambda client: self._read(client, "HGET", workflow_instance_id))
        return decode(raw) if raw is not None else None

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        """One Lua script: the expected fields are checked and the new ones written with nothing in between."""
        args = [update.workflow_instance_id, json.dumps(dict(update.expect)), json.dumps(dict(update.assign))]

        def write(_: redis.Redis) -> list[Any]:
            outcome: list[Any] = self._redis.conditional_write(keys=[self._instances, self._seeded], args=args)
            if outcome[0] == -1:
                raise Unseeded
            return outcome

        outcome = self._redis.run(write)
        if outcome[0] == 0:
            return None, False
        return decode(outcome[1]), outcome[0] == 2

    def add(self, instance: Instance) -> None:
        keys = [self._instances, self._redis.key("seq"), self._seeded]

        def add(_: redis.Redis) -> int:
            added = int(self._redis.add(keys=keys, args=[instance.workflow_instance_id, encode(instance)]))
            if added == -1:
                raise Unseeded
            return added

        if not self._redis.run(add):
            raise DuplicateInstance(instance.workflow_instance_id)

    def instances(self) -> list[Instance]:
        values = self._redis.run(lambda client: self._read(client, "HVALS"))
        return [decode(raw) for raw in sorted(values, key=_seq)]

    def replace_all(self, instances: Iterable[Instance]) -> None:
        self._redis.run(lambda _: self._redis.replace_instances(instances, only_if_unseeded=False))

    def _read(self, client: redis.Redis, command: str, *args: str) -> Any:
        """One read of the instances, sent with the seeded check in one round trip."""
        pipe = client.pipeline(transaction=False)
        pipe.exists(self._seeded)
        pipe.execute_command(command, self._instances, *args)
        seeded, result = pipe.execute()
        if not seeded:
            raise Unseeded
        return result


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
            lambda _: self._redis.add_fault(
                keys=[self._faults, self._hits, self._version, self._redis.key("fault-seq")],
                args=[fault.id, json.dumps(fault.to_json()), count],
            )
        )

    def faults(self) -> list[Fault]:
        return list(self._load()[1])

    def remove(self, fault_id: str) -> bool:
        keys = [self._faults, self._hits, self._version]
        return bool(self._redis.run(lambda _: self._redis.remove_fault(keys=keys, args=[fault_id])))

    def clear(self) -> int:
        keys = [self._faults, self._hits, self._version]
        return int(self._redis.run(lambda _: self._redis.clear_faults(keys=keys)))

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
        left = self._redis.run(lambda _: self._redis.consume_fault(keys=[self._hits, self._version], args=[fault.id]))
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


class RedisBuckets:
    """The BucketStore protocol in Redis: one bucket per key for the whole fleet, on Redis's clock."""

    def __init__(self, connection: RedisConnection) -> None:
        self._redis = connection

    def take(self, key: str, limit: RateLimit, now: float) -> float | None:
        """`now` is ignored: the replicas' hosts need not agree on the time, Redis's TIME decides."""
        bucket = self._redis.key("bucket:" + key)
        wait = self._redis.run(
            lambda _: self._redis.take_token(keys=[bucket], args=[repr(limit.per_second), limit.burst])
        )
        return float(wait) if wait else None

    def clear(self) -> None:
        pattern = _glob_escape(self._redis.key("bucket:")) + "*"

        def drop(client: redis.Redis) -> None:
            batch = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    client.unlink(*batch)
                    batch = []
            if batch:
                client.unlink(*batch)

        self._redis.run(drop)


def _glob_escape(text: str) -> str:
    """A prefix as a SCAN MATCH pattern that matches only itself."""
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


def parse_prefix(prefix: str | None) -> str:
    """The key prefix: any non-empty text (it is only ever a key's start)."""
    if prefix is None:
        return DEFAULT_PREFIX
    if not prefix:
        raise StoreOpenError("--redis-prefix must not be empty: name one, e.g. discard-mock:")
    return prefix


def open_redis(url: str, prefix: str | None, seed: Iterable[Instance]) -> Storage:
    """The Redis engine: seeds an empty prefix now if Redis answers, else starts anyway (503s until it does)."""
    connection = RedisConnection(url, parse_prefix(prefix), seed)
    problem = connection.try_connect()
    if problem:
        log.warning("discard-mock: %s; the endpoint answers 503 until it can", problem)
    return Storage(
        RedisInstanceStore(connection),
        RedisFaultRegistry(connection),
        RedisBuckets(connection),
        release=connection.close,
        shared=True,
        health=connection.health,
        about={"kind": "redis", "target": connection.where, "prefix": connection.prefix},
    )
