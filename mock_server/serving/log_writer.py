"""The mock's log handler: request threads hand their lines over, one thread writes them.

A line is logged per request. Through logging's StreamHandler each line is
a write and a flush under the handler's lock, which every request thread
takes: under load the threads queued on that lock while its holder waited
on the write, and a profile of a busy worker found a third of its request
threads' time in `Handler.acquire`. Here a request thread formats its line
and appends it to a queue, taking no lock; a writer thread, one per process,
writes what has gathered every `interval` seconds (0.05: a person reading
the log sees no delay), in one write. Warnings and errors are written at
once, and lines still pending at exit are written then (logging.shutdown
flushes every handler).

Every line passes `redact` on its way out (the control token, wherever a
client put it, never reaches the log): the handler is the log's one way out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

WRITE_INTERVAL_SECONDS = 0.05

# This process's ID, kept current across forks: os.getpid() is a system call, and a line is logged per request.
_PROCESS = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _PROCESS.__setitem__(0, os.getpid()))


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler whose lines are written in batches by a thread of its own."""

    def __init__(
        self, stream: TextIO, interval: float = WRITE_INTERVAL_SECONDS, redact: Callable[[str], str] | None = None
    ) -> None:
        """`redact(line)`: the line as written, secrets replaced; None writes lines as logged."""
        super().__init__(stream)
        self.interval = interval
        self.redact = redact
        self._pending: deque[str] = deque()  # append and popleft are atomic: no lock needed
        self._writing = threading.Lock()  # one write to the stream at a time
        self._writer_pid: int | None = None

    def handle(self, record: logging.LogRecord) -> bool:
        """As Handler.handle, without the handler-wide lock: emit only formats and queues."""
        passed = self.filter(record)
        if isinstance(passed, logging.LogRecord):  # Python 3.12+: a filter may return a new record
            record = passed
        if passed:
            self.emit(record)
        return bool(passed)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            if not line.isprintable() and isinstance(record.args, tuple):
                # What a client sent (a %0a in a path) never starts a line of its own: the arguments are
                # escaped and the line formatted again (rare: the check above is one pass in C).
                record.args = tuple(
                    one_line(arg) if isinstance(arg, str) and not arg.isprintable() else arg for arg in record.args
                )
                line = self.format(record)
            line += self.terminator
        except Exception:
            self.handleError(record)
            return
        if self.redact is not None:
            line = self.redact(line)
        if self._writer_pid != _PROCESS[0]:
            self._start_writer()
        self._pending.append(line)
        if record.levelno >= logging.WARNING:
            self.flush()

    def write_line(self, message: str, created: float) -> None:
        """Queues `message` as this handler's LineFormatter would format an INFO record of it, without one.

        For the line logged on every request (see `info_lines`): the record, the
        handler chain and the formatter were most of the cost of that line.
        """
        formatter = self.formatter
        assert isinstance(formatter, LineFormatter)
        if not message.isprintable():
            message = one_line(message)
        msecs = int((created - int(created)) * 1000)
        line = f"{formatter.stamp(created)},{msecs:03d} {message}{self.terminator}"
        if self.redact is not None:
            line = self.redact(line)
        if self._writer_pid != _PROCESS[0]:
            self._start_writer()
        self._pending.append(line)

    def flush(self) -> None:
        """Writes every pending line now, in the order they were logged."""
        with self._writing:
            lines = []
            with contextlib.suppress(IndexError):
                while True:
                    lines.append(self._pending.popleft())
            if not lines:
                return
            with contextlib.suppress(Exception):  # a closed or broken stream must never take the mock down
                self.stream.write("".join(lines))
                self.stream.flush()

    def _start_writer(self) -> None:
        with self._writing:
            if self._writer_pid == _PROCESS[0]:
                return
            # Threads do not survive the fork into workers: each worker starts its own writer. Lines still
            # pending in the parent at the fork are the parent's to write, not the child's as well.
            self._pending.clear()
            self._writer_pid = _PROCESS[0]
        threading.Thread(target=self._write_periodically, name="log-writer", daemon=True).start()

    def _write_periodically(self) -> None:
        pid = os.getpid()
        while self._writer_pid == pid:
            time.sleep(self.interval)
            self.flush()


def one_line(text: str) -> str:
    """`text` with its control characters escaped (a newline as `\\n`), so it stays on one line."""
    return text.encode("unicode_escape").decode("ascii") if text.isascii() else _escape_controls(text)


def _escape_controls(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii") for ch in text)


class LineFormatter(logging.Formatter):
    """`%(asctime)s %(message)s`, with the date and time formatted once a second, not once a line.

    Formatting the time (localtime, strftime) was a quarter of the cost of a
    request's log line.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(message)s")
        self._cached: tuple[int, str] = (-1, "")  # (second, its text), replaced whole: threads share it

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return f"{self.stamp(record.created)},{int(record.msecs):03d}"

    def stamp(self, created: float) -> str:
        """The date and time of `created`, to the second."""
        second, stamp = self._cached
        if int(created) != second:
            second = int(created)
            stamp = time.strftime(self.default_time_format, self.converter(created))
            self._cached = (second, stamp)
        return stamp


def info_lines(logger: logging.Logger) -> Callable[[str], None]:
    """`logger.info`, taking a shorter way when its lines go to one BatchedStreamHandler with a LineFormatter.

    That is how `discard-mock serve` sets logging up; anything else (another
    handler, a filter, a test capturing the log) gets `logger.info` itself.
    The setup is looked at on each call, so changing it later is honoured.
    """

    def info(message: str) -> None:
        """`message` logged at INFO as it is (no %-formatting)."""
        if not logger.isEnabledFor(logging.INFO):
            return
        handlers = logging.root.handlers
        handler = handlers[0] if len(handlers) == 1 else None
        if (
            type(handler) is BatchedStreamHandler
            and isinstance(handler.formatter, LineFormatter)
            and not handler.filters
            and handler.level <= logging.INFO
            and not logger.handlers
            and logger.propagate
            and logger.parent is logging.root
            and not logger.filters
        ):
            handler.write_line(message, time.time())
        else:
            logger.info("%s", message)

    return info
