"""fal through the whole gateway: a providers file, a real gateway process, the fake fal."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from apiinone.auth.secrets import generate_key
from tests.fakes.fal import FakeFal
from tests.support.server import Server, base_env

KEY = "fal-e2e-key-id:fal-e2e-key-secret-9f8e7d6c5b4a"
IMAGES = "/api/v1/images/generations"


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[FakeFal, Server, str]]:
    async with FakeFal(key=KEY, queue_polls=1, progress_polls=2) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "fake-fal"
adapter = "fal"
base_url = "{fake.url}"
credential_env = "FAKE_FAL_KEY"
[channels.models]
"flux-2" = "fal-ai/flux-2-pro"
[channels.options]
poll_interval = 0.2
[channels.options.params]
aspect_ratio = {{ to = "image_size", values = {{ "16:9" = "landscape_16_9", "1:1" = "square_hd" }} }}
resolution = ""
type = ""
"""
        )
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            FAKE_FAL_KEY=KEY,
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
        try:
            yield fake, server, admin_key
        finally:
            await asyncio.to_thread(server.stop)


async def finished(c: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        task: dict[str, Any] = (await c.get(f"/api/v1/tasks/{task_id}")).json()["data"]
        if task["status"] != "IN_PROGRESS":
            return task
        await asyncio.sleep(0.1)
    raise AssertionError(f"task {task_id} never finished")


async def test_an_image_through_fal(gateway: tuple[FakeFal, Server, str]) -> None:
    fake, server, key = gateway
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        before = (await c.get("/api/v1/account")).json()["data"]["balance"]
        r = await c.post(
            IMAGES, json={"model": "flux-2", "prompt": "a lighthouse", "aspect_ratio": "16:9"}
        )
        assert r.status_code == 202, r.text
        task = await finished(c, r.json()["data"]["task_id"])
        assert task["status"] == "SUCCESS", task
        (url,) = task["response"]
        assert url.startswith(server.url + "/files/")  # copied, not fal's URL
        image = await c.get(url)
        assert image.status_code == 200
        with Image.open(io.BytesIO(image.content)) as png:
            assert png.format == "PNG"
        (queued,) = fake.requests()
        assert queued["endpoint"] == "fal-ai/flux-2-pro"
        assert queued["input"] == {"prompt": "a lighthouse", "image_size": "landscape_16_9"}
        assert task["consumed_credits"] == 5

        r = await c.post(IMAGES, json={"model": "flux-2", "prompt": "fal:error please"})
        assert r.status_code == 202, r.text
        failed = await finished(c, r.json()["data"]["task_id"])
        assert failed["status"] == "FAILED", failed
        assert failed["consumed_credits"] == 0
        assert failed["error_code"] == "upstream_failed"
        assert "Runner crashed" in failed["error_message"]
        after = (await c.get("/api/v1/account")).json()["data"]
        assert before - after["balance"] == 5 and after["held"] == 0
        assert fake.requests()[1]["input"]["image_size"] == "square_hd"  # the default, mapped
    assert KEY not in server.output()
    assert KEY.split(":")[1] not in server.output()
