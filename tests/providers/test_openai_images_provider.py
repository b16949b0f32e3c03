"""The OpenAI Images adapter against the fake OpenAI Images API on loopback."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from PIL import Image

from apiinone.errors import InvalidRequest
from apiinone.providers.base import Failed, JobRequest, ProviderContext, Succeeded
from apiinone.providers.http import ChannelConfig, HttpFailed
from apiinone.providers.openai_images import OpenAIImagesProvider, build
from tests.fakes.openai_images import FakeOpenAIImages
from tests.support.openai_schema import validate

KEY = "sk-proj-provider-test-key-1234567890abcdef"


def png(colour: tuple[int, int, int], size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(out, format="JPEG")
    return out.getvalue()


INPUTS = {
    "https://img.test/red.png": (png((220, 10, 10)), "image/png"),
    "https://img.test/blue.jpg": (jpeg((10, 10, 220)), "image/jpeg"),
    "https://img.test/anim.gif": (b"GIF89a\x01\x00\x01\x00", "image/gif"),
    "https://img.test/lying.bin": (png((10, 200, 10)), "application/octet-stream"),
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAIImages]:
    async with FakeOpenAIImages(key=KEY) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def fetch(url: str) -> tuple[bytes, str]:
        if url not in INPUTS:
            raise InvalidRequest(f"'input_urls' could not be fetched: {url}", param="input_urls")
        return INPUTS[url]

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=fetch)


def provider(fake: FakeOpenAIImages, *, key: str = KEY, **options: Any) -> OpenAIImagesProvider:
    channel = ChannelConfig(
        name="fake-openai/gpt-image-1.5-official",
        base_url=f"{fake.url}/v1",
        credential=key,
        upstream_model="gpt-image-1.5",
        options=options,
    )
    return build(channel)


def job(prompt: str = "a lighthouse at dusk", **params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_abc",
        model="gpt-image-1.5-official",
        variant=None,
        endpoint="/api/v1/images/generations",
        kind="image",
        params={"prompt": prompt, "aspect_ratio": "1:1", "quality": "medium", **params},
    )


def image_of(data: bytes | None) -> Image.Image:
    assert data is not None
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def test_a_generation(fake: FakeOpenAIImages, ctx: ProviderContext) -> None:
    outcome = await provider(fake).submit(job(aspect_ratio="2:3", quality="high"), ctx)
    assert isinstance(outcome, Succeeded), outcome
    (art,) = outcome.artifacts
    assert (art.content_type, art.name) == ("image/png", "image-0.png")
    image = image_of(art.data)
    assert image.format == "PNG" and image.size == (1024, 1536)
    assert outcome.result is not None and outcome.result["size"] == "1024x1536"
    assert outcome.result["usage"]["output_tokens"] == 4160
    (received,) = fake.requests
    assert received.path == "/v1/images/generations"
    assert received.fields == {
        "model": "gpt-image-1.5",
        "prompt": "a lighthouse at dusk",
        "size": "1024x1536",
        "quality": "high",
        "n": 1,
        "output_format": "png",
    }


async def test_output_format_and_background_from_the_channel(
    fake: FakeOpenAIImages, ctx: ProviderContext
) -> None:
    p = provider(fake, defaults={"output_format": "webp", "background": "transparent"})
    outcome = await p.submit(job(aspect_ratio="3:2"), ctx)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert (art.content_type, art.name) == ("image/webp", "image-0.webp")
    image = image_of(art.data)
    assert image.size == (1536, 1024) and image.mode == "RGBA"


async def test_an_edit_sends_the_fetched_images(
    fake: FakeOpenAIImages, ctx: ProviderContext
) -> None:
    urls = ["https://img.test/red.png", "https://img.test/blue.jpg", "https://img.test/lying.bin"]
    outcome = await provider(fake).submit(job("make it pop", input_urls=urls), ctx)
    assert isinstance(outcome, Succeeded), outcome
    (received,) = fake.requests
    assert received.path == "/v1/images/edits"
    assert received.images == [("PNG", (32, 24)), ("JPEG", (20, 20)), ("PNG", (32, 24))]
    assert received.fields["prompt"] == "make it pop" and received.fields["size"] == "1024x1024"
    image = image_of(outcome.artifacts[0].data).convert("RGB")
    red, green, blue = image.getpixel((512, 512))  # type: ignore[misc]
    assert red > 200 and green < 30 and blue < 30  # the fake paints with the first input


async def test_an_input_openai_cannot_take_fails_before_any_request(
    fake: FakeOpenAIImages, ctx: ProviderContext
) -> None:
    urls = ["https://img.test/red.png", "https://img.test/anim.gif"]
    outcome = await provider(fake).submit(job(input_urls=urls), ctx)
    assert isinstance(outcome, Failed) and not outcome.retryable
    assert outcome.code == "invalid_input" and "input_urls[1]" in outcome.message
    assert fake.attempts == 0


async def test_an_input_that_cannot_be_fetched_is_the_engines_error(
    fake: FakeOpenAIImages, ctx: ProviderContext
) -> None:
    with pytest.raises(InvalidRequest):
        await provider(fake).submit(job(input_urls=["https://img.test/missing.png"]), ctx)
    assert fake.attempts == 0


@pytest.mark.parametrize(
    ("prompt", "code", "retryable"),
    [
        ("openai:policy", "upstream_content_policy", False),
        ("openai:quota", "upstream_quota_exceeded", False),
        ("openai:500", "upstream_unavailable", True),
        ("openai:malformed", "upstream_malformed", True),
        ("openai:reset", "upstream_unreachable", True),
    ],
)
async def test_forced_failures(
    fake: FakeOpenAIImages, ctx: ProviderContext, prompt: str, code: str, retryable: bool
) -> None:
    outcome = await provider(fake).submit(job(f"draw {prompt} please"), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == (code, retryable)
    assert KEY not in outcome.message


async def test_a_policy_refusal_says_why(fake: FakeOpenAIImages, ctx: ProviderContext) -> None:
    outcome = await provider(fake).submit(job("openai:policy"), ctx)
    assert isinstance(outcome, HttpFailed) and outcome.status == 400
    assert "content policy" in outcome.message and "safety system" in outcome.message


async def test_429_once_then_it_works(fake: FakeOpenAIImages, ctx: ProviderContext) -> None:
    p = provider(fake)
    first = await p.submit(job("openai:429"), ctx)
    assert isinstance(first, HttpFailed)
    assert (first.code, first.retryable, first.retry_after) == ("upstream_rate_limited", True, 1.0)
    second = await p.submit(job("openai:429"), ctx)
    assert isinstance(second, Succeeded)
    assert fake.attempts == 2 and len(fake.requests) == 1


async def test_a_stall_times_out_as_retryable(fake: FakeOpenAIImages, ctx: ProviderContext) -> None:
    started = time.monotonic()
    outcome = await provider(fake, timeout=0.3).submit(job("openai:stall"), ctx)
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)


async def test_a_wrong_key_is_not_retryable_and_never_echoed(
    fake: FakeOpenAIImages, ctx: ProviderContext
) -> None:
    wrong = "sk-proj-wrong-key-0000000000000000000000"
    outcome = await provider(fake, key=wrong).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_auth_failed", False, 401)
    assert "Incorrect API key" in outcome.message
    assert wrong not in outcome.message and KEY not in outcome.message


async def test_nothing_to_poll_or_cancel(fake: FakeOpenAIImages, ctx: ProviderContext) -> None:
    p = provider(fake)
    outcome = await p.poll(job(), "anything", None, ctx)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_not_pollable"
    await p.cancel(job(), "anything", ctx)
    assert fake.attempts == 0 and KEY not in repr(p)


async def test_the_fake_speaks_the_documented_schemas(
    fake: FakeOpenAIImages, ctx: ProviderContext
) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    url = f"{fake.url}/v1/images/generations"
    body = {"model": "gpt-image-1.5", "prompt": "a cat", "n": 2, "size": "1024x1024"}
    async with ctx.session.post(url, json=body, headers=auth) as r:
        assert r.status == 200
        answer = orjson.loads(await r.read())
    validate("ImagesResponse", answer)
    assert len(answer["data"]) == 2
    for bad in (
        {"model": "gpt-image-1.5", "prompt": "x", "size": "1792x1024"},
        {"model": "gpt-image-1.5", "prompt": "x", "response_format": "url"},
        {"model": "gpt-image-1.5", "prompt": "openai:policy"},
    ):
        async with ctx.session.post(url, json=bad, headers=auth) as r:
            assert r.status == 400
            validate("ErrorResponse", orjson.loads(await r.read()))
    async with ctx.session.post(url, json=body) as r:
        assert r.status == 401
        validate("ErrorResponse", orjson.loads(await r.read()))
