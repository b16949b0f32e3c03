"""The MiniMax video adapter end to end against the fake MiniMax on loopback."""

from __future__ import annotations

import asyncio
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
from apiinone.providers.minimax import MiniMaxVideoTranslator, build
from tests.fakes.minimax import FakeMiniMax

TOKEN = "mm_provider_test_key_1234567890abcdef"
ROOT = Path(__file__).resolve().parents[2]
IMAGE = "https://gw.test/files/up_1/cat.png"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMiniMax]:
    async with FakeMiniMax(token=TOKEN, complete_after=0.3) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("the MiniMax adapter never fetches inputs itself")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def provider(
    url: str, *, token: str = TOKEN, timeout: float = 5.0, **options: Any
) -> HttpJobProvider:
    channel = ChannelConfig(
        name="fake-minimax/hailuo-2-3",
        base_url=url,
        credential=token,
        upstream_model="MiniMax-Hailuo-2.3",
        options=options,
    )
    return HttpJobProvider(
        channel.name, MiniMaxVideoTranslator(first_poll=0.05), channel, timeout=timeout
    )


def job(
    prompt: str = "a cat turns its head", webhook: str | None = None, **extra: Any
) -> JobRequest:
    params = {"prompt": prompt, "image": IMAGE, "duration": "6", "resolution": "768P"}
    return JobRequest(
        task_id="task_abc",
        model="hailuo-2-3",
        variant="hailuo/2-3-image-to-video-standard",
        endpoint="videos/generations",
        kind="video",
        params={**params, **extra},
        webhook_url=webhook,
    )


async def run(
    p: HttpJobProvider, j: JobRequest, ctx: ProviderContext
) -> tuple[PollOutcome, list[Running]]:
    """Submit, then poll (quicker than the adapter asks; at once when it says 0)."""
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted), submitted
    state = submitted.state
    seen: list[Running] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not seen or seen[-1].poll_after > 0:
            await asyncio.sleep(0.05)
        outcome = await p.poll(j, submitted.upstream_id, state, ctx)
        if not isinstance(outcome, Running):
            return outcome, seen
        seen.append(outcome)
        state = outcome.state if outcome.state is not None else state
    raise AssertionError("the task never finished")


