"""One process's way to Redis: its connection pool, its scripts, and Redis's outages as StoreUnavailable.

Redis being unreachable is an answer, not a hang: every socket operation
times out after half a second, and nothing is retried (a retried discard
whose first reply was lost would answer 409 for its own success). The first
failure marks Redis down (outage.py): later calls raise StoreUnavailable at
once, without a round trip, while a probe of its own pings Redis until it
answers. If Redis came back empty (restarted without persistence), the call
that finds the prefix unseeded seeds it first.

What a failed write did is told apart: a failure while connecting (or a
refusal Redis sent) means nothing was sent or applied; a failure after the
command went out (the reply lost with the connection, or never sent in
time) means it may have been applied, and the 503 says so.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.connection import AbstractConnection, Connection, parse_url
from redis.retry import Retry
from redis.typing import EncodableT

from ..loop_calls import MustWait, in_loop_call, suspend
from . import REDIS_SCHEMES
from .interfaces import StoreOpenError, StoreUnavailable
from .outage import OutageGate
from .redis_link import LoopLinks
from .redis_scripts import Scripts

SOCKET_TIMEOUT_SECONDS = 0.5  # connect and each reply: an unreachable Redis costs a request at most this, twice
CLIENT_NAME = "discard-mock"  # as CLIENT LIST shows the requests' connections
PROBE_CLIENT_NAME = "discard-mock-probe"  # and the one that watches for Redis's return while it is down

T = TypeVar("T")

# Errors that say Redis cannot serve right now (down, loading its AOF, out of memory, a
# replica that cannot write ...): the endpoint answers 503 and the next call tries again.
# Redis sends them instead of running the command: nothing was applied.
_UNAVAILABLE_REPLIES = ("LOADING", "MISCONF", "READONLY", "MASTERDOWN", "NOREPLICAS", "OOM", "BUSY", "TRYAGAIN")


class Unseeded(Exception):
    """The prefix holds no seeded instances: Redis lost them (a restart without persistence, a flush)."""


class NotSent(redis.ConnectionError):
    """Connecting to Redis (or its handshake) failed: no command of this call reached it."""


class NotSentInTime(NotSent, redis.TimeoutError):
    """Connecting to Redis timed out: no command of this call reached it."""


def describe_url(url: str) -> str:
    """The URL without its password, for messages and the health answer."""
    try:
        parts = parse_url(url)
    except ValueError:
        return url.split("@")[-1]
    scheme = url.split("://", 1)[0]
    if "path" in parts:
        return f"{scheme}://{parts['path']}"
    return f"{scheme}://{parts.get('host', 'localhost')}:{parts.get('port', 6379)}/{parts.get('db', 0)}"


class RedisConnection:
    """One Redis client per process (its pool reconnects after a fork), its scripts and key names.

    `run` is the one way to Redis: it turns every "cannot serve now" error into
    StoreUnavailable, fails at once while Redis is known to be down, and a call
    that finds the prefix unseeded (Redis came back empty) has it seeded by
    `seed_if_unseeded` (the instance store's) and runs again.
    """

    def __init__(self, url: str, prefix: str) -> None:
        if not url.startswith(REDIS_SCHEMES):
            raise StoreOpenError(f"store {url!r}: a Redis URL starts with redis:// or rediss://")
        self.where = describe_url(url)
        self.prefix = prefix
        self.client = _client(url, self.where, CLIENT_NAME)
        self.scripts = Scripts(self.client)
        self.seed_if_unseeded: Callable[[], None] = _nothing_to_seed
        self.outage = OutageGate(self._probe)
        self._probe_client = _client(url, self.where, PROBE_CLIENT_NAME)
        self._own = threading.local()  # each thread's own connection (`command`)
        self._owned: weakref.WeakSet[Connection] = weakref.WeakSet()  # every thread's, to close them
        # Loop calls' commands go out on the event loop's own connection (redis_link.py); not over TLS, whose
        # socket asyncio cannot take over: then the server runs every call on a thread (Storage.suspends).
        self.suspends = not issubclass(self.client.connection_pool.connection_class, redis.SSLConnection)
        pool = self.client.connection_pool
        self._links = LoopLinks(lambda: cast(Connection, pool.make_connection()), SOCKET_TIMEOUT_SECONDS, self.where)

    def key(self, name: str) -> str:
        return self.prefix + name

    def run(self, operation: Callable[[redis.Redis], T], *, writes: bool = False) -> T:
        """`operation(client)`, with Redis's outages as StoreUnavailable.

        `writes`: the operation changes state, so a failure once it was sent leaves its outcome
        unknown (StoreUnavailable.may_have_applied). An operation that finds the prefix unseeded
        (raises Unseeded) runs once more after seeding it: Redis lost everything, and the data
        file is the start.
        """
        self.outage.check()
        client = self.client if not in_loop_call() else _THREADS_ONLY
        try:
            try:
                result = operation(client)
            except Unseeded:
                if client is _THREADS_ONLY:  # seeding takes a lock and many round trips: not on the loop
                    raise MustWait from None
                self.seed_if_unseeded()
                result = operation(client)
        except (redis.ConnectionError, redis.TimeoutError, redis.exceptions.InvalidResponse) as exc:
            # InvalidResponse: something other than Redis answers at that address.
            error = self._unavailable(exc, may_have_applied=writes and not isinstance(exc, NotSent))
            self.outage.failed(error)
            raise error from None
        except redis.ResponseError as exc:
            if not str(exc).startswith(_UNAVAILABLE_REPLIES):
                raise
            error = self._unavailable(exc)
            self.outage.failed(error)
            raise error from None
        return result

    def command(self, *args: EncodableT) -> Any:
        """One command and its reply, on this thread's own connection; call it inside `run`.

        Why not the client: for each command, redis-py's client checks a connection out of its
        pool and back in, and dispatches events and metrics around it: the discard's script took
        106-131 µs of user CPU through the client, 49-53 µs here (bench/README.md). The discard's
        path sends its few commands here. The connection has the pool's settings (timeouts,
        TLS, `NotSent` on a failure to connect) and drops its socket on any error, as the pool's do.
        In a loop call, the command goes out on the event loop's connection and the call suspends
        until its reply (MustWait while that connection is being made).
        """
        if in_loop_call():
            return suspend(self._links.current().send(args))
        pool = self.client.connection_pool
        connection: Connection | None = getattr(self._own, "connection", None)
        if connection is None:
            connection = self._own.connection = cast(Connection, pool.make_connection())
            self._owned.add(connection)
        pool.ensure_connection(connection)  # as the pool readies what it hands out: a socket Redis closed is replaced
        connection.send_command(*args)
        return connection.read_response()

    def script(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """`script` run by its SHA with `command`; loaded first when Redis does not have it (it restarted)."""
        try:
            return self.command("EVALSHA", script.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            self.command("SCRIPT", "LOAD", script.script)
            return self.command("EVALSHA", script.sha, len(keys), *keys, *args)

    def health(self) -> str | None:
        """None while this replica reaches Redis (a PING answers), else why not."""
        try:
            self.run(lambda client: client.ping())
        except StoreUnavailable as exc:
            return str(exc)
        return None

    def close(self) -> None:
        """Drops every connection, the threads' own too, and what the outage gate knew (before a fork: each
        worker connects and finds out anew)."""
        self.outage.reset()
        self.client.connection_pool.disconnect()
        self._probe_client.connection_pool.disconnect()
        for connection in list(self._owned):
            connection.disconnect()
        self._links.close()

    def _probe(self) -> None:
        """One PING on the probe's own connection; StoreUnavailable while Redis does not answer it."""
        try:
            self._probe_client.ping()
        except redis.RedisError as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: Exception, *, may_have_applied: bool = False) -> StoreUnavailable:
        # Idle pooled connections to a Redis that went away are dead too: drop them now,
        # so the requests after its return do not each fail once on a stale socket.
        self.client.connection_pool.disconnect(inuse_connections=False)
        why = str(exc).rstrip(".") or type(exc).__name__
        return StoreUnavailable(f"Redis at {self.where} cannot be used: {why}", may_have_applied=may_have_applied)


