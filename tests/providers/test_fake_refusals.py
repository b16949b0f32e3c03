"""Each fake upstream refuses a body its endpoint's published schema refuses, in the shape its
service answers with, and accepts the same body once it conforms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.fakes.elevenlabs import DEFAULT_KEY as ELEVEN_KEY
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.fal import DEFAULT_KEY as FAL_KEY
from tests.fakes.fal import FakeFal
from tests.fakes.gemini import FakeGemini
from tests.fakes.minimax import DEFAULT_TOKEN as MINIMAX_TOKEN
from tests.fakes.minimax import FakeMiniMax
from tests.fakes.openai_chat import FakeOpenAI
from tests.fakes.openai_images import DEFAULT_KEY as IMAGES_KEY
from tests.fakes.openai_images import FakeOpenAIImages
from tests.fakes.removebg import DEFAULT_KEY as REMOVEBG_KEY
from tests.fakes.removebg import FakeRemoveBg
from tests.fakes.replicate import DEFAULT_TOKEN as REPLICATE_TOKEN
from tests.fakes.replicate import FakeReplicate
from tests.fakes.suno import DEFAULT_TOKEN as SUNO_TOKEN
from tests.fakes.suno import FakeSuno
from tests.fakes.wavespeed import DEFAULT_TOKEN as WAVESPEED_TOKEN
from tests.fakes.wavespeed import FakeWaveSpeed

Check = Callable[[int, Any], None]


def _fal(status: int, body: Any) -> None:
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "duration"]


def _replicate(status: int, body: Any) -> None:
    assert status == 422 and body["title"] == "Input validation failed"
    assert body["invalid_fields"][0]["field"] == "input.size"


def _wavespeed(status: int, body: Any) -> None:
    assert status == 400 and body["code"] == 400 and body["data"] is None
    assert "output_format" in body["message"]


def _minimax(status: int, body: Any) -> None:
    assert status == 200 and body["base_resp"]["status_code"] == 2013


def _eleven(status: int, body: Any) -> None:
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "settings", "stability"]


def _suno(status: int, body: Any) -> None:
    assert status == 200 and body["code"] == 400 and "style" in body["msg"]


def _removebg(status: int, body: Any) -> None:
    assert status == 400 and "size" in body["errors"][0]["title"]


def _openai(status: int, body: Any) -> None:
    assert status == 400 and body["error"]["type"] == "invalid_request_error"


def _gemini(status: int, body: Any) -> None:
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"


CASES: list[tuple[str, Any, str, dict[str, str], dict[str, Any], dict[str, Any], Check]] = [
    (
        "fal",
        lambda: FakeFal(),
        "/wan/v2.6/text-to-video",
        {"Authorization": f"Key {FAL_KEY}"},
        {"prompt": "waves", "duration": 5},
        {"prompt": "waves", "duration": "5"},
        _fal,
    ),
    (
        "replicate",
        lambda: FakeReplicate(),
        "/v1/models/recraft-ai/recraft-v4/predictions",
        {"Authorization": f"Bearer {REPLICATE_TOKEN}"},
        {"input": {"prompt": "a fox", "size": "999x999"}},
        {"input": {"prompt": "a fox", "size": "1024x1024"}},
        _replicate,
    ),
    (
        "wavespeed",
        lambda: FakeWaveSpeed(),
        "/api/v3/wavespeed-ai/image-face-swap",
        {"Authorization": f"Bearer {WAVESPEED_TOKEN}"},
        {"image": "https://e.x/a.png", "face_image": "https://e.x/b.png", "output_format": "jpg"},
        {"image": "https://e.x/a.png", "face_image": "https://e.x/b.png", "output_format": "jpeg"},
        _wavespeed,
    ),
    (
        "minimax",
        lambda: FakeMiniMax(),
        "/v1/video_generation",
        {"Authorization": f"Bearer {MINIMAX_TOKEN}"},
        {"model": "MiniMax-Hailuo-2.3", "prompt": "x", "duration": 6, "resolution": "4K"},
        {"model": "MiniMax-Hailuo-2.3", "prompt": "x", "duration": 6, "resolution": "768P"},
        _minimax,
    ),
    (
        "elevenlabs",
        lambda: FakeElevenLabs(),
        "/v1/text-to-dialogue",
        {"xi-api-key": ELEVEN_KEY},
        {
            "inputs": [{"text": "hi", "voice_id": "JBFqnCBsd6RMkjVDRZzb"}],
            "settings": {"stability": 0.3},
        },
        {
            "inputs": [{"text": "hi", "voice_id": "JBFqnCBsd6RMkjVDRZzb"}],
            "settings": {"stability": 0.5},
        },
        _eleven,
    ),
    (
        "suno",
        lambda: FakeSuno(),
        "/api/v1/generate",
        {"Authorization": f"Bearer {SUNO_TOKEN}"},
        {
            "customMode": True,
            "instrumental": False,
            "model": "V4_5",
            "callBackUrl": "https://cb.test/x",
            "prompt": "Verse",
            "title": "T",
        },
        {
            "customMode": True,
            "instrumental": False,
            "model": "V4_5",
            "callBackUrl": "https://cb.test/x",
            "prompt": "Verse",
            "title": "T",
            "style": "folk",
        },
        _suno,
    ),
    (
        "openai_images",
        lambda: FakeOpenAIImages(),
        "/v1/images/generations",
        {"Authorization": f"Bearer {IMAGES_KEY}"},
        {"model": "gpt-image-1.5", "prompt": "a fox", "n": 11},
        {"model": "gpt-image-1.5", "prompt": "a fox", "n": 1},
        _openai,
    ),
]


async def _post(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], **kwargs: Any
) -> tuple[int, Any]:
    async with session.post(url, headers=headers, **kwargs) as r:
        body = await r.json(content_type=None) if r.content_type.endswith("json") else None
        return r.status, body


@pytest.mark.parametrize(
    ("name", "make", "path", "headers", "bad", "good", "check"), CASES, ids=[c[0] for c in CASES]
)
async def test_each_fake_refuses_as_its_service(
    name: str,
    make: Callable[[], Any],
    path: str,
    headers: dict[str, str],
    bad: dict[str, Any],
    good: dict[str, Any],
    check: Check,
) -> None:
    async with make() as fake, aiohttp.ClientSession() as session:
        status, body = await _post(session, fake.url + path, headers, json=bad)
        check(status, body)
        status, body = await _post(session, fake.url + path, headers, json=good)
        assert status in (200, 201, 202), (name, status, body)
        if name in ("minimax", "suno"):  # their envelopes carry the verdict
            code = body["base_resp"]["status_code"] if name == "minimax" else body["code"]
            assert code in (0, 200), body


async def test_remove_bg_refuses_a_form_its_schema_refuses() -> None:
    async with FakeRemoveBg() as fake, aiohttp.ClientSession() as session:
        headers = {"X-Api-Key": REMOVEBG_KEY}
        url = fake.url + "/v1.0/removebg"
        status, body = await _post(
            session, url, headers, data={"image_url": "https://e.x/a.png", "size": "huge"}
        )
        _removebg(status, body)


async def test_chat_fakes_refuse_bodies_their_schema_refuses() -> None:
    async with FakeOpenAI() as openai, FakeGemini() as gemini, aiohttp.ClientSession() as s:
        status, body = await _post(
            s,
            openai.url + "/chat/completions",
            {"Authorization": "Bearer sk-fake"},
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 5},
        )
        _openai(status, body)
        status, body = await _post(
            s,
            gemini.url + "/models/gemini-3-flash:generateContent",
            {"x-goog-api-key": "AIza-fake-gemini-key"},
            json={
                "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                "generationConfig": {"temperature": 7},
            },
        )
        _gemini(status, body)
