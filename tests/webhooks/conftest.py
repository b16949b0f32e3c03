"""Fixtures for webhook tests: a migrated SQLite database, an account with a task, and a
real aiohttp receiver on loopback that answers from a script."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import insert

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import tasks
from apiinone.ids import new_id
from apiinone.sealing import Sealer
from apiinone.webhooks.dispatcher import WebhookDispatcher
from apiinone.webhooks.outbox import enqueue
from tests.support.db import new_account, open_db

SEALER = Sealer("webhook-tests-secret-key-0123456789abcdef")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()


class Receiver:
    """Answers POST /hook from ``script`` in order, then with the last answer (or 200)."""

    def __init__(self, script: Sequence[Answer]) -> None:
        self.script = list(script)
        self.received: list[Received] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        index = len(self.received)
        self.received.append(Received(dict(request.headers), body, time.monotonic()))
        answer = self.script[min(index, len(self.script) - 1)] if self.script else Answer()
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return web.Response(status=answer.status, headers=answer.headers, text="ok")

    async def start(self, host: str = "127.0.0.1") -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{host}:{port}/hook"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass(frozen=True)
class World:
    db: Database
    account_id: str
    task_id: str


async def insert_task(db: Database, account_id: str) -> str:
    task_id = new_id("task")
    now = now_ms()
    async with db.write() as conn:
        await conn.execute(
            insert(tasks).values(
                id=task_id,
                account_id=account_id,
                mode="live",
                model="flux-2",
                endpoint="/api/v1/images/generations",
                kind="image",
                status="completed",
                price=1,
                request="{}",
                params="{}",
                provider="sandbox",
                callback_url="http://example.invalid/hook",
                next_run_at=now,
                deadline_at=now + 60_000,
                created_at=now,
                updated_at=now,
                completed_at=now,
            )
        )
    return task_id


async def add_delivery(world: World, url: str, event_type: str = "task.succeeded") -> str:
    async with world.db.write() as conn:
        return await enqueue(
            conn,
            account_id=world.account_id,
            task_id=world.task_id,
            event_type=event_type,
            url=url,
            payload={"task_id": world.task_id, "status": "SUCCESS"},
        )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await open_db(tmp_path / "webhooks.db")
    account_id = await new_account(db)
    task_id = await insert_task(db, account_id)
    yield World(db=db, account_id=account_id, task_id=task_id)
    await db.dispose()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def receiver_factory() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    receivers: list[Receiver] = []

    async def make(*script: Answer, host: str = "127.0.0.1") -> Receiver:
        receiver = await Receiver(script).start(host)
        receivers.append(receiver)
        return receiver

    yield make
    for receiver in receivers:
        await receiver.close()


def dispatcher_for(
    db: Database,
    session: aiohttp.ClientSession,
    schedule: Sequence[float] = (0, 0.05, 0.05),
    **kwargs: Any,
) -> WebhookDispatcher:
    options: dict[str, Any] = {"timeout": 5.0, "jitter": 0.1, "sealer": SEALER}
    options.update(kwargs)
    return WebhookDispatcher(db, lambda: session, schedule=schedule, **options)


async def deliver_until_settled(
    dispatcher: WebhookDispatcher, world: World, delivery_id: str, timeout: float = 5.0
) -> dict[str, Any]:
    """Call run_once until the delivery is no longer waiting; return its API view."""
    from apiinone.webhooks.queries import deliveries_for_task

    deadline = time.monotonic() + timeout
    while True:
        await dispatcher.run_once()
        items = await deliveries_for_task(world.db, world.account_id, world.task_id)
        item = next(i for i in items if i["id"] == delivery_id)
        if item["status"] not in ("pending", "retrying"):
            return item
        assert time.monotonic() < deadline, f"delivery still {item['status']}: {item}"
        await asyncio.sleep(0.02)
