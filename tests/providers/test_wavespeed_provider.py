"""The WaveSpeedAI adapter end to end against the fake WaveSpeed on loopback."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from PIL import Image

from apiinone.providers.base import (
    Failed,
    JobRequest,
    PollOutcome,
    ProviderContext,
    Running,
    Submitted,
    Succeeded,
)
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpJobProvider
from apiinone.providers.wavespeed import WaveSpeedTranslator, build
from tests.fakes.wavespeed import FakeWaveSpeed

TOKEN = "ws_provider_test_key_1234567890abcdef"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWaveSpeed]:
    async with FakeWaveSpeed(token=TOKEN, complete_after=0.3) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("the WaveSpeed adapter never fetches inputs itself")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def provider(
    url: str,
    *,
    token: str = TOKEN,
    timeout: float = 5.0,
    model: str = "bytedance/seedream-v4.5",
    **options: Any,
) -> HttpJobProvider:
    channel = ChannelConfig(
        name="fake-wavespeed/seedream-4-5",
        base_url=url,
        credential=token,
        upstream_model=model,
        options=options,
    )
    return HttpJobProvider(
        channel.name, WaveSpeedTranslator(first_poll=0.05), channel, timeout=timeout
    )


def job(prompt: str = "a lighthouse", webhook: str | None = None, **params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_abc",
        model="seedream-4-5",
        variant=None,
        endpoint="images/generations",
        kind="image",
        params={"prompt": prompt, "callback_url": "https://client.test/hook", **params},
        webhook_url=webhook,
    )


async def run(
    p: HttpJobProvider, j: JobRequest, ctx: ProviderContext
) -> tuple[PollOutcome, list[Running]]:
    """Submit, then poll (quicker than the adapter asks) until the job ends."""
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted), submitted
    state = submitted.state
    seen: list[Running] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        outcome = await p.poll(j, submitted.upstream_id, state, ctx)
        if not isinstance(outcome, Running):
            return outcome, seen
        seen.append(outcome)
        state = outcome.state if outcome.state is not None else state
    raise AssertionError("the prediction never finished")


async def fetch(ctx: ProviderContext, url: str) -> tuple[bytes, str]:
    async with ctx.session.get(url) as resp:
        assert resp.status == 200
        return await resp.read(), resp.headers["Content-Type"]


async def test_submit_poll_succeed_with_a_png_from_the_fake(
    fake: FakeWaveSpeed, ctx: ProviderContext
) -> None:
    outcome, running = await run(provider(fake.url), job(), ctx)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.url is not None and art.url.startswith(f"{fake.url}/files/")
    assert (art.content_type, art.name, art.meta) == ("image/png", "output-0.png", {"nsfw": False})
    data, content_type = await fetch(ctx, art.url)
    assert content_type == "image/png"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (64, 48)
    assert running and all(r.progress is None for r in running)
    assert [r.state["polls"] for r in running if r.state] == list(range(1, len(running) + 1))
    (made,) = fake.predictions()
    assert made["model"] == "bytedance/seedream-v4.5"
    assert made["input"] == {"prompt": "a lighthouse"}  # callback_url is ours, not theirs


async def test_face_swap_with_mapped_params_and_several_outputs(
    fake: FakeWaveSpeed, ctx: ProviderContext
) -> None:
    p = provider(
        fake.url,
        model="wavespeed-ai/image-face-swap",
        params={"output_format": {"to": "output_format", "values": {"jpg": "jpeg"}}},
        defaults={"num_images": 2},
    )
    j = JobRequest(
        task_id="t",
        model="face-swap",
        variant=None,
        endpoint="images/tools/face-swap",
        kind="tool",
        params={
            "image": "https://x.test/a.png",
            "face_image": "https://x.test/f.png",
            "target_index": 0,
            "output_format": "jpg",
        },
    )
    outcome, _ = await run(p, j, ctx)
    assert isinstance(outcome, Succeeded)
    assert [a.content_type for a in outcome.artifacts] == ["image/jpeg", "image/jpeg"]
    url = outcome.artifacts[1].url
    assert url is not None
    data, _ = await fetch(ctx, url)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
    (made,) = fake.predictions()
    assert made["input"]["output_format"] == "jpeg" and made["input"]["num_images"] == 2


async def test_a_video_model_gives_an_mp4(fake: FakeWaveSpeed, ctx: ProviderContext) -> None:
    p = provider(fake.url, model="minimax/hailuo-2.3/i2v-standard")
    outcome, _ = await run(p, job(duration=6), ctx)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.content_type == "video/mp4" and art.url is not None
    data, _ = await fetch(ctx, art.url)
    assert data[4:8] == b"ftyp"


async def test_a_failed_prediction_arrives_with_http_200(
    fake: FakeWaveSpeed, ctx: ProviderContext
) -> None:
    outcome, _ = await run(provider(fake.url), job("wavespeed:fail"), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_failed", False)
    assert "out of GPU memory" in outcome.message


async def test_a_refusal_with_http_200(fake: FakeWaveSpeed, ctx: ProviderContext) -> None:
    outcome = await provider(fake.url).submit(job("wavespeed:refused"), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_rejected", False, 200)
    assert fake.submissions == 0


@pytest.mark.parametrize(
    ("prompt", "code"),
    [
        ("wavespeed:reset", "upstream_unreachable"),
        ("wavespeed:500", "upstream_unavailable"),
        ("wavespeed:malformed", "upstream_malformed"),
    ],
)
async def test_transient_create_failures_are_retryable(
    fake: FakeWaveSpeed, ctx: ProviderContext, prompt: str, code: str
) -> None:
    outcome = await provider(fake.url).submit(job(prompt), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == (code, True)
    assert TOKEN not in outcome.message


async def test_429_once_then_it_works(fake: FakeWaveSpeed, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    first = await p.submit(job("wavespeed:429"), ctx)
    assert isinstance(first, HttpFailed)
    assert (first.code, first.retryable, first.retry_after) == ("upstream_rate_limited", True, 1.0)
    second = await p.submit(job("wavespeed:429"), ctx)
    assert isinstance(second, Submitted)
    assert fake.submissions == 1 and fake.create_attempts == 2


async def test_forced_503(fake: FakeWaveSpeed, ctx: ProviderContext) -> None:
    fake.fail_creates = 503
    outcome = await provider(fake.url).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_unavailable", True, 503)


async def test_a_wrong_key_is_not_retryable_and_never_echoed(
    fake: FakeWaveSpeed, ctx: ProviderContext
) -> None:
    wrong = "ws_wrong_key_0000000000000000000000"
    outcome = await provider(fake.url, token=wrong).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_auth_failed", False, 401)
    assert wrong not in outcome.message and TOKEN not in outcome.message


async def test_a_stalled_create_times_out_as_retryable(
    fake: FakeWaveSpeed, ctx: ProviderContext
) -> None:
    started = time.monotonic()
    outcome = await provider(fake.url, timeout=0.3).submit(job("wavespeed:stall"), ctx)
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)


async def test_a_poll_during_an_outage_keeps_the_task(
    fake: FakeWaveSpeed, ctx: ProviderContext
) -> None:
    p = provider(fake.url)
    j = job()
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted)
    await fake.close()
    outcome = await p.poll(j, submitted.upstream_id, submitted.state, ctx)
    assert isinstance(outcome, Running) and outcome.state is not None
    assert outcome.state["http_transient_failures"] == 1


async def test_a_poll_for_an_unknown_prediction_fails(
    fake: FakeWaveSpeed, ctx: ProviderContext
) -> None:
    outcome = await provider(fake.url).poll(job(), "nope", {"polls": 0}, ctx)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_not_found"


async def test_cancel_is_a_no_op(fake: FakeWaveSpeed, ctx: ProviderContext) -> None:
    await provider(fake.url).cancel(job(), "anything", ctx)
    assert fake.create_attempts == 0 and fake.polls == 0


async def test_build_gives_a_working_provider(fake: FakeWaveSpeed, ctx: ProviderContext) -> None:
    channel = ChannelConfig(
        name="c",
        base_url=fake.url,
        credential=TOKEN,
        upstream_model="bytedance/seedream-v4.5",
        options={"poll_interval": 0.1},
    )
    outcome = await build(channel).submit(job(), ctx)
    assert isinstance(outcome, Submitted) and outcome.poll_after == 0.1


async def test_the_fake_delivers_the_finished_prediction_to_the_webhook(
    fake: FakeWaveSpeed, ctx: ProviderContext
) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put(orjson.loads(await request.read()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        p = provider(fake.url)
        submitted = await p.submit(job(webhook=f"http://{host}:{port}/hook"), ctx)
        assert isinstance(submitted, Submitted)
        prediction = await asyncio.wait_for(received.get(), 5)
        assert prediction["id"] == submitted.upstream_id and "code" not in prediction
        outcome = WaveSpeedTranslator().parse_prediction(job(), prediction, None)
        assert isinstance(outcome, Succeeded) and len(outcome.artifacts) == 1
    finally:
        await runner.cleanup()


async def test_the_credential_is_in_no_failure(fake: FakeWaveSpeed, ctx: ProviderContext) -> None:
    p = provider(fake.url, timeout=0.3)
    outcome, _ = await run(p, job("wavespeed:fail"), ctx)
    assert isinstance(outcome, Failed)
    messages = [outcome.message]
    for prompt in ("wavespeed:reset", "wavespeed:500", "wavespeed:malformed", "wavespeed:stall"):
        failed = await p.submit(job(prompt), ctx)
        assert isinstance(failed, Failed)
        messages.append(failed.message)
    assert not any(TOKEN in m for m in messages)
    assert TOKEN not in repr(p)


# -- the standalone fake ---------------------------------------------------------------


async def test_the_standalone_fake_counts_creations(tmp_path: Path, ctx: ProviderContext) -> None:
    counter = tmp_path / "creations.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.wavespeed",
            "--port",
            "0",
            "--counter-file",
            str(counter),
            "--complete-after",
            "0.2",
            "--token",
            TOKEN,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 10)
        url = line.strip().removeprefix("FAKE_WAVESPEED_URL=")
        assert url.startswith("http://127.0.0.1:")
        p = provider(url)
        ids = []
        for i in range(3):
            outcome = await p.submit(job(f"counted #{i}"), ctx)
            assert isinstance(outcome, Submitted)
            ids.append(outcome.upstream_id)
        assert counter.read_text().splitlines() == ids
        async with ctx.session.get(f"{url}/health") as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0
