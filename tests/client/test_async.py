"""AsyncClient: the same resources and task handles, awaited."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiinone import AsyncClient, AsyncTask, NotFoundError, TaskFailed, TaskTimeout
from tests.client.conftest import FAST_RETRIES
from tests.client.support import flaky_proxy
from tests.conftest import Account
from tests.support.server import Server
from tests.support.tasks import png


def _client(url: str, key: str) -> AsyncClient:
    return AsyncClient(api_key=key, base_url=url, retry=FAST_RETRIES)


async def test_generate_wait_download(server: Server, account: Account, tmp_path: Path) -> None:
    async with _client(server.url, account.key) as client:
        task = await client.images.generate(model="flux-2", prompt="An async garden")
        assert isinstance(task, AsyncTask)
        events = [e async for e in task.events(timeout=30)]
        assert events[-1]["status"] == "SUCCESS" and task.succeeded
        [saved] = await task.download(tmp_path / "garden.png")
        assert saved.read_bytes().startswith(b"\x89PNG")
        again = await client.tasks.wait(task.id, progress=True)
        assert again.data == task.data
        assert (await client.account.get())["balance"] == 5000 - 5


async def test_resources(server: Server, account: Account, tmp_path: Path) -> None:
    async with _client(server.url, account.key) as client:
        assert (await client.health())["status"] == "ok"
        assert len(await client.models.list(kind="video")) >= 5
        assert (await client.models.get("suno"))["kind"] == "music"
        quote = await client.quotes.create(
            "/api/v1/audio/speech", {"model": "elevenlabs-v3", "dialogue": [{"text": "hi"}]}
        )
        assert quote["credits"] == 1
        path = tmp_path / "in.png"
        path.write_bytes(png())
        upload = await client.uploads.create(path)
        assert (await client.uploads.get(upload["id"]))["url"] == upload["url"]
        cut = await (await client.tools.remove_bg(path)).wait()
        assert cut.succeeded
        speech = await (await client.speech.create("Async speech.")).wait()
        song = await (await client.music.generate(gpt_description_prompt="async blues")).wait()
        video = await (
            await client.videos.generate(
                model="seedance-1-5-pro", prompt="async waves", resolution="480p", duration=4
            )
        ).wait()
        assert speech.succeeded and song.succeeded and video.succeeded
        assert (await client.music.feed(song.id))["type"] == "SUCCESS"
        page = await client.tasks.list(limit=2)
        assert len(page["items"]) == 2
        assert len([t async for t in client.tasks.iter(page_size=2)]) == 4
        assert [r async for r in client.account.iter_usage(kind="capture")]
        assert (await client.account.webhook_secret()).startswith("whsec_")
        key = await client.keys.create("async")
        assert (await client.keys.revoke(key["id"]))["status"] == "revoked"
        with pytest.raises(NotFoundError):
            await client.task("task_nope")


async def test_failures_timeouts_and_cancel(server: Server, account: Account) -> None:
    async with _client(server.url, account.key) as client:
        failing = await client.images.generate(model="flux-2", prompt="no sandbox:fail")
        with pytest.raises(TaskFailed):
            await failing.wait(timeout=30)
        slow = await client.images.generate(model="flux-2", prompt="slow sandbox:delay=60")
        with pytest.raises(TaskTimeout):
            await slow.wait(timeout=0.5)
        assert (await slow.cancel()).status == "CANCELED"
        assert (await client.tasks.cancel(slow.id)).status == "CANCELED"


async def test_chat(server: Server, account: Account) -> None:
    async with _client(server.url, account.key) as client:
        messages = [{"role": "user", "content": "Hello"}]
        reply = await client.chat.completions.create(model="gemini", messages=messages)
        stream = await client.chat.completions.create(
            model="gemini", messages=messages, stream=True
        )
        async with stream:
            text = "".join([piece async for piece in stream.text()])
        assert text == reply["choices"][0]["message"]["content"]


async def test_retry_keeps_the_key(server: Server, account: Account) -> None:
    with flaky_proxy(server.url, "forward-drop") as proxy:
        async with _client(proxy.url, account.key) as client:
            task = await (await client.images.generate(model="flux-2", prompt="once")).wait()
            assert [t["task_id"] for t in (await client.tasks.list())["items"]] == [task.id]
    posts = [s for s in proxy.seen if s.method == "POST"]
    assert len(posts) == 2 and posts[0].idempotency_key == posts[1].idempotency_key
