"""The dispatcher against a real receiver: retries, signatures, 410, exhaustion, Retry-After."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import orjson
from sqlalchemy import select
from standardwebhooks import Webhook

from apiinone.db.tables import webhook_deliveries
from apiinone.webhooks.queries import deliveries_for_task
from apiinone.webhooks.secrets import ensure_secret
from tests.webhooks.conftest import (
    SEALER,
    Answer,
    Receiver,
    World,
    add_delivery,
    deliver_until_settled,
    dispatcher_for,
)

Factory = Callable[..., Awaitable[Receiver]]


async def test_third_attempt_arrives_signed_after_two_500s(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(500), Answer(500), Answer(200))
    dispatcher = dispatcher_for(world.db, session, schedule=[0, 0.2, 0.4])
    stop = asyncio.Event()
    loop = asyncio.create_task(dispatcher.run(stop))
    delivery_id = await add_delivery(world, receiver.url)
    dispatcher.wake()
    deadline = time.monotonic() + 5
    while True:
        items = await deliveries_for_task(world.db, world.account_id, world.task_id)
        if items[0]["status"] == "delivered":
            break
        assert time.monotonic() < deadline, items
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(loop, 2)

    assert len(receiver.received) == 3
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery_id}
    gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
    assert gaps[0] >= 0.17 and gaps[1] >= 0.35, gaps  # 0.2 s and 0.4 s, ±10 % jitter

    secret = await ensure_secret(world.db, SEALER, world.account_id)
    last = receiver.received[-1]
    payload = Webhook(secret).verify(last.body, last.headers)
    assert payload["type"] == "task.succeeded"
    assert payload["data"] == {"task_id": world.task_id, "status": "SUCCESS"}
    assert payload["timestamp"].endswith("Z")
    assert last.headers["User-Agent"] == "apiinone-webhooks/1"
    assert last.headers["Content-Type"] == "application/json"

    item = items[0]
    assert item["attempts"] == 3 and item["last_status_code"] == 200
    assert item["completed_at"] is not None and item["next_attempt_at"] is None
    log = item["attempt_log"]
    assert [a["attempt"] for a in log] == [1, 2, 3]
    assert [a["status_code"] for a in log] == [500, 500, 200]
    assert [a["success"] for a in log] == [False, False, True]
    assert all(a["error"] is None and a["duration_ms"] >= 0 for a in log)


async def test_410_disables_after_one_attempt(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(410))
    dispatcher = dispatcher_for(world.db, session, schedule=[0, 0.01, 0.01])
    delivery_id = await add_delivery(world, receiver.url, "task.failed")
    item = await deliver_until_settled(dispatcher, world, delivery_id)
    assert item["status"] == "disabled" and item["attempts"] == 1
    assert item["event_type"] == "task.failed"
    await asyncio.sleep(0.05)
    assert await dispatcher.run_once() == 0
    assert len(receiver.received) == 1


async def test_exhausted_schedule_fails_with_every_attempt_logged(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(500), Answer(302, {"Location": "/elsewhere"}))
    dispatcher = dispatcher_for(world.db, session, schedule=[0, 0.03, 0.03, 0.03])
    delivery_id = await add_delivery(world, receiver.url)
    item = await deliver_until_settled(dispatcher, world, delivery_id)
    assert item["status"] == "failed" and item["attempts"] == 4
    assert item["completed_at"] is not None and item["next_attempt_at"] is None
    log = item["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 302, 302, 302]
    assert log[1]["error"] == "redirects are not followed"  # a 3xx is never followed
    assert not any(a["success"] for a in log)
    assert len(receiver.received) == 4


async def test_retry_after_pushes_the_next_attempt_out(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(503, {"Retry-After": "1"}), Answer(200))
    dispatcher = dispatcher_for(world.db, session, schedule=[0, 0.1])
    delivery_id = await add_delivery(world, receiver.url)
    assert await dispatcher.run_once() == 1
    async with world.db.read() as conn:
        row = (
            await conn.execute(
                select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
            )
        ).one()
    assert row.status == "retrying"
    items = await deliveries_for_task(world.db, world.account_id, world.task_id)
    started_at = items[0]["attempt_log"][0]
    assert started_at["status_code"] == 503
    item = await deliver_until_settled(dispatcher, world, delivery_id)
    assert item["status"] == "delivered"
    assert receiver.received[1].at - receiver.received[0].at >= 1.0


async def test_timeout_is_a_failed_attempt(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(200, delay=1.0))
    dispatcher = dispatcher_for(world.db, session, schedule=[0, 60], timeout=0.2)
    await add_delivery(world, receiver.url)
    assert await dispatcher.run_once() == 1
    items = await deliveries_for_task(world.db, world.account_id, world.task_id)
    attempt = items[0]["attempt_log"][0]
    assert attempt["status_code"] is None and attempt["error"] == "timed out after 0.2 s"
    assert items[0]["status"] == "retrying"


async def test_enqueue_stores_the_standard_webhooks_body(world: World) -> None:
    delivery_id = await add_delivery(world, "http://example.invalid/hook", "task.canceled")
    async with world.db.read() as conn:
        row = (
            await conn.execute(
                select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
            )
        ).one()
    body = orjson.loads(row.payload)
    assert set(body) == {"type", "timestamp", "data"} and body["type"] == "task.canceled"
    assert delivery_id.startswith("msg_") and row.status == "pending" and row.attempts == 0
    assert row.next_attempt_at is not None and row.next_attempt_at <= row.created_at
