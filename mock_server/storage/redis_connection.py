"""One process's way to Redis: its connection pool, its scripts, and Redis's outages as StoreUnavailable.

Redis being unreachable is an answer, not a hang: every socket operation
times out after half a second, nothing is retried (a retried discard whose
first reply was lost would answer 409 for its own success), and every store
call raises StoreUnavailable, which the endpoint answers as a 503 envelope.
The next call simply tries again: when Redis is back the mock works again,
and if it came back empty (restarted without persistence), the call that
finds the prefix unseeded seeds it first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import REDIS_SCHEMES
from .interfaces import StoreOpenError, StoreUnavailable
from .redis_scripts import Scripts

SOCKET_TIMEOUT_SECONDS = 0.5  # connect and each reply: an unreachable Redis costs a request at most this, twice

T = TypeVar("T")

# Errors that say Redis cannot serve right now (down, loading its AOF, out of memory, a
# replica that cannot write ...): the endpoint answers 503 and the next call tries again.
_UNAVAILABLE_REPLIES = ("LOADING", "MISCONF", "READONLY", "MASTERDOWN", "NOREPLICAS", "OOM", "BUSY", "TRYAGAIN")


class Unseeded(Exception):
    """The prefix holds no seeded instances: Redis lost them (a restart without persistence, a flush)."""


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
    empty) has it seeded by `seed_if_unseeded` (the instance store's) and runs again.
    """

    def __init__(self, url: str, prefix: str) -> None:
        if not url.startswith(REDIS_SCHEMES):
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
        self.scripts = Scripts(self.client)
        self.seed_if_unseeded: Callable[[], None] = _nothing_to_seed

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
                self.seed_if_unseeded()
                result = operation(self.client)
        except (redis.ConnectionError, redis.TimeoutError, redis.exceptions.InvalidResponse) as exc:
            # InvalidResponse: something other than Redis answers at that address.
            raise self._unavailable(exc) from None
        except redis.ResponseError as exc:
            if not str(exc).startswith(_UNAVAILABLE_REPLIES):
                raise
            raise self._unavailable(exc) from None
        return result

    def health(self) -> str | None:
        """None while this replica reaches Redis (a PING answers), else why not."""
        try:
            self.run(lambda client: client.ping())
        except StoreUnavailable as exc:
            return str(exc)
        return None

    def close(self) -> None:
        self.client.connection_pool.disconnect()

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        # Idle pooled connections to a Redis that went away are dead too: drop them now,
        # so the requests after its return do not each fail once on a stale socket.
        self.client.connection_pool.disconnect(inuse_connections=False)
        why = str(exc).rstrip(".") or type(exc).__name__
        return StoreUnavailable(f"Redis at {self.where} cannot be used: {why}")


def _nothing_to_seed() -> None:
    """Until an instance store takes the connection, an unseeded prefix is left as it is."""
