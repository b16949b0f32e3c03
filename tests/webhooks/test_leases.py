"""Crash safety: expired leases are taken over; concurrent dispatchers deliver once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from sqlalchemy import select, update

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import webhook_deliveries
from apiinone.webhooks.queries import deliveries_for_task
from tests.webhooks.conftest import Answer, Receiver, World, add_delivery, dispatcher_for

Factory = Callable[..., Awaitable[Receiver]]


async def _set_lease(world: World, delivery_id: str, lease_until: int) -> None:
    async with world.db.write() as conn:
        await conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(status="retrying", attempts=1, lease_until=lease_until)
        )


async def test_expired_lease_of_a_dead_dispatcher_is_taken_over(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(200))
    delivery_id = await add_delivery(world, receiver.url)
    dispatcher = dispatcher_for(world.db, session)

    await _set_lease(world, delivery_id, now_ms() + 30_000)  # a live dispatcher holds it
    assert await dispatcher.run_once() == 0
    assert receiver.received == []

    await _set_lease(world, delivery_id, now_ms() - 1)  # its holder died
    assert await dispatcher.run_once() == 1
    items = await deliveries_for_task(world.db, world.account_id, world.task_id)
    assert items[0]["status"] == "delivered" and items[0]["attempts"] == 2
    assert [a["attempt"] for a in items[0]["attempt_log"]] == [2]
    assert receiver.received[0].headers["webhook-id"] == delivery_id


async def test_concurrent_dispatchers_deliver_each_once(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory, tmp_path: Path
) -> None:
    receiver = await receiver_factory(Answer(200, delay=0.05))
    ids = {await add_delivery(world, receiver.url) for _ in range(5)}
    # A second engine on the same file, as another process would have.
    other_db = Database(world.db.url)
    try:
        first = dispatcher_for(world.db, session)
        second = dispatcher_for(other_db, session)
        counts = await asyncio.gather(first.run_once(), second.run_once(), first.run_once())
    finally:
        await other_db.dispose()
    assert sum(counts) == 5
    assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(ids)
    async with world.db.read() as conn:
        statuses = (await conn.execute(select(webhook_deliveries.c.status))).scalars().all()
    assert set(statuses) == {"delivered"}


async def test_stopping_run_gives_the_lease_back(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(200, delay=5.0))
    delivery_id = await add_delivery(world, receiver.url)
    dispatcher = dispatcher_for(world.db, session)
    stop = asyncio.Event()
    loop = asyncio.create_task(dispatcher.run(stop))
    dispatcher.wake()
    for _ in range(200):
        if receiver.received:
            break
        await asyncio.sleep(0.01)
    assert receiver.received
    stop.set()
    await asyncio.wait_for(loop, 2)
    async with world.db.read() as conn:
        row = (
            await conn.execute(
                select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
            )
        ).one()
    assert row.status == "pending" and row.lease_until is None and row.attempts == 0


async def test_next_due_waits_for_a_held_lease_and_the_first_delay(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    from apiinone.webhooks.deliveries import next_due_at

    receiver = await receiver_factory(Answer(200))
    delivery_id = await add_delivery(world, receiver.url)
    async with world.db.read() as conn:
        created = (
            await conn.execute(
                select(webhook_deliveries.c.next_attempt_at).where(
                    webhook_deliveries.c.id == delivery_id
                )
            )
        ).scalar_one()
    assert await next_due_at(world.db) == created
    assert await next_due_at(world.db, first_delay_ms=300) == created + 300

    # schedule[0] delays the first attempt (30 s: never over on a loaded machine); then the
    # row is moved 31 s into the past instead of waiting.
    dispatcher = dispatcher_for(world.db, session, schedule=[30.0, 0.05])
    assert await dispatcher.run_once() == 0
    async with world.db.write() as conn:
        await conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(next_attempt_at=now_ms() - 31_000)
        )
    assert await dispatcher.run_once() == 1 and len(receiver.received) == 1

    # A lease held elsewhere is waited out, not polled in a busy loop.
    other = await add_delivery(world, receiver.url)
    held_until = now_ms() + 30_000
    await _set_lease(world, other, held_until)
    assert await next_due_at(world.db) == held_until + 1
