"""``POST /api/v1/chat/completions``, kept thin: JSON in, JSON dicts out.

The OpenAI SDKs remain the richest chat clients (``base_url=".../v1"``); this is for scripts
that already hold an :class:`~apiinone.Client`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    ExitStack,
)
from types import TracebackType
from typing import Any, Literal, cast, overload

from apiinone.client._base import chunk_error
from apiinone.client._sse import ServerSentEvent, SSEDecoder
from apiinone.client.resources._common import AsyncResource, SyncResource, body
from apiinone.client.types import ChatCompletion, ChatCompletionChunk

__all__ = ["AsyncChat", "AsyncChatStream", "Chat", "ChatStream"]

PATH = "/api/v1/chat/completions"
Messages = Sequence[Mapping[str, Any]]


def _chunk(event: ServerSentEvent | None) -> ChatCompletionChunk | None:
    if event is None or not event.data or event.data == "[DONE]":
        return None
    chunk: ChatCompletionChunk = json.loads(event.data)
    error = chunk_error(chunk)
    if error is not None:
        raise error
    return chunk


def content_of(chunk: Mapping[str, Any]) -> str:
    """The answer text a chunk adds (empty for role, reasoning and usage chunks)."""
    choices = chunk.get("choices") or []
    delta = choices[0].get("delta", {}) if choices else {}
    return str(delta.get("content") or "")


class ChatStream:
    """The chunks of a streamed completion; iterate it, or ``.text()`` for the text only."""

    def __init__(self, opened: AbstractContextManager[Iterator[str]]) -> None:
        self._stack = ExitStack()
        self._lines = self._stack.enter_context(opened)

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        decoder = SSEDecoder()
        try:
            for line in self._lines:
                event = decoder.feed(line)
                if event is not None and event.data == "[DONE]":
                    return
                chunk = _chunk(event)
                if chunk is not None:
                    yield chunk
        finally:
            self.close()

    def text(self) -> Iterator[str]:
        for chunk in self:
            piece = content_of(chunk)
            if piece:
                yield piece

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncChatStream:
    """``async for chunk in stream``; ``.text()`` yields the text only."""

    def __init__(self, stack: AsyncExitStack, lines: AsyncIterator[str]) -> None:
        self._stack = stack
        self._lines = lines

    @classmethod
    async def open(cls, opened: AbstractAsyncContextManager[AsyncIterator[str]]) -> AsyncChatStream:
        stack = AsyncExitStack()
        lines = await stack.enter_async_context(opened)
        return cls(stack, lines)

    async def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        decoder = SSEDecoder()
        try:
            async for line in self._lines:
                event = decoder.feed(line)
                if event is not None and event.data == "[DONE]":
                    return
                chunk = _chunk(event)
                if chunk is not None:
                    yield chunk
        finally:
            await self.aclose()

    async def text(self) -> AsyncIterator[str]:
        async for chunk in self:
            piece = content_of(chunk)
            if piece:
                yield piece

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Completions(SyncResource):
    @overload
    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Literal[False] = False,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Literal[True],
        idempotency_key: str | None = None,
        **params: Any,
    ) -> ChatStream: ...

    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: bool = False,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> ChatCompletion | ChatStream:
        """A completion as a dict, or with ``stream=True`` a :class:`ChatStream` of chunks."""
        fields = body(model=model, messages=[dict(m) for m in messages], **params)
        if stream:
            fields["stream"] = True
            return ChatStream(self._client._open_stream("POST", PATH, json_body=fields))
        data = self._client._request(
            "POST", PATH, json_body=fields, idempotency_key=idempotency_key
        )
        return cast(ChatCompletion, data)


class AsyncCompletions(AsyncResource):
    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Literal[False] = False,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Literal[True],
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncChatStream: ...

    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: bool = False,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> ChatCompletion | AsyncChatStream:
        fields = body(model=model, messages=[dict(m) for m in messages], **params)
        if stream:
            fields["stream"] = True
            return await AsyncChatStream.open(
                self._client._open_stream("POST", PATH, json_body=fields)
            )
        data = await self._client._request(
            "POST", PATH, json_body=fields, idempotency_key=idempotency_key
        )
        return cast(ChatCompletion, data)


class Chat(SyncResource):
    @property
    def completions(self) -> Completions:
        return Completions(self._client)


class AsyncChat(AsyncResource):
    @property
    def completions(self) -> AsyncCompletions:
        return AsyncCompletions(self._client)
