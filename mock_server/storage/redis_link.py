"""A worker's connection to Redis on its event loop: every loop call's commands pipelined on it, replies in order.

Why not redis-py's asyncio client: it reads each reply through a stream
reader and lends a connection from a pool per command, 125-145 µs of CPU an
EVALSHA in a loop (bench/README.md), more than a whole discard. Here the
connection is made and greeted by redis-py itself (AUTH, SELECT, the client
name: the same pool settings as every other connection), on a thread, and
its socket then handed to the loop; commands are packed by hiredis and the
replies parsed by hiredis, with redis-py's error classes. Redis answers the
commands of one connection in the order they came, so each reply settles
the oldest command waiting.

A reply not received within the socket timeout drops the connection: every
command still waiting on it fails with a TimeoutError (it went out, so it
may have been applied), as a pool connection's read would time out.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import socket
from collections.abc import Callable
from typing import Any, cast

import hiredis
import redis
from redis._parsers.base import BaseParser  # redis-py's mapping of Redis's error replies to its exceptions
from redis.connection import Connection

from ..loop_calls import MustWait

log = logging.getLogger("discard_mock")


class RedisLink(asyncio.Protocol):
    """One Redis connection on an event loop; `send` a command, await its reply."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float, where: str) -> None:
        self.loop = loop
        self.timeout = timeout
        self.where = where
        self.lost: Exception | None = None  # why the connection ended; a lost link is never used again
        self._transport: asyncio.Transport | None = None
        self._reader = hiredis.Reader(protocolError=redis.exceptions.InvalidResponse, replyError=BaseParser.parse_error)
        self._waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self._watch: asyncio.TimerHandle | None = None

    @classmethod
    async def open(cls, make: Callable[[], Connection], timeout: float, where: str) -> RedisLink:
        """A link on the running loop over a connection `make()` gives, connected and greeted on a thread."""
        loop = asyncio.get_running_loop()
        connection = make()
        await loop.run_in_executor(None, connection.connect)
        sock = cast(socket.socket, connection._sock)  # redis-py keeps the greeted socket here; the link takes it
        connection._sock = None
        sock.setblocking(False)
        link = cls(loop, timeout, where)
        await loop.create_connection(lambda: link, sock=sock)
        return link

    @property
    def usable(self) -> bool:
        return self._transport is not None and self.lost is None

    def send(self, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """Sends one command; the future settles with its reply (a ResponseError set as its exception)."""
        assert self._transport is not None
        future = self.loop.create_future()
        deadline = self.loop.time() + self.timeout
        self._waiting.append((future, deadline))
        self._transport.write(hiredis.pack_command(args))
        if self._watch is None:
            self._watch = self.loop.call_at(deadline, self._check_deadline)
        return future

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    # asyncio.Protocol --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        waiting = self._waiting
        while True:
            try:
                reply = reader.gets()
            except redis.exceptions.InvalidResponse as exc:  # not Redis's protocol: something else answers there
                self._drop(exc)
                return
            if reply is False:
                return
            if isinstance(reply, hiredis.PushNotification):  # RESP3's out-of-band messages answer no command
                continue
            if not waiting:
                self._drop(redis.exceptions.InvalidResponse(f"Redis at {self.where} sent a reply nobody asked for"))
                return
            future = waiting.popleft()[0]
            if future.done():  # its request was cancelled
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._drop(redis.ConnectionError(f"Connection to Redis at {self.where} closed: {exc or 'by Redis'}"))

    # The deadline ------------------------------------------------------------

    def _check_deadline(self) -> None:
        """The oldest command's reply is due: drop the connection if it is late, else watch the next."""
        self._watch = None
        if not self._waiting:
            return
        deadline = self._waiting[0][1]
        if self.loop.time() >= deadline:
            self._drop(redis.TimeoutError(f"Timeout reading from Redis at {self.where}"))
            return
        self._watch = self.loop.call_at(deadline, self._check_deadline)

    def _drop(self, why: Exception) -> None:
        """Ends the link: every command still waiting fails with `why` (they went out: may have been applied)."""
        if self.lost is None:
            self.lost = why
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        waiting, self._waiting = self._waiting, collections.deque()
        for future, _ in waiting:
            if not future.done():
                future.set_exception(type(why)(str(why)))
        if self._transport is not None:
            self._transport.abort()


class LoopLinks:
    """A process's RedisLink on its event loop, opened on demand: MustWait while there is none.

    The link is opened on a thread (connecting may take up to the socket timeout: the loop never waits
    for it), and the calls meanwhile run on threads. A lost one is replaced the same way; one that
    cannot be made for a reason other than Redis (a redis-py that keeps its socket elsewhere) is given
    up, said once in the log, and the calls stay on threads.
    """

    def __init__(self, make: Callable[[], Connection], timeout: float, where: str) -> None:
        self._make = make
        self._timeout = timeout
        self._where = where
        self._link: RedisLink | None = None
        self._opening: asyncio.Task[None] | None = None
        self._given_up = False

    def current(self) -> RedisLink:
        """The running loop's usable link; MustWait (one being opened) when there is none."""
        link = self._link
        if link is not None and link.usable and link.loop is asyncio.get_running_loop():
            return link
        if not self._given_up and (self._opening is None or self._opening.done()):
            self._opening = asyncio.get_running_loop().create_task(self._open())
        raise MustWait

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    async def _open(self) -> None:
        try:
            self._link = await RedisLink.open(self._make, self._timeout, self._where)
        except (redis.RedisError, OSError):
            pass  # Redis cannot be reached: the calls meet that on their threads, and the outage gate says so
        except Exception as exc:
            self._given_up = True
            log.warning("discard-mock: Redis calls stay on threads; the event loop's connection failed: %r", exc)