class _ThreadsOnly:
    """What a loop call's operation gets for a client: any use of it must happen on a thread (MustWait).

    redis-py's client blocks its thread until Redis replies, and the loop's thread must never block;
    the discard's path needs only `RedisConnection.command`, which suspends instead.
    """

    def __getattr__(self, name: str) -> Any:
        raise MustWait


_THREADS_ONLY = cast(redis.Redis, _ThreadsOnly())


def _client(url: str, where: str, name: str) -> redis.Redis:
    """A client whose every socket operation times out after SOCKET_TIMEOUT_SECONDS and is never retried."""
    no_retries = Retry(NoBackoff(), 0)
    try:
        connection_class = _marking_connect_failures(parse_url(url).get("connection_class", redis.Connection))
        pool = redis.ConnectionPool.from_url(
            url,
            connection_class=connection_class,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            retry=no_retries,
            retry_on_timeout=False,
            client_name=name,
        )
    except (ValueError, TypeError) as exc:
        raise StoreOpenError(f"store {where}: not a Redis URL redis-py accepts: {exc}") from None
    return redis.Redis(connection_pool=pool, retry=no_retries)


def _marking_connect_failures(base: type[AbstractConnection]) -> type[AbstractConnection]:
    """`base` (plain, TLS or Unix socket), raising NotSent for a failure before any command was sent.

    Every command goes out through `connect_check_health` first when its connection is not
    open yet (redis-py 8; `connect` in earlier versions), so what fails there never sent one.
    """

    def connect(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super(marking, self).connect(*args, **kwargs)
        except NotSent:
            raise
        except (redis.TimeoutError, redis.ConnectionError) as exc:
            raise _not_sent(exc) from exc

    def connect_check_health(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super(marking, self).connect_check_health(*args, **kwargs)
        except NotSent:
            raise
        except (redis.TimeoutError, redis.ConnectionError) as exc:
            raise _not_sent(exc) from exc

    methods: dict[str, Any] = {"connect": connect, "__doc__": _marking_connect_failures.__doc__}
    if hasattr(base, "connect_check_health"):
        methods["connect_check_health"] = connect_check_health
    marking: type[AbstractConnection] = type(f"Marking{base.__name__}", (base,), methods)
    return marking


def _not_sent(exc: redis.RedisError) -> NotSent:
    """What a failure to connect is raised as. (A try in each method, not a context manager: `connect`
    runs before every command the discard sends, and a context manager's generator cost as much as a
    tenth of sending one.)"""
    if isinstance(exc, redis.TimeoutError):
        return NotSentInTime(str(exc))
    return NotSent(str(exc))


def _nothing_to_seed() -> None:
    """Until an instance store takes the connection, an unseeded prefix is left as it is."""
