"""The relay between an upstream stream and the client: chunks in order, IDLE while the
upstream is silent, what is at hand without waiting, and one shared timer for every waiting
reader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from apiinone.chat.relay import END, IDLE, IdleWatch, Relay
from apiinone.providers.chat import UpstreamFailure


async def upstream(gate: asyncio.Event, fail: bool = False) -> AsyncIterator[dict[str, Any]]:
    yield {"n": 1}
    await gate.wait()  # silent until the test opens the gate
    yield {"n": 2}
    if fail:
        raise UpstreamFailure("broke")


async def test_a_silent_upstream_gives_idle_then_the_chunks_in_order() -> None:
    gate = asyncio.Event()
    relay = Relay(upstream(gate))
    assert await relay.next(0.05) == {"n": 1}
    assert await relay.next(0.05) is IDLE
    assert await relay.next(0.05) is IDLE
    gate.set()
    assert await relay.next(5) == {"n": 2}
    assert await relay.next(5) is END
    assert len(IdleWatch.of(asyncio.get_running_loop())) == 0


async def test_an_upstream_error_comes_after_the_chunks_before_it() -> None:
    gate = asyncio.Event()
    gate.set()
    relay = Relay(upstream(gate, fail=True))
    assert [await relay.next(5), await relay.next(5)] == [{"n": 1}, {"n": 2}]
    with pytest.raises(UpstreamFailure, match="broke"):
        await relay.next(5)


async def test_ready_gives_what_is_at_hand_without_waiting() -> None:
    gate = asyncio.Event()
    relay = Relay(upstream(gate, fail=True))
    assert relay.ready() is None  # the reading task has not run yet
    assert await relay.next(5) == {"n": 1}
    assert relay.ready() is None  # the upstream is silent: nothing at hand, nobody waits
    assert len(IdleWatch.of(asyncio.get_running_loop())) == 0
    gate.set()
    await asyncio.sleep(0.01)  # the second chunk and the error arrive together
    assert relay.ready() == {"n": 2}
    with pytest.raises(UpstreamFailure, match="broke"):
        relay.ready()


async def test_many_waiting_readers_share_one_watch_and_leave_it_empty() -> None:
    gates = [asyncio.Event() for _ in range(200)]
    relays = [Relay(upstream(gate)) for gate in gates]
    for relay in relays:
        assert await relay.next(30) == {"n": 1}
    watch = IdleWatch.of(asyncio.get_running_loop())
    waiting = [asyncio.ensure_future(relay.next(30)) for relay in relays]
    await asyncio.sleep(0.05)
    assert len(watch) == 200  # every reader waits; none has its own timer
    for gate in gates:
        gate.set()
    assert await asyncio.gather(*waiting) == [{"n": 2}] * 200
    assert len(watch) == 0


async def test_a_stopped_relay_leaves_no_reader_waiting() -> None:
    gate = asyncio.Event()
    relay = Relay(upstream(gate))
    assert await relay.next(30) == {"n": 1}
    reader = asyncio.ensure_future(relay.next(30))
    await asyncio.sleep(0.01)
    reader.cancel()
    await relay.stop()
    assert relay.task.done()
    assert len(IdleWatch.of(asyncio.get_running_loop())) == 0
