"""The background remover through a real gateway process, served by the fake remove.bg.

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
from tests.fakes.removebg import FakeRemoveBg
from tests.support.server import Server, base_env

KEY = "rbE2eRemoveBgKey0123456789"
REMOVE_BG = "/api/v1/images/tools/remove-bg"


async def run(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(REMOVE_BG, json=body)
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["task_id"]
    deadline = time.monotonic() + 30
    while True:
        task: dict[str, Any] = (await client.get(f"/api/v1/tasks/{task_id}")).json()["data"]
        if task["status"] != "IN_PROGRESS":
            return task
        assert time.monotonic() < deadline, task
        await asyncio.sleep(0.1)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (240, 240, 240)).save(out, format="PNG")
    return out.getvalue()


async def test_remove_bg_through_the_gateway(tmp_path: Path) -> None:
    async with FakeRemoveBg(key=KEY) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "fake-removebg"
adapter = "removebg"
base_url = "{fake.url}"
credential_env = "FAKE_REMOVEBG_KEY"
[channels.models]
"bg-remover" = "removebg"
"""
        )
        admin_key = generate_key()
        data_dir = tmp_path / "gw"
        env = base_env(
            data_dir,
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            FAKE_REMOVEBG_KEY=KEY,
        )
        server = Server(data_dir=data_dir, env=env).start()
        try:
            headers = {"Authorization": f"Bearer {admin_key}"}
            async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as c:
                start = (await c.get("/api/v1/account")).json()["data"]["balance"]
                r = await c.post(
                    "/api/v1/uploads", files={"file": ("photo.png", png(), "image/png")}
                )
                assert r.status_code == 201, r.text
                source = r.json()["data"]["url"]

                task = await run(c, {"image": source})
                assert task["status"] == "SUCCESS", task
                assert task["consumed_credits"] == 1
                (url,) = task["response"]
                assert url.startswith(server.url + "/files/")
                got = await c.get(url)
                assert got.status_code == 200 and got.headers["content-type"] == "image/png"
                with Image.open(io.BytesIO(got.content)) as cutout:
                    assert cutout.format == "PNG" and cutout.mode == "RGBA"
                    assert cutout.getpixel((0, 0))[3] == 0  # type: ignore[index]
                    assert cutout.getpixel((48, 32))[3] == 255  # type: ignore[index]
                assert task["result"]["credits_charged"] == 1.0
                assert fake.requests == [{"image_url": source, "size": "auto", "format": "png"}]

                failed = await run(c, {"image": f"{source}?case=removebg:402"})
                assert failed["status"] == "FAILED" and failed["consumed_credits"] == 0
                assert failed["error_code"] == "upstream_insufficient_credits"
                assert "run out of credits" in failed["error_message"]
                end = (await c.get("/api/v1/account")).json()["data"]["balance"]
                assert end == start - 1
        finally:
            server.stop()
        assert KEY not in server.output()
