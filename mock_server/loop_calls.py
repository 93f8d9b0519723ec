"""Synchronous calls run on the server's event loop that can wait for a network reply without blocking it.

Why: the endpoint's checks are plain synchronous code, and a request that
waits on nothing runs them on the event loop's own thread (a hand-off to a
pool thread and back cost a quarter of a request). A Redis store's discard
waits for one reply; on a pool thread it paid that hand-off, and run plainly
on the loop it would stall every connection of the worker for the round trip.
A loop call runs the same code in a greenlet (as SQLAlchemy's asyncio layer
does): where it would wait, `suspend` hands the awaitable to the request's
coroutine, which awaits it on the loop and resumes the call with the result.
The loop serves other requests meanwhile, and no thread is involved.

Greenlets are reused: a new one cost 18 µs on its first switch, a reused one
2 µs a call. A loop call must never hold a thread lock across `suspend` (another
loop call on the same thread would then wait for it forever); code that
would (a reload under a lock, seeding) raises MustWait instead, before
anything is changed, and the server runs the call again on a thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from greenlet import GreenletExit, getcurrent, greenlet

T = TypeVar("T")

# What passes between a loop call's greenlet and the coroutine that runs it.
_RETURNED, _RAISED, _AWAITS, _SEND, _THROW = range(5)


class MustWait(Exception):
    """A call run where it may not wait (the server's event loop) met something it must wait for: run it
    again where it may wait (a pool thread). Whatever the call changed before raising it is carried over
    in its EndpointCall, so nothing happens twice."""


class _Runner(greenlet):
    """A greenlet that runs loop calls one after another (see LoopCalls)."""


def in_loop_call() -> bool:
    """Whether the code asking runs inside a loop call, so it may `suspend` instead of blocking."""
    return isinstance(getcurrent(), _Runner)


def suspend(awaitable: Awaitable[T]) -> T:
    """`await awaitable` from synchronous code inside a loop call: the loop serves others meanwhile."""
    runner = getcurrent()
    if not isinstance(runner, _Runner):
        raise RuntimeError("suspend() is only for code inside a loop call")
    kind, value = _parent(runner).switch((_AWAITS, awaitable))
    if kind == _THROW:
        raise value
    return value  # type: ignore[no-any-return]


class LoopCalls:
    """Runs synchronous calls on the event loop's thread, each in a greenlet that may `suspend`."""

    def __init__(self) -> None:
        self._idle: list[_Runner] = []

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)`, awaiting on the loop whatever it suspends on; its result, or what it raised."""
        runner = self._idle.pop() if self._idle else _Runner(_serve)
        kind, value = runner.switch(function, args)
        while kind == _AWAITS:
            try:
                result = await value
            except BaseException as exc:  # a cancellation too: the call sees it where it waited
                kind, value = runner.switch((_THROW, exc))
            else:
                kind, value = runner.switch((_SEND, result))
        self._idle.append(runner)
        if kind == _RAISED:
            raise value
        return value  # type: ignore[no-any-return]


def _serve(function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """A runner's life: each call's outcome to the coroutine that gave it, then the next call."""
    parent = _parent(getcurrent())
    while True:
        try:
            outcome: tuple[int, Any] = (_RETURNED, function(*args))
        except GreenletExit:  # the runner itself is being collected
            raise
        except BaseException as exc:
            outcome = (_RAISED, exc)
        function, args = parent.switch(outcome)  # an idle runner holds its last outcome until its next call


def _parent(runner: greenlet) -> greenlet:
    """The greenlet a runner gives control back to: the loop's, which started it."""
    parent = runner.parent
    assert parent is not None, "a runner is always started from the loop's greenlet"
    return parent
