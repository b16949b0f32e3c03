"""``POST /v1/audio/speech`` through the OpenAI SDK: MP3 bytes from elevenlabs-v3."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.conftest import Account
from tests.openai_compat.support import is_mp3, sdk
from tests.support.server import Server


def test_speech_returns_mp3(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    audio = sdk(server, acc.key).audio.speech.create(
        model="elevenlabs-v3", voice="narrator", input="Hello from the gateway."
    )
    data = audio.read()
    assert is_mp3(data) and len(data) > 1000
    assert audio.response.headers["content-type"] == "audio/mpeg"
    with server.client(acc.key) as c:
        task = c.get("/api/v1/tasks").json()["data"]["items"][0]
    assert task["request"]["dialogue"] == [{"text": "Hello from the gateway.", "voice": "narrator"}]


def test_speech_refusals(server: Server, make_account: Callable[..., Account]) -> None:
    client = sdk(server, make_account().key)
    with pytest.raises(openai.NotFoundError) as caught:
        client.audio.speech.create(model="tts-1", voice="alloy", input="hi")
    assert caught.value.param == "model" and "elevenlabs-v3" in caught.value.message
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(
            model="elevenlabs-v3", voice="narrator", input="hi", response_format="wav"
        )
    assert caught.value.param == "response_format"
    with pytest.raises(openai.InternalServerError) as failed:
        client.audio.speech.create(model="elevenlabs-v3", voice="narrator", input="sandbox:fail")
    assert failed.value.status_code == 502
