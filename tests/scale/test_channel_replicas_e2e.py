"""A channel created through the admin API of one replica serves customers on another (two
gateways on one PostgreSQL and one Redis), without a restart; disabled on one, it stops
serving on the other.

Runs in the PostgreSQL pass of `make test` (APIINONE_TEST_POSTGRES set)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.fakes.openai_chat import FakeOpenAI
from tests.support import pg
from tests.support.redis_server import redis_on_loopback
from tests.support.server import Server, base_env

pytestmark = pytest.mark.skipif(
    not pg.enabled(), reason="runs in the PostgreSQL pass (APIINONE_TEST_POSTGRES)"
)

TOKEN = "sk-replica-upstream-" + "q" * 20


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[tuple[FakeOpenAI, Server, Server, str]]:
    admin_key = generate_key()
    async with FakeOpenAI(token=TOKEN) as fake:
        with redis_on_loopback() as redis_url:
            env = base_env(
                tmp_path / "shared",
                APIINONE_ADMIN_KEY=admin_key,
                APIINONE_REDIS_URL=redis_url,
                APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            )
            first = await asyncio.to_thread(Server(data_dir=tmp_path / "a", env=env).start)
            second = await asyncio.to_thread(Server(data_dir=tmp_path / "b", env=env).start)
            try:
                yield fake, first, second, admin_key
            finally:
                await asyncio.to_thread(second.stop)
                await asyncio.to_thread(first.stop)


def _client(server: Server, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


async def _chat(client: httpx.AsyncClient) -> int:
    answer = await client.post(
        "/v1/chat/completions",
        json={"model": "gemini", "messages": [{"role": "user", "content": "hello"}]},
    )
    return answer.status_code


async def _until(client: httpx.AsyncClient, status: int, what: str) -> None:
    deadline = time.monotonic() + 10  # bounded; the rule is 2 s, the machine may be slow
    while await _chat(client) != status:
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


async def test_a_channel_made_on_one_replica_serves_on_the_other(
    replicas: tuple[FakeOpenAI, Server, Server, str],
) -> None:
    fake, first, second, admin_key = replicas
    async with _client(first, admin_key) as admin:
        made = await admin.post("/api/v1/admin/accounts", json={"email": "replica@example.com"})
        customer_key = made.json()["data"]["key"]["key"]
        async with _client(second, customer_key) as customer:
            assert await _chat(customer) == 200  # sandbox mode: no channel anywhere yet
            assert not fake.requests
            created = await admin.post(
                "/api/v1/admin/channels",
                json={
                    "name": "shared-openai",
                    "adapter": "openai",
                    "base_url": fake.url,
                    "credential": TOKEN,
                    "models": {"gemini": "gemini-3-flash"},
                },
            )
            assert created.status_code == 201, created.text
            deadline = time.monotonic() + 10
            while not fake.requests:
                assert time.monotonic() < deadline, "the other replica never used the channel"
                assert await _chat(customer) == 200
            assert fake.requests[-1]["model"] == "gemini-3-flash"
            async with _client(second, admin_key) as admin_on_second:
                on_second = await admin_on_second.get("/api/v1/admin/channels")
            assert [c["name"] for c in on_second.json()["data"]["channels"]] == ["shared-openai"]
            channel_id = created.json()["data"]["id"]
            off = await admin.patch(
                f"/api/v1/admin/channels/{channel_id}", json={"models": {"deepseek-chat": "d"}}
            )
            assert off.status_code == 200, off.text
            await _until(customer, 503, "gemini still routed to the changed channel")
