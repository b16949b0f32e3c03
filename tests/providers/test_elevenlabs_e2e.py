"""ElevenLabs V3 dialogue through a real gateway process, served by the fake ElevenLabs.

The gateway reaches the in-process fake on loopback while the test awaits, so every call
here is async (a blocking client would starve the fake).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from apiinone.auth.secrets import generate_key
from apiinone.media import audio_info
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.support.server import Server, base_env

KEY = "sk_e2e_elevenlabs_key_abcdef0123456789abcdef"
SPEECH = "/api/v1/audio/speech"
GEORGE, RACHEL = "JBFqnCBsd6RMkjVDRZzb", "21m00Tcm4TlvDq8ikWAM"


async def run(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(SPEECH, json=body)
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["task_id"]
    deadline = time.monotonic() + 30
    while True:
        task: dict[str, Any] = (await client.get(f"/api/v1/tasks/{task_id}")).json()["data"]
        if task["status"] != "IN_PROGRESS":
            return task
        assert time.monotonic() < deadline, task
        await asyncio.sleep(0.1)


async def test_a_dialogue_through_the_gateway(tmp_path: Path) -> None:
    async with FakeElevenLabs(key=KEY) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "fake-elevenlabs"
adapter = "elevenlabs"
base_url = "{fake.url}"
credential_env = "FAKE_ELEVENLABS_KEY"
[channels.models]
"elevenlabs-v3" = "eleven_v3"
[channels.options]
default_voice_id = "{GEORGE}"
[channels.options.voices]
narrator = "{GEORGE}"
guest = "{RACHEL}"
"""
        )
        admin_key = generate_key()
        data_dir = tmp_path / "gw"
        env = base_env(
            data_dir,
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            FAKE_ELEVENLABS_KEY=KEY,
        )
        server = Server(data_dir=data_dir, env=env).start()
        try:
            headers = {"Authorization": f"Bearer {admin_key}"}
            async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as c:
                start = (await c.get("/api/v1/account")).json()["data"]["balance"]
                dialogue = [
                    {"text": "Welcome back to the show, everyone.", "voice": "narrator"},
                    {"text": "Thanks, it is good to be here.", "voice": "guest"},
                ]
                task = await run(c, {"model": "elevenlabs-v3", "dialogue": dialogue})
                assert task["status"] == "SUCCESS", task
                spent = task["consumed_credits"]
                assert spent > 0
                (url,) = task["response"]
                assert url.startswith(server.url + "/files/") and url.endswith(".mp3")
                got = await c.get(url)
                assert got.status_code == 200 and got.headers["content-type"] == "audio/mpeg"
                info = audio_info(got.content)
                assert info.format == "mp3" and info.duration_seconds > 2
                (received,) = fake.requests
                assert [i["voice_id"] for i in received.body["inputs"]] == [GEORGE, RACHEL]
                assert received.body["model_id"] == "eleven_v3"

                failed = await run(
                    c, {"model": "elevenlabs-v3", "dialogue": [{"text": "elevenlabs:422"}]}
                )
                assert failed["status"] == "FAILED" and failed["consumed_credits"] == 0
                assert failed["error_code"] == "upstream_rejected"
                end = (await c.get("/api/v1/account")).json()["data"]["balance"]
                assert end == start - spent
        finally:
            server.stop()
        assert KEY not in server.output()
