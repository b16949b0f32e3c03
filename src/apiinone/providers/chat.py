"""The provider contract for chat: OpenAI-shaped objects in, OpenAI-shaped objects out.

``complete`` returns one ``chat.completion`` object; ``stream`` yields
``chat.completion.chunk`` objects (the last ones carrying ``finish_reason`` and, when
asked, ``usage``). Failures are :class:`UpstreamFailure`: ``before_output`` tells the
billing that nothing was delivered, ``retryable`` allows another channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from apiinone.providers.base import ProviderContext

__all__ = ["ChatProvider", "ChatRequest", "UpstreamFailure"]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    completion_id: str
    model: str
    params: Mapping[str, Any]  # the validated OpenAI body, without "model"
    stream: bool
    include_usage: bool
    include_thoughts: bool
    reasoning_effort: str


class UpstreamFailure(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int = 502,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class ChatProvider(Protocol):
    name: str

    async def complete(self, request: ChatRequest, ctx: ProviderContext) -> dict[str, Any]: ...

    def stream(
        self, request: ChatRequest, ctx: ProviderContext
    ) -> AsyncIterator[dict[str, Any]]: ...
