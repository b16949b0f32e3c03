"""The provider contract for chat: OpenAI-shaped objects in, OpenAI-shaped objects out.

``complete`` returns one ``chat.completion`` object; ``stream`` yields
``chat.completion.chunk`` objects (the last ones carrying ``finish_reason`` and, when
asked, ``usage``). Failures are :class:`UpstreamFailure`: ``before_output`` tells the
billing that nothing was delivered, ``retryable`` allows another channel.

A provider says what of OpenAI's request its protocol carries: ``carries`` names the
optional properties (of ``OPENAI_PROPERTIES``) it passes upstream, maps or honours; the chat
core names the others a request gave in ``X-Ignored-Params``.
``max_choices`` is the most choices (``n``) one request can ask of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from apiinone.providers.base import ProviderContext

__all__ = ["OPENAI_PROPERTIES", "ChatProvider", "ChatRequest", "UpstreamFailure"]

# The optional properties of OpenAI's chat request that a protocol may carry or not. The
# others (messages, stream, stream_options.include_usage, max_tokens, max_completion_tokens,
# n, and our include_thoughts) every chat provider honours.
OPENAI_PROPERTIES: frozenset[str] = frozenset(
    {
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "metadata",
        "modalities",
        "moderation",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream_options.include_obfuscation",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)


@dataclass(frozen=True, slots=True)
class ChatRequest:
    completion_id: str
    model: str
    params: Mapping[str, Any]  # the validated OpenAI body, without "model"
    stream: bool
    include_usage: bool
    include_thoughts: bool
    reasoning_effort: str  # the model's level (``low`` or ``high``), mapped from OpenAI's


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
    carries: frozenset[str]
    max_choices: int

    async def complete(self, request: ChatRequest, ctx: ProviderContext) -> dict[str, Any]: ...

    def stream(
        self, request: ChatRequest, ctx: ProviderContext
    ) -> AsyncIterator[dict[str, Any]]: ...
