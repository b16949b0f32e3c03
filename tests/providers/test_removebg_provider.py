"""The remove.bg adapter against the fake remove.bg API on loopback."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image

from apiinone.providers.base import Failed, JobRequest, ProviderContext, Succeeded
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpJobProvider
from apiinone.providers.removebg import build
from tests.fakes.removebg import FakeRemoveBg

KEY = "rbProviderTestKey0123456789"
IMAGE = "https://cdn.example.com/shoe.jpg"


@pytest.fixture
async def fake() -> AsyncIterator[FakeRemoveBg]:
    async with FakeRemoveBg(key=KEY) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("remove.bg fetches the image itself")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def provider(fake: FakeRemoveBg, *, key: str = KEY, **options: Any) -> HttpJobProvider:
    channel = ChannelConfig(
        name="fake-removebg/bg-remover",
        base_url=fake.url,
        credential=key,
        upstream_model="removebg",
        options=options,
    )
    return build(channel)


def job(image: str = IMAGE) -> JobRequest:
    return JobRequest(
        task_id="task_abc",
        model="bg-remover",
        variant=None,
        endpoint="/api/v1/images/tools/remove-bg",
        kind="tool",
        params={"image": image},
    )


async def test_a_cutout_with_alpha(fake: FakeRemoveBg, ctx: ProviderContext) -> None:
    outcome = await provider(fake).submit(job(), ctx)
    assert isinstance(outcome, Succeeded), outcome
    (art,) = outcome.artifacts
    assert (art.content_type, art.name) == ("image/png", "no-bg.png")
    assert art.data is not None
    with Image.open(io.BytesIO(art.data)) as image:
        assert image.format == "PNG" and image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]
        assert image.getpixel((48, 32))[3] == 255  # type: ignore[index]
    assert outcome.result == {"type": "product", "width": 96, "height": 64, "credits_charged": 1.0}
    assert fake.requests == [{"image_url": IMAGE, "size": "auto", "format": "png"}]


async def test_channel_defaults_reach_remove_bg(fake: FakeRemoveBg, ctx: ProviderContext) -> None:
    outcome = await provider(fake, defaults={"format": "jpg", "size": "preview"}).submit(job(), ctx)
    assert isinstance(outcome, Succeeded)
    assert outcome.artifacts[0].content_type == "image/jpeg"
    assert fake.requests[0]["size"] == "preview"


async def test_402_is_final_and_says_so(fake: FakeRemoveBg, ctx: ProviderContext) -> None:
    outcome = await provider(fake).submit(job("https://cdn.example.com/removebg:402.jpg"), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (
        "upstream_insufficient_credits",
        False,
        402,
    )
    assert "run out of credits" in outcome.message and "Insufficient credits" in outcome.message


@pytest.mark.parametrize(
    ("knob", "code", "retryable"),
    [
        ("removebg:nofg", "upstream_rejected", False),
        ("removebg:500", "upstream_unavailable", True),
        ("removebg:malformed", "upstream_malformed", True),
        ("removebg:reset", "upstream_unreachable", True),
    ],
)
async def test_forced_failures(
    fake: FakeRemoveBg, ctx: ProviderContext, knob: str, code: str, retryable: bool
) -> None:
    outcome = await provider(fake).submit(job(f"https://cdn.example.com/{knob}.jpg"), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == (code, retryable)
    assert KEY not in outcome.message


async def test_429_once_then_it_works(fake: FakeRemoveBg, ctx: ProviderContext) -> None:
    p = provider(fake)
    url = "https://cdn.example.com/removebg:429.jpg"
    first = await p.submit(job(url), ctx)
    assert isinstance(first, HttpFailed)
    assert (first.code, first.retryable, first.retry_after) == ("upstream_rate_limited", True, 1.0)
    assert isinstance(await p.submit(job(url), ctx), Succeeded)
    assert fake.attempts == 2 and len(fake.requests) == 1


async def test_a_stall_times_out_as_retryable(fake: FakeRemoveBg, ctx: ProviderContext) -> None:
    started = time.monotonic()
    outcome = await provider(fake, timeout=0.3).submit(
        job("https://cdn.example.com/removebg:stall.jpg"), ctx
    )
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)


async def test_a_wrong_key(fake: FakeRemoveBg, ctx: ProviderContext) -> None:
    wrong = "rbWrongKey000000000000000"
    outcome = await provider(fake, key=wrong).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_auth_failed", False, 403)
    assert "API Key invalid" in outcome.message and wrong not in outcome.message


async def test_the_fake_answers_rate_limit_headers(
    fake: FakeRemoveBg, ctx: ProviderContext
) -> None:
    async with ctx.session.post(
        f"{fake.url}/v1.0/removebg",
        data={"image_url": "https://x.test/removebg:429.png", "size": "auto"},
        headers={"X-Api-Key": KEY},
    ) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "1" and r.headers["X-RateLimit-Remaining"] == "0"
        assert (await r.json())["errors"][0]["code"] == "rate_limit_exceeded"
    async with ctx.session.post(
        f"{fake.url}/v1.0/removebg",
        data={"image_url": IMAGE, "size": "huge"},
        headers={"X-Api-Key": KEY},
    ) as r:
        assert r.status == 400
