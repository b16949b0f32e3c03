"""GPT Image 1.5 through a real gateway process, served by the fake OpenAI Images API.

The gateway reaches the in-process fake on loopback while the test awaits, so every call
here is async (a blocking client would starve the fake).
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from apiinone.auth.secrets import generate_key
from tests.fakes.openai_images import FakeOpenAIImages
from tests.support.server import Server, base_env

KEY = "sk-proj-e2e-openai-images-key-abcdef0123456789"
IMAGES = "/api/v1/images/generations"


async def run(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(IMAGES, json=body)
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["task_id"]
    deadline = time.monotonic() + 30
    while True:
        task: dict[str, Any] = (await client.get(f"/api/v1/tasks/{task_id}")).json()["data"]
        if task["status"] != "IN_PROGRESS":
            return task
        assert time.monotonic() < deadline, task
        await asyncio.sleep(0.1)


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), colour).save(out, format="PNG")
    return out.getvalue()


async def test_gpt_image_through_the_gateway(tmp_path: Path) -> None:
    async with FakeOpenAIImages(key=KEY) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "fake-openai"
adapter = "openai_images"
base_url = "{fake.url}/v1"
credential_env = "FAKE_OPENAI_KEY"
[channels.models]
"gpt-image-1.5-official" = "gpt-image-1.5"
"""
        )
        admin_key = generate_key()
        data_dir = tmp_path / "gw"
        env = base_env(
            data_dir,
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            FAKE_OPENAI_KEY=KEY,
        )
        server = Server(data_dir=data_dir, env=env).start()
        try:
            headers = {"Authorization": f"Bearer {admin_key}"}
            async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as c:
                start = (await c.get("/api/v1/account")).json()["data"]["balance"]
                r = await c.post(
                    "/api/v1/uploads", files={"file": ("in.png", png((200, 30, 30)), "image/png")}
                )
                assert r.status_code == 201, r.text
                source = r.json()["data"]["url"]

                task = await run(
                    c,
                    {
                        "model": "gpt-image-1.5-official",
                        "prompt": "the same scene, as a poster",
                        "aspect_ratio": "2:3",
                        "quality": "high",
                        "input_urls": [source],
                    },
                )
                assert task["status"] == "SUCCESS", task
                assert task["consumed_credits"] == 28
                (url,) = task["response"]
                assert url.startswith(server.url + "/files/")  # stored, not a provider URL
                got = await c.get(url)
                assert got.status_code == 200 and got.headers["content-type"] == "image/png"
                with Image.open(io.BytesIO(got.content)) as image:
                    assert image.format == "PNG" and image.size == (1024, 1536)
                assert task["result"]["usage"]["total_tokens"] > 0
                (received,) = fake.requests
                assert received.path == "/v1/images/edits"
                assert received.images == [("PNG", (48, 32))]  # fetched by the gateway itself

                failed = await run(
                    c, {"model": "gpt-image-1.5-official", "prompt": "openai:policy please"}
                )
                assert failed["status"] == "FAILED" and failed["consumed_credits"] == 0
                assert failed["error_code"] == "upstream_content_policy"
                assert "content policy" in failed["error_message"]
                end = (await c.get("/api/v1/account")).json()["data"]["balance"]
                assert end == start - 28
        finally:
            server.stop()
        assert KEY not in server.output()
