"""A relay on loopback in front of a real redis-server, to fail the ways Redis and its network fail.

Modes, switched at any time:
  relay                both ways (the start)
  hang                 connections open and finish their handshake (HELLO, CLIENT SETNAME), then no command
                       is answered: a Redis that hangs
  lose_script_replies  a connection that sends a script (EVALSHA) gets no reply from then on, though Redis ran
                       it: a crash or a cut between applying a discard and answering it
  refuse               every connection is closed, new ones are closed once accepted: a Redis that went away

It counts the connections it accepted by the client name each gives in its
handshake (`CLIENT SETNAME`), so a test can tell the mock's request
connections from its probe's.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import TracebackType

CHUNK = 65536
NAME_WITHIN = 1024  # bytes of a connection's start searched for its client name


@dataclass
class _Link:
    """What the relay knows of one connection."""

    named: bool = False  # counted under its client name
    start: bytes = b""  # its first bytes from the client
    lost: bool = False  # it sent a script while replies to scripts are lost
    hung: bool = False  # it sent a command past its handshake while Redis hangs


class RedisProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode = "relay"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._names: Counter[str] = Counter()
        self._held = 0  # pieces of commands a hung Redis never saw
        self._closed = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def opened(self, client_name: str) -> int:
        """Connections accepted so far whose handshake named this client."""
        with self._lock:
            return self._names[client_name]

    def held(self) -> int:
        """How many pieces of commands were held back from Redis while it hangs (each a command or more)."""
        with self._lock:
            return self._held

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode == "refuse":
            with self._lock:
                doomed = list(self._open)
            for sock in doomed:
                _close(sock)

    def __enter__(self) -> RedisProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._closed = True
        _close(self._listener)
        self.set_mode("refuse")

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            link = _Link()
            threading.Thread(target=self._pump, args=(client, upstream, link, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, link, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, link: _Link, from_client: bool) -> None:
        with self._closing(source, target):
            while data := source.recv(CHUNK):
                mode = self.mode
                if from_client:
                    handshake = self._note(link, data)
                    link.hung = link.hung or (mode == "hang" and not handshake)
                    link.lost = link.lost or (mode == "lose_script_replies" and b"EVALSHA" in data)
                if mode == "refuse":
                    return
                if mode == "hang" and link.hung:
                    if from_client:
                        with self._lock:
                            self._held += 1
                    continue  # dropped: a hung peer
                if not from_client and link.lost and mode == "lose_script_replies":
                    continue  # dropped: a reply that never comes
                target.sendall(data)

    def _note(self, link: _Link, data: bytes) -> bool:
        """Counts the connection under its client name once the name is sent; whether `data` is its handshake."""
        if link.named:
            return False
        link.start = (link.start + data)[:NAME_WITHIN]
        for name in (b"discard-mock-probe", b"discard-mock"):
            if b"\r\n" + name + b"\r\n" in link.start:
                link.named = True
                with self._lock:
                    self._names[name.decode()] += 1
        return True

    @contextmanager
    def _closing(self, *sockets: socket.socket) -> Iterator[None]:
        try:
            with suppress(OSError):
                yield
        finally:
            with self._lock:
                self._open.difference_update(sockets)
            for sock in sockets:
                _close(sock)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()
