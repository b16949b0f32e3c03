"""The ElevenLabs adapter against the fake text-to-dialogue API on loopback."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from apiinone.media import audio_info
from apiinone.providers.base import Failed, JobRequest, ProviderContext, Succeeded
from apiinone.providers.elevenlabs import build
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpJobProvider
from tests.fakes.elevenlabs import FakeElevenLabs

KEY = "sk_elevenlabs_provider_test_key_0123456789"
GEORGE, RACHEL, DOMI = "JBFqnCBsd6RMkjVDRZzb", "21m00Tcm4TlvDq8ikWAM", "AZnzlk1XvdvUeBnXmlld"


@pytest.fixture
async def fake() -> AsyncIterator[FakeElevenLabs]:
    async with FakeElevenLabs(key=KEY) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("the ElevenLabs adapter fetches nothing")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def provider(fake: FakeElevenLabs, *, key: str = KEY, **options: Any) -> HttpJobProvider:
    channel = ChannelConfig(
        name="fake-elevenlabs/elevenlabs-v3",
        base_url=fake.url,
        credential=key,
        upstream_model="eleven_v3",
        options={
            "voices": {"narrator": GEORGE, "guest": RACHEL},
            "default_voice_id": DOMI,
            **options,
        },
    )
    return build(channel)


def job(*lines: dict[str, Any], **params: Any) -> JobRequest:
    dialogue = list(lines) or [{"text": "Welcome to the show.", "voice": "narrator"}]
    return JobRequest(
        task_id="task_abc",
        model="elevenlabs-v3",
        variant=None,
        endpoint="/api/v1/audio/speech",
        kind="speech",
        params={"dialogue": dialogue, "stability": 0.5, "language_code": "auto", **params},
    )


async def test_a_dialogue_becomes_mp3(fake: FakeElevenLabs, ctx: ProviderContext) -> None:
    j = job(
        {"text": "Welcome to the show, everybody.", "voice": "narrator"},
        {"text": "Glad to be here.", "voice": "guest"},
        {"text": "Me too."},
        language_code="en",
    )
    outcome = await provider(fake).submit(j, ctx)
    assert isinstance(outcome, Succeeded), outcome
    (art,) = outcome.artifacts
    assert (art.content_type, art.name) == ("audio/mpeg", "speech.mp3")
    assert art.data is not None
    info = audio_info(art.data)
    assert info.format == "mp3" and info.sample_rate == 44100
    (received,) = fake.requests
    assert info.duration_seconds == pytest.approx(received.seconds, abs=0.4)
    assert received.output_format == "mp3_44100_128"
    assert received.body == {
        "inputs": [
            {"text": "Welcome to the show, everybody.", "voice_id": GEORGE},
            {"text": "Glad to be here.", "voice_id": RACHEL},
            {"text": "Me too.", "voice_id": DOMI},
        ],
        "model_id": "eleven_v3",
        "language_code": "en",
        "settings": {"stability": 0.5},
    }


async def test_longer_text_is_longer_audio(fake: FakeElevenLabs, ctx: ProviderContext) -> None:
    p = provider(fake)
    short = await p.submit(job({"text": "Hi."}), ctx)
    long = await p.submit(job({"text": "Hello and welcome to a much longer line. " * 2}), ctx)
    assert isinstance(short, Succeeded) and isinstance(long, Succeeded)
    assert short.artifacts[0].data is not None and long.artifacts[0].data is not None
    a = audio_info(short.artifacts[0].data).duration_seconds
    b = audio_info(long.artifacts[0].data).duration_seconds
    assert b > a + 2


@pytest.mark.parametrize(
    ("text", "code", "retryable", "says"),
    [
        ("elevenlabs:422", "upstream_rejected", False, "inputs.0.text: String should have"),
        ("elevenlabs:quota", "upstream_quota_exceeded", False, "exceeds your quota"),
        ("elevenlabs:500", "upstream_unavailable", True, "HTTP 500"),
        ("elevenlabs:malformed", "upstream_malformed", True, "not MP3"),
        ("elevenlabs:reset", "upstream_unreachable", True, "could not be reached"),
    ],
)
async def test_forced_failures(
    fake: FakeElevenLabs,
    ctx: ProviderContext,
    text: str,
    code: str,
    retryable: bool,
    says: str,
) -> None:
    outcome = await provider(fake).submit(job({"text": f"say {text} now"}), ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == (code, retryable)
    assert says in outcome.message and KEY not in outcome.message


async def test_429_once_then_it_works(fake: FakeElevenLabs, ctx: ProviderContext) -> None:
    p = provider(fake)
    first = await p.submit(job({"text": "elevenlabs:429"}), ctx)
    assert isinstance(first, HttpFailed)
    assert (first.code, first.retryable, first.retry_after) == ("upstream_rate_limited", True, 1.0)
    assert "concurrent requests" in first.message
    assert isinstance(await p.submit(job({"text": "elevenlabs:429"}), ctx), Succeeded)
    assert fake.attempts == 2


async def test_a_stall_times_out_as_retryable(fake: FakeElevenLabs, ctx: ProviderContext) -> None:
    started = time.monotonic()
    outcome = await provider(fake, timeout=0.3).submit(job({"text": "elevenlabs:stall"}), ctx)
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)


async def test_more_than_ten_voices_is_refused(fake: FakeElevenLabs, ctx: ProviderContext) -> None:
    lines = [{"text": f"line {i}", "voice": f"Voice{i:02d}abcdefghijklm"} for i in range(11)]
    outcome = await provider(fake).submit(job(*lines), ctx)
    assert isinstance(outcome, HttpFailed) and not outcome.retryable
    assert outcome.status == 422 and "at most 10" in outcome.message


async def test_an_unknown_voice_id(fake: FakeElevenLabs, ctx: ProviderContext) -> None:
    outcome = await provider(fake, default_voice_id="ZZZZZZZZZZZZZZZZZZZZ").submit(
        job({"text": "who am I?", "voice": "nobody"}), ctx
    )
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable) == ("upstream_not_found", False)
    assert "ZZZZZZZZZZZZZZZZZZZZ" in outcome.message


async def test_a_wrong_key(fake: FakeElevenLabs, ctx: ProviderContext) -> None:
    wrong = "sk_wrong_key_000000000000000000000"
    outcome = await provider(fake, key=wrong).submit(job(), ctx)
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_auth_failed", False, 401)
    assert wrong not in outcome.message


async def test_the_fake_validates_like_elevenlabs(
    fake: FakeElevenLabs, ctx: ProviderContext
) -> None:
    url = f"{fake.url}/v1/text-to-dialogue"
    headers = {"xi-api-key": KEY}
    async with ctx.session.post(url, json={"inputs": [{"text": "x"}]}, headers=headers) as r:
        assert r.status == 422
        (problem,) = (await r.json())["detail"]
        assert problem["loc"] == ["body", "inputs", 0, "voice_id"]
    async with ctx.session.post(
        url, params={"output_format": "mp3_1_1"}, json={}, headers=headers
    ) as r:
        assert r.status == 422
