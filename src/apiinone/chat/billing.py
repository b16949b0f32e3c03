"""How chat is billed.

- Before the call, the worst case is held: the prompt estimate plus ``max_tokens`` (or the
  model's default maximum) output tokens, times ``n``.
- After it, the exact cost is captured from the provider's ``usage``:
  ``ceil((prompt_tokens x input_rate + completion_tokens x output_rate) / 1,000,000)``, never
  more than the hold; the rest is released.
- A stream that ends early (the client disconnects, or the provider fails after sending
  output) is billed for what was delivered: the provider's usage when it had sent one,
  otherwise the prompt estimate plus one token per 4 characters of delivered content,
  reasoning and tool-call text.
- A failure before any output costs nothing: the hold is released in full.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apiinone.catalog import ModelSpec, chat_cost, chat_hold, estimate_prompt_tokens

__all__ = ["StreamMeter", "cost_from_usage", "hold_for"]

CHARS_PER_TOKEN = 4


def hold_for(model: ModelSpec, params: Mapping[str, Any]) -> int:
    max_tokens = params.get("max_completion_tokens") or params.get("max_tokens")
    n = int(params.get("n") or 1)
    limit = (
        model.price.tokens.default_max_tokens
        if max_tokens is None and model.price.tokens
        else max_tokens
    )
    return chat_hold(
        model, estimate_prompt_tokens(params), None if limit is None else int(limit) * n
    )


def cost_from_usage(model: ModelSpec, usage: Mapping[str, Any], ceiling: int) -> int:
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    return min(chat_cost(model, prompt, completion), ceiling)


@dataclass
class StreamMeter:
    """Counts what a stream delivered, for the billing rule above."""

    model: ModelSpec
    params: Mapping[str, Any]
    ceiling: int
    delivered_chars: int = 0
    usage: Mapping[str, Any] | None = None

    def observe(self, chunk: Mapping[str, Any]) -> None:
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            for key in ("content", "reasoning_content"):
                value = delta.get(key)
                if isinstance(value, str):
                    self.delivered_chars += len(value)
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                self.delivered_chars += len(str(function.get("name") or "")) + len(
                    str(function.get("arguments") or "")
                )

    def cost(self) -> int:
        if self.usage is not None:
            return cost_from_usage(self.model, self.usage, self.ceiling)
        if self.delivered_chars == 0:
            return 0
        completion = math.ceil(self.delivered_chars / CHARS_PER_TOKEN)
        prompt = estimate_prompt_tokens(self.params)
        return min(chat_cost(self.model, prompt, completion), self.ceiling)
