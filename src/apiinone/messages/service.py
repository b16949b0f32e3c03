"""``POST /v1/messages`` and ``/v1/messages/count_tokens`` on the chat core.

A message is a chat completion: the request is translated (``request``), run by
``run_chat`` (the same validation, hold, routing, settlement and stream billing as
``/v1/chat/completions``) and its answer translated back (``answer``, ``stream``).
``X-Ignored-Params`` names, in Anthropic's names, what the edge ignored and what the
channel did not carry; ``X-Credits-Consumed`` is kept on answers that are not streamed.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

from apiinone.auth.models import admit
from apiinone.auth.principal import Principal
from apiinone.catalog import estimate_prompt_tokens
from apiinone.chat.service import CHAT_PATH, STREAM_HEADERS, run_chat
from apiinone.messages.answer import message_id, to_message
from apiinone.messages.request import Translated, ignored_header, to_chat
from apiinone.messages.stream import to_events
from apiinone.runtime import Runtime
from apiinone.wire import EventStream, FastJSON

__all__ = ["count_tokens", "run_messages"]


def _fit(gateway: Runtime, translated: Translated) -> None:
    """For a model without reasoning: no ``include_thoughts`` (it does not take it) and no
    thinking blocks (``thinking`` is named as ignored)."""
    chat = translated.chat
    model = chat.get("model")
    resolved = gateway.catalog.get(model) if isinstance(model, str) else None
    if resolved is None:
        return
    if "include_thoughts" not in resolved.model.params:
        chat.pop("include_thoughts", None)
    if "reasoning" not in resolved.model.capabilities:
        translated.thinking = False


async def run_messages(gateway: Runtime, principal: Principal, body: dict[str, Any]) -> Response:
    translated = to_chat(body)
    _fit(gateway, translated)
    answer = await run_chat(gateway, principal, translated.chat)
    headers: dict[str, str] = {}
    ignored = ignored_header(translated, answer.headers.get("x-ignored-params"))
    if ignored:
        headers["X-Ignored-Params"] = ignored
    if isinstance(answer, StreamingResponse):
        chunks: AsyncIterator[Any] = answer.body_iterator.__aiter__()
        first = await chunks.__anext__()  # the chat stream's first event is ready already
        known = _chunk_of(first)
        events = to_events(
            _again(first, chunks),
            message_id=message_id(known.get("id") or "chatcmpl-" + secrets.token_urlsafe(18)),
            model=str(known.get("model") or translated.chat["model"]),
            input_tokens=estimate_prompt_tokens(translated.chat),
            thinking=translated.thinking,
        )
        headers.update(STREAM_HEADERS)
        return EventStream(events, headers=headers)
    completion = orjson.loads(answer.body)
    credits = answer.headers.get("x-credits-consumed")
    if credits is not None:
        headers["X-Credits-Consumed"] = credits
    return FastJSON(to_message(completion, thinking=translated.thinking), headers=headers)


async def count_tokens(
    gateway: Runtime, principal: Principal, body: dict[str, Any]
) -> dict[str, int]:
    """The prompt estimate a chat hold is made with, for this request; free."""
    translated = to_chat(body, counting=True)
    _fit(gateway, translated)
    validated = admit(principal, gateway.catalog, CHAT_PATH, translated.chat)
    return {"input_tokens": estimate_prompt_tokens(validated.params)}


def _chunk_of(raw: Any) -> dict[str, Any]:
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    data = data.strip()
    if not data.startswith(b"data: {"):
        return {}
    try:
        parsed = orjson.loads(data[len(b"data: ") :])
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class _again:
    """``first`` again, then the rest of ``chunks``; closing it closes ``chunks``."""

    def __init__(self, first: Any, chunks: AsyncIterator[Any]) -> None:
        self._first: Any = first
        self._chunks = chunks
        self._given = False

    def __aiter__(self) -> _again:
        return self

    async def __anext__(self) -> Any:
        if not self._given:
            self._given = True
            return self._first
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            await aclose()
