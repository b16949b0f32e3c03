"""Suno through the gateway: a providers file with a Suno reseller channel (the fake) serves
generate, feed, extend, cover art, timestamped lyrics and upload-cover end to end."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.fakes.suno import FakeSuno, mp3_bytes
from tests.support.server import Server, base_env

pytestmark = pytest.mark.slow
KEY = "sk-suno-e2e-credential-5f1e9a7c3b"


def is_mp3(data: bytes) -> bool:
    return len(data) > 1000 and (data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0))


async def wait_done(c: httpx.AsyncClient, task_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, Any] = (await c.get(f"/api/v1/tasks/{task_id}")).json()["data"]
        if task["status"] not in ("IN_PROGRESS", "QUEUED"):
            return task
        assert time.monotonic() < deadline, f"task {task_id} never finished: {task}"
        await asyncio.sleep(0.1)


async def create(c: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    r = await c.post(path, json=body)
    assert r.status_code == 202, r.text
    return str(r.json()["data"]["task_id"])


async def test_suno_through_the_gateway(tmp_path: Path) -> None:
    async with FakeSuno(token=KEY) as fake:
        admin_key = generate_key()
        server = Server(data_dir=tmp_path / "gw", env={})
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "fake-suno"
adapter = "suno"
base_url = "{fake.url}"
credential_env = "SUNO_RESELLER_KEY"
[channels.models]
"suno" = "V4_5"
"suno-extend" = "V4_5"
"suno-cover" = "cover"
"suno-lyrics" = "lyrics"
"suno-upload-cover" = "V4_5"
[channels.options]
public_base_url = "{server.url}"
poll_seconds = 0.2
"""
        )
        server.env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            SUNO_RESELLER_KEY=KEY,
        )
        await asyncio.to_thread(server.start)
        try:
            async with httpx.AsyncClient(
                base_url=server.url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30
            ) as c:
                await _scenario(c, server, fake)
        finally:
            await asyncio.to_thread(server.stop)
        assert KEY not in server.output()


async def _scenario(c: httpx.AsyncClient, server: Server, fake: FakeSuno) -> None:
    music = "/api/v1/audio/music"
    song = await create(c, music, {"model": "suno", "gpt_description_prompt": "a harbour song"})
    assert (await wait_done(c, song))["status"] == "SUCCESS"

    feed = (await c.get(f"{music}/feed", params={"task_id": song})).json()["data"]
    assert feed["type"] == "SUCCESS" and len(feed["response_data"]) == 2
    for clip in feed["response_data"]:
        assert clip["audio_url"].startswith(server.url + "/files/")
        assert clip["image_url"].startswith(server.url + "/files/")
        assert is_mp3((await c.get(clip["audio_url"])).content)
    assert fake.requests[0][1]["model"] == "V4_5"  # the default variant, chirp-v4-5

    upload = await c.post(
        "/api/v1/uploads", files={"file": ("demo.mp3", mp3_bytes(1, seconds=8.0), "audio/mpeg")}
    )
    assert upload.status_code in (200, 201), upload.text
    audio_id = upload.json()["data"]["id"]

    extend = await create(c, f"{music}/extend", {"origin_task_id": song, "extend_audio_index": 1})
    cover = await create(c, f"{music}/cover/generate", {"task_id": song})
    remix = await create(
        c,
        f"{music}/upload-cover/generate",
        {"audio_id": audio_id, "custom_mode": False, "prompt": "as a jazz trio"},
    )
    refused = await create(c, music, {"model": "suno", "gpt_description_prompt": "suno:sensitive"})
    first_clip = feed["response_data"][0]["id"]
    lyrics = await c.post(
        f"{music}/timestamped-lyrics", json={"task_id": song, "audio_id": first_clip}
    )
    assert lyrics.status_code == 200, lyrics.text
    timed = lyrics.json()["data"]
    assert timed["lyricParams"] and timed["waveform"] and timed["text"].startswith("[Verse]")

    assert (await wait_done(c, extend))["status"] == "SUCCESS"
    extended = (await c.get(f"{music}/feed", params={"task_id": extend})).json()["data"]
    assert len(extended["response_data"]) == 2
    source = next(t for t in fake.tasks.values() if t.kind == "GENERATE")
    sent_extend = next(b for p, b in fake.requests if p == "/api/v1/generate/extend")
    assert sent_extend["audioId"] == source.clip_ids[1]

    assert (await wait_done(c, cover))["status"] == "SUCCESS"
    art = (await c.get(f"{music}/cover/status", params={"task_id": cover})).json()["data"]
    assert art["status"] == "SUCCESS" and len(art["images"]) == 2
    png = (await c.get(art["images"][0])).content
    assert png[:8] == b"\x89PNG\r\n\x1a\n"

    assert (await wait_done(c, remix))["status"] == "SUCCESS"
    sent_upload = next(b for p, b in fake.requests if p == "/api/v1/generate/upload-cover")
    assert sent_upload["uploadUrl"].startswith(server.url + "/files/")
    covered = (await c.get(f"{music}/upload-cover/status", params={"task_id": remix})).json()
    assert len(covered["data"]["response_data"]) == 2

    failed = await wait_done(c, refused)
    assert failed["status"] == "FAILED" and failed["consumed_credits"] == 0
    assert "SENSITIVE_WORD_ERROR" in str(failed["error_message"])
