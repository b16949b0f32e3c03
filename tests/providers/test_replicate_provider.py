"""The Replicate adapter end to end against the fake Replicate on loopback."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from PIL import Image
from standardwebhooks.webhooks import Webhook

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
from apiinone.providers.replicate import (
    ReplicateTranslator,
    WebhookSignatureError,
    build,
    verify_replicate_webhook,
)
from tests.fakes.replicate import DEFAULT_SECRET, FakeReplicate

TOKEN = "r8_provider_test_token_1234567890abcdef"
ROOT = Path(__file__).resolve().parents[2]
VERSION = "a" * 64


@pytest.fixture
async def fake() -> AsyncIterator[FakeReplicate]:
    async with FakeReplicate(token=TOKEN, complete_after=0.3) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("the Replicate adapter never fetches inputs itself")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def provider(
    url: str,
    *,
    token: str = TOKEN,
    timeout: float = 5.0,
    model: str = "black-forest-labs/flux-schnell",
) -> HttpJobProvider:
    channel = ChannelConfig(
        name="fake-replicate/flux-2", base_url=url, credential=token, upstream_model=model
    )
    return HttpJobProvider(channel.name, ReplicateTranslator(), channel, timeout=timeout)


def job(prompt: str = "a lighthouse", **params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_abc",
        model="flux-2",
        variant=None,
        endpoint="images/generations",
        kind="image",
        params={"prompt": prompt, "callback_url": "https://client.test/hook", **params},
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
    fake: FakeReplicate, ctx: ProviderContext
) -> None:
    outcome, running = await run(provider(fake.url), job(), ctx)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.url is not None and art.url.startswith(f"{fake.url}/files/")
    assert (art.content_type, art.name) == ("image/png", "output-0.png")
    data, content_type = await fetch(ctx, art.url)
    assert content_type == "image/png"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (64, 64)
    assert any(r.progress is not None for r in running)  # read from the logs
    assert [r.state["polls"] for r in running if r.state] == list(range(1, len(running) + 1))
    assert fake.submissions == 1
    (created,) = fake.predictions()
    assert created["input"] == {"prompt": "a lighthouse"}  # callback_url is ours, not theirs


async def test_a_version_and_a_list_of_outputs(fake: FakeReplicate, ctx: ProviderContext) -> None:
    p = provider(fake.url, model=f"someone/model:{VERSION}")
    outcome, _ = await run(p, job(num_outputs=2), ctx)
    assert isinstance(outcome, Succeeded)
    assert [a.name for a in outcome.artifacts] == ["output-0.png", "output-1.png"]
    (created,) = fake.predictions()
    assert created["version"] == VERSION  # only the version id is sent: it names the model


async def test_a_video_model_gives_an_mp4(fake: FakeReplicate, ctx: ProviderContext) -> None:
    outcome, _ = await run(provider(fake.url), job(duration=1), ctx)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.content_type == "video/mp4" and art.url is not None
    data, _ = await fetch(ctx, art.url)
    assert data[4:8] == b"ftyp"


async def test_a_failed_prediction(fake: FakeReplicate, ctx: ProviderContext) -> None:
    outcome, _ = await run(provider(fake.url), job("replicate:fail"), ctx)
    assert isinstance(outcome, Failed)
    assert outcome.code == "upstream_failed" and not outcome.retryable
    assert "CUDA out of memory" in outcome.message


async def test_an_expired_output(fake: FakeReplicate, ctx: ProviderContext) -> None:
    outcome, _ = await run(provider(fake.url), job("replicate:expired"), ctx)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_output_expired"


@pytest.mark.parametrize(
    ("prompt", "code"),
    [
        ("replicate:reset", "upstream_unreachable"),
        ("replicate:500", "upstream_unavailable"),
        ("replicate:malformed", "upstream_malformed"),
    ],
)
async def test_transient_create_failures_are_retryable(
    fake: FakeReplicate, ctx: ProviderContext, prompt: str, code: str
) -> None:
    outcome = await provider(fake.url).submit(job(prompt), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == (code, True)
    assert TOKEN not in outcome.message


async def test_forced_503(fake: FakeReplicate, ctx: ProviderContext) -> None:
    fake.fail_creates = 503
    outcome = await provider(fake.url).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_unavailable", True, 503)
    assert fake.submissions == 0


async def test_429_once_then_it_works(fake: FakeReplicate, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    first = await p.submit(job("replicate:429"), ctx)
    assert isinstance(first, HttpFailed)
    assert (first.code, first.retryable, first.retry_after) == ("upstream_rate_limited", True, 1.0)
    second = await p.submit(job("replicate:429"), ctx)
    assert isinstance(second, Submitted)
    assert fake.submissions == 1 and fake.create_attempts == 2


async def test_a_wrong_key_is_not_retryable_and_never_echoed(
    fake: FakeReplicate, ctx: ProviderContext
) -> None:
    wrong = "r8_wrong_key_0000000000000000000000000"
    outcome = await provider(fake.url, token=wrong).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_auth_failed", False, 401)
    assert wrong not in outcome.message and TOKEN not in outcome.message


async def test_a_stalled_create_times_out_as_retryable(
    fake: FakeReplicate, ctx: ProviderContext
) -> None:
    started = time.monotonic()
    outcome = await provider(fake.url, timeout=0.3).submit(job("replicate:stall"), ctx)
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)


async def test_cancel(fake: FakeReplicate, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    j = job()
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted)
    await p.cancel(j, submitted.upstream_id, ctx)
    outcome = await p.poll(j, submitted.upstream_id, submitted.state, ctx)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_canceled"
    await p.cancel(j, "no-such-prediction", ctx)  # best effort: a 404 is not an error


async def test_a_poll_during_an_outage_keeps_the_task(
    fake: FakeReplicate, ctx: ProviderContext
) -> None:
    p = provider(fake.url)
    j = job()
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted)
    await fake.close()
    outcome = await p.poll(j, submitted.upstream_id, submitted.state, ctx)
    assert isinstance(outcome, Running) and outcome.state is not None
    assert outcome.state["http_transient_failures"] == 1


async def test_the_credential_is_in_no_failure(fake: FakeReplicate, ctx: ProviderContext) -> None:
    p = provider(fake.url, timeout=0.3)
    messages = []
    for prompt in ("replicate:fail", "replicate:expired"):
        outcome, _ = await run(p, job(prompt), ctx)
        assert isinstance(outcome, Failed)
        messages.append(outcome.message)
    for prompt in ("replicate:reset", "replicate:500", "replicate:malformed", "replicate:stall"):
        failed = await p.submit(job(prompt), ctx)
        assert isinstance(failed, Failed)
        messages.append(failed.message)
    assert messages and not any(TOKEN in m for m in messages)
    assert TOKEN not in repr(p)


async def test_build_gives_a_working_provider(fake: FakeReplicate, ctx: ProviderContext) -> None:
    channel = ChannelConfig(
        name="c", base_url=fake.url, credential=TOKEN, upstream_model="owner/model"
    )
    outcome = await build(channel).submit(job(), ctx)
    assert isinstance(outcome, Submitted)


# -- the standalone fake ---------------------------------------------------------------


async def test_the_standalone_fake_counts_creations(tmp_path: Path, ctx: ProviderContext) -> None:
    counter = tmp_path / "creations.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.replicate",
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
        url = line.strip().removeprefix("FAKE_REPLICATE_URL=")
        assert url.startswith("http://127.0.0.1:")
        p = provider(url)
        ids = []
        for i in range(3):
            outcome = await p.submit(job(f"counted #{i}"), ctx)
            assert isinstance(outcome, Submitted)
            ids.append(outcome.upstream_id)
        assert [line.split("\t", 1)[0] for line in counter.read_text().splitlines()] == ids
        async with ctx.session.get(f"{url}/health") as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0


# -- webhooks --------------------------------------------------------------------------


def signed(body: bytes, secret: str = DEFAULT_SECRET, *, age: float = 0) -> dict[str, str]:
    stamp = datetime.now(UTC) - timedelta(seconds=age)
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_1", stamp, body.decode()),
    }


def test_a_good_signature_gives_the_prediction() -> None:
    body = orjson.dumps({"id": "p1", "status": "succeeded"})
    headers = {k.title(): v for k, v in signed(body).items()}  # header case does not matter
    assert verify_replicate_webhook(DEFAULT_SECRET, headers, body) == {
        "id": "p1",
        "status": "succeeded",
    }


@pytest.mark.parametrize(
    "case", ["tampered", "wrong-secret", "old", "missing", "garbage", "bad-secret", "not-object"]
)
def test_bad_signatures_are_refused(case: str) -> None:
    body = orjson.dumps({"id": "p1", "status": "succeeded"})
    headers = signed(body)
    secret = DEFAULT_SECRET
    if case == "tampered":
        body = body.replace(b"p1", b"p2")
    elif case == "wrong-secret":
        headers = signed(body, "whsec_" + "b" * 44)
    elif case == "old":
        headers = signed(body, age=600)
    elif case == "missing":
        del headers["webhook-signature"]
    elif case == "garbage":
        headers["webhook-signature"] = "v1 nocomma"
    elif case == "bad-secret":
        secret = "whsec_"
    elif case == "not-object":
        body = b"[1, 2]"
        headers = signed(body)
    with pytest.raises(WebhookSignatureError):
        verify_replicate_webhook(secret, headers, body)


async def test_the_fake_delivers_a_signed_webhook(
    fake: FakeReplicate, ctx: ProviderContext
) -> None:
    received: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((dict(request.headers), await request.read()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        async with ctx.session.get(f"{fake.url}/v1/webhooks/default/secret", headers=auth) as r:
            secret = (await r.json())["key"]
        body = {"input": {"prompt": "hooked"}, "webhook": f"http://{host}:{port}/hook"}
        async with ctx.session.post(
            f"{fake.url}/v1/models/o/m/predictions", json=body, headers=auth
        ) as r:
            assert r.status == 201
        headers, raw = await asyncio.wait_for(received.get(), 5)
        prediction = verify_replicate_webhook(secret, headers, raw)
        assert prediction["status"] == "succeeded"
        outcome = ReplicateTranslator().parse_prediction(job(), prediction, None)
        assert isinstance(outcome, Succeeded) and len(outcome.artifacts) == 1
    finally:
        await runner.cleanup()
