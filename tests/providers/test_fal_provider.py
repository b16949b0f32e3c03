"""The fal adapter end to end against the fake fal queue on loopback."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
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
from apiinone.providers.fal import build, parse_fal_webhook
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpJobProvider
from tests.fakes.fal import FakeFal

KEY = "fal-provider-test-id:fal-provider-test-secret-123456"
ROOT = Path(__file__).resolve().parents[2]
FLUX = "fal-ai/flux-2-pro"
KLING = "fal-ai/kling-video/v3/standard/text-to-video"
MAPPING = {
    "params": {
        "aspect_ratio": {
            "to": "image_size",
            "values": {"16:9": "landscape_16_9", "1:1": "square_hd"},
        },
        "resolution": "",
    }
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeFal]:
    async with FakeFal(key=KEY) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("the fal adapter never fetches inputs itself")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def provider(
    url: str, *, key: str = KEY, model: str = FLUX, timeout: float = 5.0, **options: Any
) -> HttpJobProvider:
    channel = ChannelConfig(
        name="fake-fal/flux-2",
        base_url=url,
        credential=key,
        upstream_model=model,
        options={"timeout": timeout, "poll_interval": 0.05, **MAPPING, **options},
    )
    return build(channel)


def job(prompt: str = "a lighthouse", webhook_url: str | None = None, **params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_fal",
        model="flux-2",
        variant=None,
        endpoint="images/generations",
        kind="image",
        params={
            "prompt": prompt,
            "aspect_ratio": "16:9",
            "resolution": "1K",
            "callback_url": "https://client.test/hook",
            **params,
        },
        webhook_url=webhook_url,
    )


async def run(
    p: HttpJobProvider, j: JobRequest, ctx: ProviderContext
) -> tuple[Submitted, PollOutcome, list[Running]]:
    """Submit, then poll as the engine would (sooner than asked) until the job ends."""
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted), submitted
    state = submitted.state
    seen: list[Running] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        outcome = await p.poll(j, submitted.upstream_id, state, ctx)
        if not isinstance(outcome, Running):
            return submitted, outcome, seen
        seen.append(outcome)
        state = outcome.state if outcome.state is not None else state
    raise AssertionError("the request never finished")


async def fetch(ctx: ProviderContext, url: str) -> tuple[bytes, str]:
    async with ctx.session.get(url) as resp:
        assert resp.status == 200
        return await resp.read(), resp.headers["Content-Type"]


async def test_every_phase_to_a_png(fake: FakeFal, ctx: ProviderContext) -> None:
    submitted, outcome, running = await run(provider(fake.url), job(), ctx)
    assert submitted.state is not None and submitted.state["queue_position"] == 2
    states = [r.state or {} for r in running]
    assert [s.get("queue_position") for s in states[:2]] == [1, 0]  # counting down
    progress = [r.progress for r in running[2:5]]
    assert progress == [33, 66, 99]  # read from the runner's logs
    assert states[5]["phase"] == "result" and running[5].poll_after == 0
    assert len(running) == 6
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.url is not None and art.url.startswith(f"{fake.url}/files/")
    assert (art.content_type, art.name) == ("image/png", "output-0.png")
    data, content_type = await fetch(ctx, art.url)
    assert content_type == "image/png"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (64, 64)
    assert outcome.result is not None and outcome.result["images"][0]["url"] == "artifact:0"
    (queued,) = fake.requests()
    assert queued["endpoint"] == FLUX
    assert queued["input"] == {"prompt": "a lighthouse", "image_size": "landscape_16_9"}
    assert queued["webhook"] is None


async def test_a_video_app_with_a_sub_path(fake: FakeFal, ctx: ProviderContext) -> None:
    _, outcome, _ = await run(provider(fake.url, model=KLING), job(duration="5"), ctx)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.content_type == "video/mp4" and art.url is not None
    data, _ = await fetch(ctx, art.url)
    assert data[4:8] == b"ftyp"
    assert fake.requests()[0]["endpoint"] == KLING


async def test_an_audio_app(fake: FakeFal, ctx: ProviderContext) -> None:
    _, outcome, _ = await run(provider(fake.url, model="fal-ai/some-tts/speech"), job(), ctx)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.content_type == "audio/wav" and art.url is not None
    data, _ = await fetch(ctx, art.url)
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnframes() == 2000


@pytest.mark.parametrize(
    ("prompt", "text"),
    [
        ("fal:error", "fal: Runner crashed (forced by fal:error) [internal_error]"),
        ("fal:nsfw", "(content_policy_violation)"),
    ],
)
async def test_a_failed_request(
    fake: FakeFal, ctx: ProviderContext, prompt: str, text: str
) -> None:
    _, outcome, _ = await run(provider(fake.url), job(prompt), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_failed", False)
    assert text in outcome.message


async def test_a_refused_input(fake: FakeFal, ctx: ProviderContext) -> None:
    outcome = await provider(fake.url).submit(job("fal:422"), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_failed", False, 422)
    assert "prompt: The prompt is not allowed" in outcome.message
    assert fake.submissions == 0


@pytest.mark.parametrize(
    ("prompt", "code"),
    [
        ("fal:reset", "upstream_unreachable"),
        ("fal:500", "upstream_unavailable"),
        ("fal:malformed", "upstream_malformed"),
    ],
)
async def test_transient_submit_failures_are_retryable(
    fake: FakeFal, ctx: ProviderContext, prompt: str, code: str
) -> None:
    outcome = await provider(fake.url).submit(job(prompt), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == (code, True)
    assert KEY not in outcome.message


async def test_429_once_then_it_works(fake: FakeFal, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    first = await p.submit(job("fal:429"), ctx)
    assert isinstance(first, HttpFailed)
    assert (first.code, first.retryable, first.retry_after) == ("upstream_rate_limited", True, 1.0)
    second = await p.submit(job("fal:429"), ctx)
    assert isinstance(second, Submitted)
    assert fake.submissions == 1 and fake.submit_attempts == 2


async def test_a_stalled_submit_times_out_as_retryable(fake: FakeFal, ctx: ProviderContext) -> None:
    started = time.monotonic()
    outcome = await provider(fake.url, timeout=0.3).submit(job("fal:stall"), ctx)
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)


async def test_a_wrong_key_is_refused_and_never_echoed(fake: FakeFal, ctx: ProviderContext) -> None:
    wrong = "fal-wrong-id:fal-wrong-secret-000000"
    outcome = await provider(fake.url, key=wrong).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_auth_failed", False, 401)
    assert wrong not in outcome.message and KEY not in outcome.message
    submitted = await provider(fake.url).submit(job(), ctx)
    assert isinstance(submitted, Submitted)
    polled = await provider(fake.url, key=wrong).poll(
        job(), submitted.upstream_id, submitted.state, ctx
    )
    assert isinstance(polled, Failed) and polled.code == "upstream_auth_failed"


async def test_cancel(fake: FakeFal, ctx: ProviderContext) -> None:
    p = provider(fake.url, model=KLING)
    j = job()
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted)
    await p.cancel(j, submitted.upstream_id, ctx)  # built from owner/app: no sub-path
    outcome = await p.poll(j, submitted.upstream_id, submitted.state, ctx)
    assert isinstance(outcome, Failed) and "cancelled" in outcome.message
    await p.cancel(j, "no-such-request", ctx)  # best effort: a 404 is not an error


async def test_polls_without_saved_urls_find_the_request(
    fake: FakeFal, ctx: ProviderContext
) -> None:
    p = provider(fake.url, model=KLING)
    submitted = await p.submit(job(), ctx)
    assert isinstance(submitted, Submitted)
    outcome = await p.poll(job(), submitted.upstream_id, None, ctx)
    assert isinstance(outcome, Running) and outcome.state is not None
    assert outcome.state["queue_position"] == 1


async def test_a_poll_during_an_outage_keeps_the_task(fake: FakeFal, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    submitted = await p.submit(job(), ctx)
    assert isinstance(submitted, Submitted)
    await fake.close()
    outcome = await p.poll(job(), submitted.upstream_id, submitted.state, ctx)
    assert isinstance(outcome, Running) and outcome.state is not None
    assert outcome.state["http_transient_failures"] == 1
    assert outcome.state["phase"] == "status"


async def test_the_key_is_in_no_failure(fake: FakeFal, ctx: ProviderContext) -> None:
    p = provider(fake.url, timeout=0.3)
    messages = []
    for prompt in ("fal:error", "fal:nsfw"):
        _, outcome, _ = await run(p, job(prompt), ctx)
        assert isinstance(outcome, Failed)
        messages.append(outcome.message)
    for prompt in ("fal:422", "fal:reset", "fal:500", "fal:malformed", "fal:stall"):
        failed = await p.submit(job(prompt), ctx)
        assert isinstance(failed, Failed)
        messages.append(failed.message)
    assert len(messages) == 7 and not any(KEY in m for m in messages)
    assert KEY not in repr(p)


# -- webhooks ---------------------------------------------------------------------------


async def test_the_webhook_wakes_the_gateway(ctx: ProviderContext) -> None:
    received: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((dict(request.headers), await request.read()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hooks/fal/{task}", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    hook_url = f"http://{host}:{port}/hooks/fal/task_fal?sig=abc"
    try:
        async with FakeFal(key=KEY, complete_after=0.3) as fake:
            p = provider(fake.url)
            submitted = await p.submit(job(webhook_url=hook_url), ctx)
            assert isinstance(submitted, Submitted)
            assert fake.requests()[0]["webhook"] == hook_url  # the query string survived
            headers, body = await asyncio.wait_for(received.get(), 5)
            assert parse_fal_webhook(body) == (submitted.upstream_id, "OK")
            assert headers["X-Fal-Webhook-Request-Id"] == submitted.upstream_id
            # The poll is the truth: the webhook only said "look now".
            _, outcome, _ = await run(p, job(), ctx)
            assert isinstance(outcome, Succeeded)

            failing = await p.submit(job("fal:error", webhook_url=hook_url), ctx)
            assert isinstance(failing, Submitted)
            _, body = await asyncio.wait_for(received.get(), 5)
            assert parse_fal_webhook(body) == (failing.upstream_id, "ERROR")
    finally:
        await runner.cleanup()


# -- the standalone fake ----------------------------------------------------------------


async def test_the_standalone_fake_counts_submissions(tmp_path: Path, ctx: ProviderContext) -> None:
    counter = tmp_path / "submissions.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.fal",
            "--port",
            "0",
            "--counter-file",
            str(counter),
            "--key",
            KEY,
            "--complete-after",
            "0.2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 10)
        url = line.strip().removeprefix("FAKE_FAL_URL=")
        assert url.startswith("http://127.0.0.1:")
        p = provider(url)
        ids = []
        for i in range(3):
            outcome = await p.submit(job(f"counted #{i}"), ctx)
            assert isinstance(outcome, Submitted)
            ids.append(outcome.upstream_id)
        assert counter.read_text().splitlines() == ids
        await asyncio.sleep(0.25)  # complete_after: done without any poll in between
        submitted = await p.submit(job("late"), ctx)
        assert isinstance(submitted, Submitted)
        first = await p.poll(job(), ids[0], None, ctx)
        assert isinstance(first, Running) and first.state is not None
        assert first.state["phase"] == "result"
        async with ctx.session.get(f"{url}/health") as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0
