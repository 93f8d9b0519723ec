"""Loop calls: synchronous code on the event loop's thread that waits for a reply without stopping the loop."""

from __future__ import annotations

import asyncio

import pytest
from greenlet import getcurrent

from mock_server.loop_calls import LoopCalls, in_loop_call, suspend

from ..support.helpers import run_on_own_loop


def test_a_call_that_waits_lets_the_loop_run_another_call_meanwhile() -> None:
    order: list[str] = []

    async def main() -> list[str]:
        reply: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        calls = LoopCalls()

        def waits() -> str:
            order.append("waits: sends")
            answer = suspend(reply)
            order.append(f"waits: got {answer}")
            return answer.upper()

        def answers() -> str:
            order.append("answers")
            reply.set_result("pong")
            return "done"

        return await asyncio.gather(calls.run(waits), calls.run(answers))

    assert run_on_own_loop(main) == ["PONG", "done"]
    assert order == ["waits: sends", "answers", "waits: got pong"]


def test_what_the_awaited_raises_is_raised_where_the_call_waited_and_what_the_call_raises_reaches_its_caller() -> None:
    async def main() -> tuple[str, BaseException]:
        loop = asyncio.get_running_loop()
        calls = LoopCalls()
        failed: asyncio.Future[str] = loop.create_future()
        failed.set_exception(ConnectionError("lost"))

        def handles() -> str:
            try:
                return suspend(failed)
            except ConnectionError as exc:
                return f"handled {exc}"

        def raises() -> str:
            raise LookupError("refused")

        handled = await calls.run(handles)
        with pytest.raises(LookupError) as raised:
            await calls.run(raises)
        return handled, raised.value

    handled, raised = run_on_own_loop(main)
    assert handled == "handled lost" and str(raised) == "refused"


def test_calls_one_after_another_reuse_one_greenlet_and_only_they_are_loop_calls() -> None:
    async def main() -> list[tuple[bool, object]]:
        calls = LoopCalls()

        def where() -> tuple[bool, object]:
            return in_loop_call(), getcurrent()

        return [await calls.run(where) for _ in range(3)]

    seen = run_on_own_loop(main)
    assert all(inside for inside, _ in seen)
    assert len({id(runner) for _, runner in seen}) == 1, "a new greenlet per call: 18 µs each, not 2"
    assert not in_loop_call()
    with pytest.raises(RuntimeError, match="only for code inside a loop call"):
        suspend(object())  # type: ignore[arg-type]
