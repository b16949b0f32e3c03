"""``POST /api/v1/audio/speech`` (ElevenLabs dialogue)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apiinone.client.resources._common import AsyncResource, SyncResource, body
from apiinone.client.tasks import AsyncTask, Task

__all__ = ["AsyncSpeech", "Speech"]

PATH = "/api/v1/audio/speech"


def speech_body(
    text: str | None,
    dialogue: Sequence[Mapping[str, Any]] | None,
    voice: str | None,
    model: str,
    callback_url: str | None,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    if (text is None) == (dialogue is None):
        raise ValueError("give either text or dialogue")
    lines = [dict(line) for line in dialogue] if dialogue is not None else []
    if text is not None:
        lines = [body(text=text, voice=voice)]
    return body(model=model, dialogue=lines, callback_url=callback_url, **params)


class Speech(SyncResource):
    def create(
        self,
        text: str | None = None,
        *,
        dialogue: Sequence[Mapping[str, Any]] | None = None,
        voice: str | None = None,
        model: str = "elevenlabs-v3",
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        """Speak ``text`` (one line, optional ``voice``) or a ``dialogue`` of
        ``{"text", "voice"}`` lines; the result is one MP3."""
        fields = speech_body(text, dialogue, voice, model, callback_url, params)
        return self._client._create_task(PATH, fields, idempotency_key)


class AsyncSpeech(AsyncResource):
    async def create(
        self,
        text: str | None = None,
        *,
        dialogue: Sequence[Mapping[str, Any]] | None = None,
        voice: str | None = None,
        model: str = "elevenlabs-v3",
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        fields = speech_body(text, dialogue, voice, model, callback_url, params)
        return await self._client._create_task(PATH, fields, idempotency_key)
