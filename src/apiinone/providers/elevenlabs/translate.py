"""ElevenLabs text-to-dialogue as pure translation (no I/O).

Wire format (https://elevenlabs.io/docs/api-reference/text-to-dialogue/convert; the
``elevenlabs`` SDK's ``text_to_dialogue/raw_client.py``):

- ``POST /v1/text-to-dialogue?output_format=mp3_44100_128``, header ``xi-api-key``, JSON
  ``{inputs: [{text, voice_id}], model_id, language_code?, settings: {stability}, seed?}``;
  at most 10 distinct voice ids per request;
- 200 answers the audio itself (``mp3_44100_128``: MP3, 44.1 kHz, 128 kb/s);
- errors: 422 ``{"detail": [{loc, msg, type}]}`` (request validation), otherwise
  ``{"detail": {status, message}}`` — e.g. 401 ``invalid_api_key`` or ``quota_exceeded``,
  429 ``too_many_concurrent_requests`` or ``system_busy``.

Our ``dialogue[{text, voice}]`` becomes ``inputs``: a voice is a name from the channel's
``options.voices`` table (name → voice id), or a voice id itself; a line without a voice,
or with a name the table lacks, gets ``options.default_voice_id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apiinone.net.sniff import sniff
from apiinone.providers.base import (
    Artifact,
    Failed,
    JobRequest,
    Outcome,
    PollOutcome,
    Succeeded,
)
from apiinone.providers.failures import status_failure
from apiinone.providers.http import (
    ChannelConfig,
    HttpFailed,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    retry_after_seconds,
)

__all__ = ["ElevenLabsOptions", "ElevenLabsTranslator"]

_VOICE_ID = re.compile(r"[A-Za-z0-9]{20}")  # ElevenLabs voice ids, e.g. JBFqnCBsd6RMkjVDRZzb
_MESSAGE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ElevenLabsOptions:
    """A channel's options: ``voices`` (name → voice id), ``default_voice_id``,
    ``output_format`` (an ``mp3_*`` format), an optional fixed ``seed``."""

    voices: Mapping[str, str]
    default_voice_id: str
    output_format: str
    seed: int | None

    @classmethod
    def read(cls, options: Mapping[str, Any]) -> ElevenLabsOptions:
        voices = options.get("voices", {})
        if not isinstance(voices, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in voices.items()
        ):
            raise ValueError("elevenlabs option voices must map voice names to voice ids")
        default = options.get("default_voice_id")
        if not isinstance(default, str) or not default:
            raise ValueError("elevenlabs option default_voice_id (a voice id) is required")
        output_format = options.get("output_format", "mp3_44100_128")
        if not isinstance(output_format, str) or not output_format.startswith("mp3_"):
            raise ValueError("elevenlabs option output_format must be an mp3_* format")
        seed = options.get("seed")
        if seed is not None and (
            not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= 4294967295
        ):
            raise ValueError("elevenlabs option seed must be an integer in [0, 4294967295]")
        return cls(
            voices=dict(voices),
            default_voice_id=default,
            output_format=output_format,
            seed=seed,
        )

    def voice_id(self, voice: Any) -> str:
        if not isinstance(voice, str) or not voice.strip():
            return self.default_voice_id
        name = voice.strip()
        if name in self.voices:
            return self.voices[name]
        folded = {key.casefold(): value for key, value in self.voices.items()}
        if name.casefold() in folded:
            return folded[name.casefold()]
        if name in self.voices.values() or _VOICE_ID.fullmatch(name):
            return name
        return self.default_voice_id


@dataclass(frozen=True, slots=True)
class ElevenLabsTranslator:
    """Pure: every method is a function of its arguments."""

    def build_body(self, job: JobRequest, channel: ChannelConfig) -> dict[str, Any]:
        options = ElevenLabsOptions.read(channel.options)
        lines = job.params.get("dialogue") or []
        inputs = [
            {"text": str(line.get("text", "")), "voice_id": options.voice_id(line.get("voice"))}
            for line in lines
            if isinstance(line, Mapping)
        ]
        body: dict[str, Any] = {"inputs": inputs, "model_id": channel.upstream_model}
        language = job.params.get("language_code")
        if isinstance(language, str) and language and language != "auto":
            body["language_code"] = language
        stability = job.params.get("stability")
        if isinstance(stability, int | float) and not isinstance(stability, bool):
            body["settings"] = {"stability": float(stability)}
        if options.seed is not None:
            body["seed"] = options.seed
        return body

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        options = ElevenLabsOptions.read(channel.options)
        return HttpRequest(
            "POST",
            f"{channel.base_url}/v1/text-to-dialogue",
            headers={"xi-api-key": channel.credential, "Accept": "audio/mpeg"},
            json=self.build_body(job, channel),
            params={"output_format": options.output_format},
        )

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status != 200:
            return self.map_error(response)
        if sniff(response.body) != "audio/mpeg":
            raise MalformedResponse(
                f"ElevenLabs answered 200 with {len(response.body)} bytes that are not MP3 audio"
            )
        audio = Artifact(content_type="audio/mpeg", name="speech.mp3", data=response.body)
        return Succeeded(artifacts=(audio,))

    # -- poll and cancel: text-to-dialogue answers synchronously ---------------------

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        raise NotImplementedError("ElevenLabs answers synchronously: nothing to poll")

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        raise NotImplementedError("ElevenLabs answers synchronously: nothing to poll")

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest | None:
        return None

    # -- errors ---------------------------------------------------------------------

    def map_error(self, response: HttpResponse) -> Failed:
        status = response.status
        kind, text = _detail(response)
        message = _clip(f"ElevenLabs answered HTTP {status}" + (f": {text}" if text else ""))
        retry_after = retry_after_seconds(response.header("Retry-After"))
        if kind == "quota_exceeded":
            return HttpFailed(
                message=message, code="upstream_quota_exceeded", retryable=False, status=status
            )
        return status_failure(message, status=status, retry_after=retry_after)


def _detail(response: HttpResponse) -> tuple[str, str]:
    """``(status word, readable message)`` from any of ElevenLabs' ``detail`` shapes."""
    try:
        body = response.json()
    except MalformedResponse:
        return "", ""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return "", detail
    if isinstance(detail, dict):
        return str(detail.get("status") or ""), str(detail.get("message") or "")
    if isinstance(detail, list):
        problems = []
        for item in detail:
            if not isinstance(item, dict):
                continue
            loc = item.get("loc")
            where = ".".join(str(p) for p in loc if p != "body") if isinstance(loc, list) else ""
            msg = str(item.get("msg") or "invalid")
            problems.append(f"{where}: {msg}" if where else msg)
        return "validation_error", "; ".join(problems)
    return "", ""


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
