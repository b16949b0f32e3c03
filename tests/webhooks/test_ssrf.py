"""The SSRF-guarded session: a private receiver is a failed attempt, never an exception."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from apiinone.net.guard import UrlGuard
from apiinone.webhooks.queries import deliveries_for_task
from tests.webhooks.conftest import Answer, Receiver, World, add_delivery, dispatcher_for

Factory = Callable[..., Awaitable[Receiver]]


@pytest.fixture
async def guarded() -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(resolver=UrlGuard().resolver())
    async with aiohttp.ClientSession(connector=connector) as s:
        yield s


async def _only_attempt(world: World) -> dict[str, object]:
    items = await deliveries_for_task(world.db, world.account_id, world.task_id)
    assert items[0]["status"] == "retrying"
    log = items[0]["attempt_log"]
    assert len(log) == 1 and log[0]["status_code"] is None and not log[0]["success"]
    return dict(log[0])


async def test_guarded_session_refuses_a_loopback_name(
    world: World, guarded: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(200), host="localhost")
    await add_delivery(world, receiver.url)
    dispatcher = dispatcher_for(world.db, guarded, schedule=[0, 60])
    assert await dispatcher.run_once() == 1
    attempt = await _only_attempt(world)
    assert "not a public address" in str(attempt["error"])
    assert receiver.received == []


async def test_guard_refuses_a_loopback_ip_literal(
    world: World, guarded: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    # aiohttp never asks the resolver about an IP literal, so the guard is checked first.
    receiver = await receiver_factory(Answer(200))
    await add_delivery(world, receiver.url)
    dispatcher = dispatcher_for(world.db, guarded, schedule=[0, 60], guard=UrlGuard())
    assert await dispatcher.run_once() == 1
    attempt = await _only_attempt(world)
    assert "loopback" in str(attempt["error"])
    assert receiver.received == []


async def test_allow_private_delivers(world: World, receiver_factory: Factory) -> None:
    receiver = await receiver_factory(Answer(200), host="localhost")
    guard = UrlGuard(allow_private=True)
    connector = aiohttp.TCPConnector(resolver=guard.resolver())
    async with aiohttp.ClientSession(connector=connector) as session:
        await add_delivery(world, receiver.url)
        dispatcher = dispatcher_for(world.db, session, guard=guard)
        assert await dispatcher.run_once() == 1
    items = await deliveries_for_task(world.db, world.account_id, world.task_id)
    assert items[0]["status"] == "delivered" and len(receiver.received) == 1
