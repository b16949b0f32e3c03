"""A fake ElevenLabs text-to-dialogue API on loopback.

``POST /v1/text-to-dialogue?output_format=mp3_44100_128`` with ``xi-api-key`` and JSON
``{inputs: [{text, voice_id}], model_id, language_code?, settings?: {stability}, seed?}``
answers real MP3 audio (44.1 kHz, 128 kb/s): one tone per line, pitched by its voice, as
long as its text takes to say. Errors as ElevenLabs sends them: 422 ``{"detail": [{type,
loc, msg, input}]}`` for a malformed request, otherwise ``{"detail": {status, message}}``
(401 ``invalid_api_key``, 404 ``voice_not_found``, 422 for more than 10 distinct voices).
``GET /health`` (no key).

Magic text in any line: ``elevenlabs:422`` (a validation error), ``elevenlabs:429`` (the
first request with that text answers 429 ``too_many_concurrent_requests`` with
``Retry-After: 1``, later ones work), ``elevenlabs:quota`` (401 ``quota_exceeded``),
``elevenlabs:500``, ``elevenlabs:malformed`` (200 ``audio/mpeg`` whose body is not audio),
``elevenlabs:reset`` (the connection is dropped), ``elevenlabs:stall`` (no answer for 30 s).

In process::

    async with FakeElevenLabs(key="xi-x", voices={"JBFqnCBsd6RMkjVDRZzb": "George"}) as fake:
        fake.url, fake.requests
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import secrets
import subprocess
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import imageio_ffmpeg
import numpy as np
import orjson
from aiohttp import web

from tests.fakes.schemas import subject, violations

__all__ = ["DEFAULT_KEY", "DEFAULT_VOICES", "FakeElevenLabs", "Received", "mp3"]

DEFAULT_KEY = "sk_fake_elevenlabs_key_00000000000000000000"
DEFAULT_VOICES: Mapping[str, str] = {
    "JBFqnCBsd6RMkjVDRZzb": "George",
    "21m00Tcm4TlvDq8ikWAM": "Rachel",
    "AZnzlk1XvdvUeBnXmlld": "Domi",
}
MODELS = frozenset({"eleven_v3", "eleven_multilingual_v2"})
OUTPUT_FORMATS = frozenset(
    {"mp3_22050_32", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128"}
    | {"mp3_44100_192", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_44100", "ulaw_8000"}
)
_STALL_SECONDS = 30.0
_RATE = 44100
_SECONDS_PER_CHAR = 0.06


@dataclass
class Received:
    """One request that was answered with audio."""

    output_format: str
    body: dict[str, Any]
    seconds: float


def _detail(status: int, kind: str, message: str, **headers: str) -> web.Response:
    body = orjson.dumps({"detail": {"status": kind, "message": message}})
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def _invalid(problems: list[dict[str, Any]]) -> web.Response:
    return web.Response(
        status=422, body=orjson.dumps({"detail": problems}), content_type="application/json"
    )


def _problem(kind: str, loc: list[Any], msg: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": msg, "input": value}


class FakeElevenLabs:
    def __init__(
        self,
        *,
        key: str = DEFAULT_KEY,
        voices: Mapping[str, str] = DEFAULT_VOICES,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.key = key
        self.voices = dict(voices)
        self.requests: list[Received] = []
        self.attempts = 0
        self.url = ""
        self._host, self._port = host, port
        self._throttled: set[str] = set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> FakeElevenLabs:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/v1/text-to-dialogue", self._dialogue)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeElevenLabs:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @staticmethod
    async def _health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _dialogue(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        key = request.headers.get("xi-api-key", "")
        if not key or not secrets.compare_digest(key, self.key):
            return _detail(401, "invalid_api_key", "Invalid API key")
        output_format = request.query.get("output_format", "mp3_44100_128")
        if output_format not in OUTPUT_FORMATS:
            return _invalid(
                [
                    _problem(
                        "enum",
                        ["query", "output_format"],
                        "Input should be one of the supported output formats",
                        output_format,
                    )
                ]
            )
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _invalid([_problem("json_invalid", ["body"], "JSON decode error", None)])
        problems = _validate(body) or violations(
            "elevenlabs", *subject("elevenlabs", request.path, body)
        )
        if problems:
            return _invalid(problems)
        lines: list[dict[str, Any]] = body["inputs"]
        text = "\n".join(line["text"] for line in lines)
        model = body.get("model_id", "eleven_v3")
        if model not in MODELS:
            return _detail(400, "model_not_found", f"A model with model ID {model} does not exist")
        distinct = {line["voice_id"] for line in lines}
        if len(distinct) > 10:
            return _detail(422, "too_many_voices", "A dialogue can use at most 10 unique voice ids")
        for voice in sorted(distinct):
            if voice not in self.voices:
                return _detail(
                    404, "voice_not_found", f"A voice with the voice_id {voice} was not found."
                )
        knob = await self._knob(request, text)
        if knob is not None:
            return knob
        pitches = {voice: 180.0 + 70.0 * i for i, voice in enumerate(sorted(self.voices))}
        parts = [
            (pitches[line["voice_id"]], max(0.3, min(5.0, _SECONDS_PER_CHAR * len(line["text"]))))
            for line in lines
        ]
        audio = await asyncio.to_thread(mp3, parts)
        if "elevenlabs:malformed" in text:
            audio = orjson.dumps({"audio": "not here"})
        self.requests.append(
            Received(output_format=output_format, body=body, seconds=sum(p[1] for p in parts))
        )
        return web.Response(body=audio, content_type="audio/mpeg")

    async def _knob(self, request: web.Request, text: str) -> web.StreamResponse | None:
        if "elevenlabs:422" in text:
            return _invalid(
                [
                    _problem(
                        "string_too_long",
                        ["body", "inputs", 0, "text"],
                        "String should have at most 5000 characters",
                        text[:40],
                    )
                ]
            )
        if "elevenlabs:429" in text and text not in self._throttled:
            self._throttled.add(text)
            return _detail(
                429,
                "too_many_concurrent_requests",
                "Too many concurrent requests. Your current subscription is associated with a "
                "maximum of 2 concurrent requests.",
                **{"Retry-After": "1"},
            )
        if "elevenlabs:quota" in text:
            return _detail(
                401,
                "quota_exceeded",
                "This request exceeds your quota of 10000. You have 0 credits remaining, "
                f"while {len(text)} credits are required for this request.",
            )
        if "elevenlabs:500" in text:
            return web.Response(
                status=500,
                body=orjson.dumps(
                    {
                        "status": "internal_server_error",
                        "message": "Internal Server error. All such crashes are reported to us "
                        "automatically.",
                    }
                ),
                content_type="application/json",
            )
        if "elevenlabs:reset" in text:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if "elevenlabs:stall" in text:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _STALL_SECONDS)
            return web.Response(status=503)
        return None


def _validate(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return [_problem("model_attributes_type", ["body"], "Input should be an object", body)]
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        return [_problem("missing", ["body", "inputs"], "Field required", inputs)]
    problems = []
    for index, line in enumerate(inputs):
        if not isinstance(line, dict):
            problems.append(
                _problem("dict_type", ["body", "inputs", index], "Input should be a dict", line)
            )
            continue
        for name in ("text", "voice_id"):
            value = line.get(name)
            if not isinstance(value, str) or not value:
                problems.append(
                    _problem("missing", ["body", "inputs", index, name], "Field required", line)
                )
    settings = body.get("settings")
    if settings is not None:
        stability = settings.get("stability") if isinstance(settings, dict) else None
        if stability is not None and (
            not isinstance(stability, int | float) or not 0 <= stability <= 1
        ):
            problems.append(
                _problem(
                    "less_than_equal",
                    ["body", "settings", "stability"],
                    "Input should be less than or equal to 1",
                    stability,
                )
            )
    language = body.get("language_code")
    if language is not None and (not isinstance(language, str) or language == "auto"):
        problems.append(
            _problem(
                "string_pattern_mismatch",
                ["body", "language_code"],
                "Language code must be an ISO 639-1 code",
                language,
            )
        )
    return problems


def mp3(parts: list[tuple[float, float]], rate: int = _RATE) -> bytes:
    """MP3 audio (128 kb/s): one soft tone per ``(pitch Hz, seconds)``, 60 ms apart."""
    chunks = []
    for pitch, seconds in parts:
        t = np.arange(int(rate * seconds)) / rate
        fade = np.minimum(1.0, np.minimum(t, seconds - t) * 20)
        chunks.append(0.3 * np.sin(2 * np.pi * pitch * t) * fade)
        chunks.append(np.zeros(int(rate * 0.06)))
    pcm = (np.concatenate(chunks) * 32767).astype("<i2").tobytes()
    wav = io.BytesIO()
    with wave.open(wav, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    done = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "wav",
            "-i",
            "pipe:0",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            "-ar",
            str(rate),
            "-f",
            "mp3",
            "pipe:1",
        ],
        input=wav.getvalue(),
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout
