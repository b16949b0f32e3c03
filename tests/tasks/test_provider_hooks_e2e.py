"""Inbound provider webhooks short-cut polling; bad tokens and bad signatures are refused."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from apiinone.auth.secrets import generate_key
from tests.fakes.replicate import FakeReplicate
from tests.support.server import Server, base_env


async def test_a_signed_replicate_webhook_makes_the_gateway_poll_at_once(tmp_path: Path) -> None:
    async with FakeReplicate(token="r8_hooktoken0123456789", complete_after=1.0) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "replicate-hooks"
adapter = "replicate"
base_url = "{fake.url}"
credential_env = "REPLICATE_TOKEN"
[channels.models]
"flux-2" = "black-forest-labs/flux-2-pro"
[channels.options.input_map]
input_urls = "input_images"
type = ""
resolution = ""
[channels.options]
first_poll_seconds = 30
webhook_secret = "{fake.secret}"
"""
        )
        admin_key = generate_key()
        server = Server(data_dir=tmp_path / "gw", env={})
        server.env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            APIINONE_PUBLIC_BASE_URL=server.url,
            REPLICATE_TOKEN="r8_hooktoken0123456789",
        )
        await asyncio.to_thread(server.start)
        try:
            async with httpx.AsyncClient(
                base_url=server.url, headers={"Authorization": f"Bearer {admin_key}"}
            ) as c:
                r = await c.post(
                    "/api/v1/images/generations", json={"model": "flux-2", "prompt": "a hook"}
                )
                task_id = r.json()["data"]["task_id"]
                started = time.monotonic()
                while True:
                    task = (await c.get(f"/api/v1/tasks/{task_id}")).json()["data"]
                    if task["status"] != "IN_PROGRESS":
                        break
                    assert time.monotonic() - started < 20, (
                        "the webhook did not short-cut the 30 s poll"
                    )
                    await asyncio.sleep(0.2)
                assert task["status"] == "SUCCESS"
                assert fake.webhooks_sent, "the fake never called the gateway back"
                hook = next(iter(fake._predictions.values())).webhook
                assert hook is not None and hook.startswith(f"{server.url}/hooks/tasks/{task_id}/")
                forged = await c.post(
                    hook,
                    content=b"{}",
                    headers={
                        "webhook-id": "x",
                        "webhook-timestamp": "1",
                        "webhook-signature": "v1,AAAA",
                    },
                )
                assert forged.status_code == 401
                wrong = await c.post(f"/hooks/tasks/{task_id}/{'0' * 40}", content=b"{}")
                assert wrong.status_code == 404
                # MiniMax checks a callback URL by asking it to echo a challenge.
                echoed = await c.post(hook, json={"challenge": "abc123"})
                assert echoed.status_code == 200 and echoed.json() == {"challenge": "abc123"}
        finally:
            await asyncio.to_thread(server.stop)
