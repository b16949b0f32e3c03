"""ElevenLabs text-to-dialogue translation on recorded payloads: no network, no clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from apiinone.providers.base import JobRequest, Succeeded
from apiinone.providers.elevenlabs import ElevenLabsTranslator, build
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpResponse, MalformedResponse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "elevenlabs"
BASE = "https://api.elevenlabs.io"
KEY = "sk_secret_elevenlabs"
GEORGE, RACHEL, FALLBACK = "JBFqnCBsd6RMkjVDRZzb", "21m00Tcm4TlvDq8ikWAM", "AZnzlk1XvdvUeBnXmlld"
T = ElevenLabsTranslator()


def fixture(name: str) -> Any:
    return orjson.loads((FIXTURES / f"{name}.json").read_bytes())


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


def options(**extra: Any) -> dict[str, Any]:
    return {
        "voices": {"narrator": GEORGE, "Rachel": RACHEL},
        "default_voice_id": FALLBACK,
        **extra,
    }


def channel(**extra: Any) -> ChannelConfig:
    return ChannelConfig(
        name="elevenlabs/elevenlabs-v3",
        base_url=BASE,
        credential=KEY,
        upstream_model="eleven_v3",
        options=options(**extra),
    )


def job(dialogue: list[dict[str, Any]] | None = None, **params: Any) -> JobRequest:
    defaults: dict[str, Any] = {"stability": 0.5, "language_code": "auto"}
    return JobRequest(
        task_id="task_1",
        model="elevenlabs-v3",
        variant=None,
        endpoint="/api/v1/audio/speech",
        kind="speech",
        params={"dialogue": dialogue or [{"text": "Hello there."}], **defaults, **params},
    )


def test_the_request() -> None:
    request = T.build_submit(job([{"text": "Hi.", "voice": "narrator"}]), channel())
    assert (request.method, request.url) == ("POST", f"{BASE}/v1/text-to-dialogue")
    assert request.params == {"output_format": "mp3_44100_128"}
    assert request.headers == {"xi-api-key": KEY, "Accept": "audio/mpeg"}
    assert request.json == {
        "inputs": [{"text": "Hi.", "voice_id": GEORGE}],
        "model_id": "eleven_v3",
        "settings": {"stability": 0.5},
    }
    assert KEY not in repr(request)


def test_voices_names_ids_and_the_default() -> None:
    lines = [
        {"text": "one", "voice": "narrator"},
        {"text": "two", "voice": "rachel"},  # names match without regard to case
        {"text": "three"},  # no voice: the default
        {"text": "four", "voice": "somebody"},  # an unknown name: the default
        {"text": "five", "voice": RACHEL},  # a configured id
        {"text": "six", "voice": "pNInz6obpgDQGcFmaJgB"},  # any voice id passes as is
    ]
    body = T.build_body(job(lines), channel())
    assert [i["voice_id"] for i in body["inputs"]] == [
        GEORGE,
        RACHEL,
        FALLBACK,
        FALLBACK,
        RACHEL,
        "pNInz6obpgDQGcFmaJgB",
    ]
    assert [i["text"] for i in body["inputs"]] == ["one", "two", "three", "four", "five", "six"]


def test_language_seed_and_output_format() -> None:
    body = T.build_body(job(language_code="ja", stability=1), channel(seed=42))
    assert body["language_code"] == "ja" and body["seed"] == 42
    assert body["settings"] == {"stability": 1.0}
    request = T.build_submit(job(), channel(output_format="mp3_22050_32"))
    assert request.params == {"output_format": "mp3_22050_32"}
    assert "language_code" not in T.build_body(job(language_code="auto"), channel())
    assert "settings" not in T.build_body(job(stability=None), channel())


def test_the_audio_answer() -> None:
    audio = (FIXTURES / "speech.mp3").read_bytes()
    outcome = T.parse_submit(job(), response(200, audio, **{"content-type": "audio/mpeg"}))
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert (art.content_type, art.name, art.data) == ("audio/mpeg", "speech.mp3", audio)


def test_a_200_that_is_not_audio_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, {"audio_base64": "..."}))


@pytest.mark.parametrize(
    ("status", "name", "code", "retryable", "text"),
    [
        (422, "error_validation", "upstream_rejected", False, "inputs.0.voice_id: Field required"),
        (401, "error_quota", "upstream_quota_exceeded", False, "exceeds your quota"),
        (401, "error_invalid_key", "upstream_auth_failed", False, "Invalid API key"),
        (429, "error_busy", "upstream_rate_limited", True, "heavy traffic"),
        (404, "error_voice_not_found", "upstream_not_found", False, "ENfvYmv6CRqDodDZTieQ"),
        (500, "error_server", "upstream_unavailable", True, "HTTP 500"),
    ],
)
def test_errors(status: int, name: str, code: str, retryable: bool, text: str) -> None:
    outcome = T.parse_submit(job(), response(status, fixture(name), **{"Retry-After": "3"}))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (code, retryable, status)
    assert text in outcome.message
    assert outcome.retry_after == (3.0 if retryable else None)


def test_all_validation_problems_are_named() -> None:
    outcome = T.map_error(response(422, fixture("error_validation")))
    assert "settings.stability: Input should be less than or equal to 1" in outcome.message


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"default_voice_id": ""}, "default_voice_id"),
        ({"voices": {"a": 3}}, "voices"),
        ({"output_format": "pcm_44100"}, "mp3_"),
        ({"seed": -1}, "seed"),
        ({"timeout": "soon"}, "timeout"),
    ],
)
def test_build_refuses_bad_options(bad: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build(channel(**bad))


def test_build() -> None:
    provider = build(channel())
    assert provider.name == "elevenlabs/elevenlabs-v3" and KEY not in repr(provider)
