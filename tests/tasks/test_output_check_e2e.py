"""A result is judged by its bytes: an upstream that answers "completed" with a PNG where an
SVG or an MP4 was asked fails the task with a full refund, and nothing is delivered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.fakes.fal import FakeFal
from tests.support.server import Server, base_env

KEY = "fal-e2e-key-id:fal-e2e-key-secret-0a1b2c3d4e5f"
IMAGES = "/api/v1/images/generations"
VIDEOS = "/api/v1/videos/generations"
VECTOR = "recraft-v4-text-to-vector"


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[FakeFal, Server, str]]:
    async with FakeFal(key=KEY, queue_polls=0, progress_polls=1) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "fake-fal"
adapter = "fal"
base_url = "{fake.url}"
credential_env = "FAKE_FAL_KEY"
[channels.models]
"recraft-v4" = "fal-ai/recraft/v4/text-to-vector"
"kling-3" = "fal-ai/kling-video/v3/standard/text-to-video"
[channels.options]
poll_interval = 0.2
[channels.options.params]
mode = ""
multi_shots = ""
sound = "generate_audio"
"""
        )
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            FAKE_FAL_KEY=KEY,
        )
        server = Server(data_dir=tmp_path / "gw", env=env)
        await asyncio.to_thread(server.start, 120.0)  # a loaded machine starts slowly
        try:
            yield fake, server, await asyncio.to_thread(_funded_key, server, admin_key)
        finally:
            await asyncio.to_thread(server.stop)


def _funded_key(server: Server, admin_key: str) -> str:
    """A new account's key with 1000 credits (enough for a 3 s Kling clip)."""
    with server.client(admin_key) as admin:
        made = admin.post("/api/v1/admin/accounts", json={"email": "out@example.com"})
        assert made.status_code == 201, made.text
        account = made.json()["data"]
        balance = admin.get("/api/v1/admin/accounts/" + account["id"]).json()["data"]["live"][
            "balance"
        ]
        r = admin.post(
            f"/api/v1/admin/accounts/{account['id']}/credits",
            json={"amount": 1000 - balance, "reason": "test setup"},
        )
        assert r.status_code == 200, r.text
    key: str = account["key"]["key"]
    return key


async def _finished(c: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        task: dict[str, Any] = (await c.get(f"/api/v1/tasks/{task_id}")).json()["data"]
        if task["status"] in ("SUCCESS", "FAILED"):
            return task
        await asyncio.sleep(0.2)
    raise AssertionError(f"task {task_id} never finished")


async def _balance(c: httpx.AsyncClient) -> int:
    balance: int = (await c.get("/api/v1/account")).json()["data"]["balance"]
    return balance


async def _run(c: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await c.post(path, json=body)
    assert r.status_code == 202, r.text
    return await _finished(c, r.json()["data"]["task_id"])


@pytest.mark.parametrize(
    ("path", "body", "asked"),
    [
        (IMAGES, {"model": VECTOR, "prompt": "a fox logo fal:wrong-type"}, "an SVG image"),
        (
            VIDEOS,
            {"model": "kling-3", "prompt": "waves fal:wrong-type", "duration": 3, "sound": False},
            "a video",
        ),
    ],
)
async def test_a_png_where_another_type_was_asked_fails_with_a_full_refund(
    gateway: tuple[FakeFal, Server, str], path: str, body: dict[str, Any], asked: str
) -> None:
    fake, server, key = gateway
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        before = await _balance(c)
        task = await _run(c, path, body)
        assert task["status"] == "FAILED", task
        assert task["error_code"] == "upstream_wrong_output"
        assert "image/png" in task["error_message"] and asked in task["error_message"]
        assert "refunded" in task["error_message"]
        assert not task.get("response")  # nothing delivered
        assert await _balance(c) == before  # the hold released in full
        assert fake.submissions == 1 and not fake.refused


async def test_the_svg_a_vector_variant_asks_for_is_delivered(
    gateway: tuple[FakeFal, Server, str],
) -> None:
    fake, server, key = gateway
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        before = await _balance(c)
        task = await _run(c, IMAGES, {"model": VECTOR, "prompt": "a fox logo"})
        assert task["status"] == "SUCCESS", task
        assert await _balance(c) < before
        url = task["response"][0]
        data = (await c.get(url)).content
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data[:300]
        assert fake.requests()[0]["endpoint"] == "fal-ai/recraft/v4/text-to-vector"