async def test_query_then_retrieve_then_a_real_mp4(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    outcome, running = await run(provider(fake.url), job(duration="10"), ctx)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert (art.content_type, art.name) == ("video/mp4", "output-0.mp4")
    assert art.url is not None and art.url.startswith(f"{fake.url}/files/")
    async with ctx.session.get(art.url) as resp:  # the CDN needs no key
        assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
        data = await resp.read()
    assert data[4:8] == b"ftyp" and len(data) < 50_000
    # the query phase, then one step into the retrieve phase, polled at once
    states = [r.state for r in running]
    assert all(r.progress is None for r in running)
    assert {s["status"] for s in states[:-1] if s} <= {"Preparing", "Processing"}
    assert running[-1].poll_after == 0 and states[-1] == {
        "phase": "retrieve",
        "file_id": str(art.meta["file_id"]),
    }
    assert fake.retrieves == 1
    (made,) = fake.tasks()
    assert made["model"] == "MiniMax-Hailuo-2.3"
    assert made["first_frame_image"] == IMAGE and made["duration"] == 10
    assert made["resolution"] == "768P" and "image" not in made


async def test_a_queue_phase(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    outcome, running = await run(provider(fake.url), job("minimax:queue please"), ctx)
    assert isinstance(outcome, Succeeded)
    statuses = [r.state["status"] for r in running if r.state and "status" in r.state]
    assert statuses[:2] == ["Queueing", "Queueing"]
    waits = [r.poll_after for r in running[:3]]
    assert waits == sorted(waits) and waits[0] < waits[2]  # growing


async def test_a_failed_task(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    outcome, _ = await run(provider(fake.url), job("minimax:fail"), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_failed", False)
    assert "minimax:fail" in outcome.message


async def test_sensitive_output_fails_the_task(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    outcome, _ = await run(provider(fake.url), job("minimax:1027"), ctx)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_content_rejected"


@pytest.mark.parametrize(
    ("prompt", "code"),
    [
        ("minimax:1026", "upstream_content_rejected"),
        ("minimax:1008", "upstream_insufficient_balance"),
        ("minimax:2013", "upstream_rejected"),
    ],
)
async def test_refusals_with_http_200_are_final(
    fake: FakeMiniMax, ctx: ProviderContext, prompt: str, code: str
) -> None:
    outcome = await provider(fake.url).submit(job(prompt), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (code, False, 200)
    assert prompt.removeprefix("minimax:") in outcome.message
    assert fake.submissions == 0


async def test_a_string_duration_is_refused_by_minimax(
    fake: FakeMiniMax, ctx: ProviderContext
) -> None:
    # A channel mapping that renames without converting overrides the integer default.
    p = provider(fake.url, params={"duration": "duration"})
    outcome = await p.submit(job(), ctx)
    assert isinstance(outcome, HttpFailed) and outcome.code == "upstream_rejected"
    assert "duration must be the integer" in outcome.message


async def test_rate_limit_once_then_it_works(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    first = await p.submit(job("minimax:429"), ctx)
    assert isinstance(first, HttpFailed)
    assert (first.code, first.retryable) == ("upstream_rate_limited", True)
    assert "1002" in first.message
    second = await p.submit(job("minimax:429"), ctx)
    assert isinstance(second, Submitted)
    assert fake.submissions == 1 and fake.create_attempts == 2


@pytest.mark.parametrize(
    ("prompt", "code"),
    [
        ("minimax:reset", "upstream_unreachable"),
        ("minimax:500", "upstream_unavailable"),
        ("minimax:malformed", "upstream_malformed"),
    ],
)
async def test_transient_create_failures_are_retryable(
    fake: FakeMiniMax, ctx: ProviderContext, prompt: str, code: str
) -> None:
    outcome = await provider(fake.url).submit(job(prompt), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == (code, True)
    assert TOKEN not in outcome.message


async def test_forced_503(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    fake.fail_creates = 503
    outcome = await provider(fake.url).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_unavailable", True, 503)


async def test_a_wrong_key_is_not_retryable_and_never_echoed(
    fake: FakeMiniMax, ctx: ProviderContext
) -> None:
    wrong = "mm_wrong_key_000000000000000000000000"
    outcome = await provider(fake.url, token=wrong).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable) == ("upstream_auth_failed", False)
    assert wrong not in outcome.message and TOKEN not in outcome.message


async def test_a_stalled_create_times_out_as_retryable(
    fake: FakeMiniMax, ctx: ProviderContext
) -> None:
    started = time.monotonic()
    outcome = await provider(fake.url, timeout=0.3).submit(job("minimax:stall"), ctx)
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)


async def test_an_outage_during_either_phase_keeps_the_task(
    fake: FakeMiniMax, ctx: ProviderContext
) -> None:
    p = provider(fake.url)
    j = job()
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted)
    await fake.close()
    for state in (submitted.state, {"phase": "retrieve", "file_id": "1"}):
        outcome = await p.poll(j, submitted.upstream_id, state, ctx)
        assert isinstance(outcome, Running) and outcome.state is not None
        assert outcome.state["http_transient_failures"] == 1
        assert outcome.state["phase"] == dict(state or {})["phase"]


async def test_an_unknown_task_fails(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    outcome = await provider(fake.url).poll(job(), "123", {"phase": "query", "polls": 0}, ctx)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_rejected"


async def test_build_gives_a_working_provider(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    channel = ChannelConfig(
        name="c",
        base_url=fake.url,
        credential=TOKEN,
        upstream_model="MiniMax-Hailuo-2.3",
        options={"poll_interval": 0.2},
    )
    outcome = await build(channel).submit(job(), ctx)
    assert isinstance(outcome, Submitted) and outcome.poll_after == 0.2


# -- callbacks ------------------------------------------------------------------------


async def receiver(echo: bool) -> tuple[web.AppRunner, str, asyncio.Queue[dict[str, Any]]]:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        if "challenge" in body:
            return web.json_response({"challenge": body["challenge"]} if echo else {})
        await received.put(body)
        return web.json_response({"status": "success"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/hook", received


async def test_callbacks_after_the_challenge(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    """With ``callbacks = true`` in the channel (off by default)."""
    runner, url, received = await receiver(echo=True)
    try:
        submitted = await provider(fake.url, callbacks=True).submit(job(webhook=url), ctx)
        assert isinstance(submitted, Submitted)
        assert fake.tasks()[0]["callback_url"] == url
        first = await asyncio.wait_for(received.get(), 5)
        last = await asyncio.wait_for(received.get(), 5)
        assert (first["status"], last["status"]) == ("processing", "success")
        outcome = MiniMaxVideoTranslator().parse_query(job(), last, None)
        assert isinstance(outcome, Running) and outcome.state is not None
        assert outcome.state["phase"] == "retrieve"
    finally:
        await runner.cleanup()


async def test_no_callbacks_without_the_challenge(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    runner, url, received = await receiver(echo=False)
    try:
        outcome, _ = await run(provider(fake.url, callbacks=True), job(webhook=url), ctx)
        assert isinstance(outcome, Succeeded)  # polling alone finishes the task
        assert received.empty() and fake.callbacks_sent == []
    finally:
        await runner.cleanup()


async def test_the_credential_is_in_no_failure(fake: FakeMiniMax, ctx: ProviderContext) -> None:
    p = provider(fake.url, timeout=0.3)
    messages = []
    for prompt in ("minimax:fail", "minimax:1027"):
        outcome, _ = await run(p, job(prompt), ctx)
        assert isinstance(outcome, Failed)
        messages.append(outcome.message)
    for prompt in (
        "minimax:reset",
        "minimax:500",
        "minimax:malformed",
        "minimax:stall",
        "minimax:1026",
    ):
        failed = await p.submit(job(prompt), ctx)
        assert isinstance(failed, Failed)
        messages.append(failed.message)
    assert not any(TOKEN in m for m in messages)
    assert TOKEN not in repr(p)


# -- the standalone fake ---------------------------------------------------------------


async def test_the_standalone_fake_counts_creations(tmp_path: Path, ctx: ProviderContext) -> None:
    counter = tmp_path / "creations.log"
    command = [sys.executable, "-m", "tests.fakes.minimax", "--port", "0"]
    command += ["--counter-file", str(counter), "--complete-after", "0.2", "--token", TOKEN]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 10)
        url = line.strip().removeprefix("FAKE_MINIMAX_URL=")
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
