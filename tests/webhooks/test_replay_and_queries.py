"""Owner-scoped listing and manual redelivery; the retry policy as a pure function."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest

from apiinone.errors import NotFound
from apiinone.webhooks.deliveries import requeue_delivery
from apiinone.webhooks.queries import deliveries_for_task
from apiinone.webhooks.retry import next_delay, parse_retry_after
from tests.support.db import new_account
from tests.webhooks.conftest import (
    Answer,
    Receiver,
    World,
    add_delivery,
    deliver_until_settled,
    dispatcher_for,
    insert_task,
)

Factory = Callable[..., Awaitable[Receiver]]


async def test_listing_is_owner_scoped(world: World) -> None:
    await add_delivery(world, "http://example.invalid/hook")
    stranger = await new_account(world.db)
    with pytest.raises(NotFound):
        await deliveries_for_task(world.db, stranger, world.task_id)
    with pytest.raises(NotFound):
        await deliveries_for_task(world.db, world.account_id, "task_missing")
    quiet_task = await insert_task(world.db, world.account_id)
    assert await deliveries_for_task(world.db, world.account_id, quiet_task) == []
    items = await deliveries_for_task(world.db, world.account_id, world.task_id)
    assert items[0]["status"] == "pending" and items[0]["attempt_log"] == []


async def test_redeliver_replays_with_the_same_id(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    receiver = await receiver_factory(Answer(200))
    dispatcher = dispatcher_for(world.db, session)
    delivery_id = await add_delivery(world, receiver.url)
    assert (await deliver_until_settled(dispatcher, world, delivery_id))["status"] == "delivered"

    stranger = await new_account(world.db)
    with pytest.raises(NotFound):
        await dispatcher.redeliver(world.db, stranger, delivery_id)
    with pytest.raises(NotFound):
        await requeue_delivery(world.db, world.account_id, delivery_id, task_id="task_other")
    with pytest.raises(NotFound):
        await dispatcher.redeliver(world.db, world.account_id, "msg_missing")

    await dispatcher.redeliver(world.db, world.account_id, delivery_id)
    item = await deliver_until_settled(dispatcher, world, delivery_id)
    assert item["status"] == "delivered" and item["attempts"] == 2
    assert [a["attempt"] for a in item["attempt_log"]] == [1, 2]
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery_id] * 2


def test_next_delay_follows_the_schedule_with_jitter() -> None:
    rng = random.Random(7)
    schedule = [0.0, 5.0, 300.0]
    assert next_delay(schedule, 0, jitter=0.1, retry_after=None, rng=rng) == 0.0
    for _ in range(100):
        delay = next_delay(schedule, 1, jitter=0.1, retry_after=None, rng=rng)
        assert delay is not None and 4.5 <= delay <= 5.5
    assert next_delay(schedule, 3, jitter=0.1, retry_after=None, rng=rng) is None
    assert next_delay(schedule, 1, jitter=0.1, retry_after=60, rng=rng) == 60
    assert next_delay([0, -1], 1, jitter=0.5, retry_after=None, rng=rng) == 0.0
    capped = next_delay(schedule, 1, jitter=0, retry_after=10**9, rng=rng)
    assert capped == 24 * 3600


def test_parse_retry_after_seconds_and_dates() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None
