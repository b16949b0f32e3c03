"""Failover between channels, and the circuit breaker that skips a failing one."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.fakes.replicate import FakeReplicate
from tests.support.server import Server, base_env

TOKEN = "r8_failovertoken"


def providers_file(path: Path, first_url: str, second_url: str, first_timeout: float = 10) -> Path:
    path.write_text(
        f"""
[[channels]]
name = "one"
adapter = "replicate"
base_url = "{first_url}"
credential_env = "REPLICATE_TOKEN"
priority = 0
[channels.models]
"flux-2" = "black-forest-labs/flux-2-pro"
[channels.options.input_map]
input_urls = "input_images"
type = ""
resolution = ""
[channels.options]
timeout = {first_timeout}

[[channels]]
name = "two"
adapter = "replicate"
base_url = "{second_url}"
credential_env = "REPLICATE_TOKEN"
priority = 1
[channels.models]
"flux-2" = "black-forest-labs/flux-2-pro"
[channels.options.input_map]
input_urls = "input_images"
type = ""
resolution = ""
"""
    )
    return path


async def start(tmp_path: Path, providers: Path) -> tuple[Server, str]:
    admin_key = generate_key()
    env = base_env(
        tmp_path / "gw",
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_PROVIDERS_FILE=str(providers),
        REPLICATE_TOKEN=TOKEN,
        APIINONE_CIRCUIT_FAILURES="2",
        APIINONE_CIRCUIT_COOLDOWN_SECONDS="2",
    )
    server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
    return server, admin_key


async def run_task(c: httpx.AsyncClient) -> dict[str, object]:
    r = await c.post("/api/v1/images/generations", json={"model": "flux-2", "prompt": "failover"})
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["task_id"]
    deadline = time.monotonic() + 30
    while True:
        task = (await c.get(f"/api/v1/tasks/{task_id}")).json()["data"]
        if task["status"] != "IN_PROGRESS":
            return task  # type: ignore[no-any-return]
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeReplicate, FakeReplicate]]:
    async with (
        FakeReplicate(token=TOKEN, complete_after=0.2) as one,
        FakeReplicate(token=TOKEN, complete_after=0.2) as two,
    ):
        yield one, two


async def test_503_fails_over_and_the_circuit_opens_then_heals(
    tmp_path: Path, fakes: tuple[FakeReplicate, FakeReplicate]
) -> None:
    one, two = fakes
    one.fail_creates = 503
    server, key = await start(tmp_path, providers_file(tmp_path / "p.toml", one.url, two.url))
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}
        ) as c:
            before = (await c.get("/api/v1/account")).json()["data"]["balance"]
            first = await run_task(c)
            assert first["status"] == "SUCCESS"
            assert (one.create_attempts, two.submissions) == (1, 1)
            usage = (await c.get("/api/v1/usage", params={"task_id": first["task_id"]})).json()[
                "data"
            ]["items"]
            assert sorted(r["kind"] for r in usage) == ["capture", "hold"]  # one task, one charge
            assert (await c.get("/api/v1/account")).json()["data"]["balance"] == before - 5

            await run_task(c)  # a second failure opens channel one's circuit
            assert one.create_attempts == 2
            third = await run_task(c)
            assert third["status"] == "SUCCESS" and one.create_attempts == 2  # skipped
            channels = (await c.get("/api/v1/admin/channels")).json()["data"]["items"]
            state = {ch["name"]: ch["circuit"] for ch in channels}
            assert state == {"one/flux-2": "open", "two/flux-2": "closed"}
            assert TOKEN not in str(channels)
            metrics = (await c.get("/metrics")).text
            assert 'apiinone_channel_circuit_state{channel="one/flux-2"} 2.0' in metrics

            one.fail_creates = None
            await asyncio.sleep(2.2)  # the cooldown: one trial goes through
            healed = await run_task(c)
            assert healed["status"] == "SUCCESS" and one.submissions == 1
            channels = (await c.get("/api/v1/admin/channels")).json()["data"]["items"]
            assert {ch["name"]: ch["circuit"] for ch in channels}["one/flux-2"] == "closed"
        assert TOKEN not in server.output()
    finally:
        await asyncio.to_thread(server.stop)


async def test_a_channel_that_times_out_fails_over(
    tmp_path: Path, fakes: tuple[FakeReplicate, FakeReplicate]
) -> None:
    _, two = fakes
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(16)  # accepts connections, never answers
    url = f"http://127.0.0.1:{blackhole.getsockname()[1]}"
    server, key = await start(
        tmp_path, providers_file(tmp_path / "p.toml", url, two.url, first_timeout=1)
    )
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}
        ) as c:
            task = await run_task(c)
        assert task["status"] == "SUCCESS" and two.submissions == 1
    finally:
        await asyncio.to_thread(server.stop)
        blackhole.close()
