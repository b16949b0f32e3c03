"""How chat is billed.

- Before the call, the worst case is held: the prompt estimate plus ``max_tokens`` (or
  ``max_completion_tokens``) output tokens, times ``n``.
- Without either, the hold fits the balance: it takes what the balance (and the key's spend
  cap) can pay, up to the model's default maximum (``default_max_tokens`` per choice), and at
  least the prompt plus ``MIN_ANSWER_TOKENS`` per choice (402 below that). When that is less
  than the default maximum, the output tokens it pays for (per choice) are sent upstream as
  the request's ``max_tokens``, so the answer can never cost more than was held.
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

__all__ = ["MIN_ANSWER_TOKENS", "HoldPlan", "StreamMeter", "cost_from_usage", "plan_hold"]

CHARS_PER_TOKEN = 4
MIN_ANSWER_TOKENS = 16  # the least answer (per choice) a flexible hold must pay for


@dataclass(frozen=True, slots=True)
class HoldPlan:
    """What to hold for a chat: ``amount``, or with ``minimum`` anything between the two."""

    amount: int
    minimum: int | None
    prompt_tokens: int
    choices: int

    def output_cap(self, model: ModelSpec, held: int) -> int | None:
        """The ``max_tokens`` (per choice) to send upstream for a hold of ``held`` credits;
        None when the client set its own or the hold is the model's full default."""
        tokens = model.price.tokens
        if self.minimum is None or held >= self.amount or tokens is None:
            return None
        if tokens.output_per_million <= 0:
            return None
        room = held * 1_000_000 - self.prompt_tokens * tokens.input_per_million
        per_choice = room // tokens.output_per_million // self.choices
        return max(MIN_ANSWER_TOKENS, min(per_choice, tokens.default_max_tokens))


def plan_hold(model: ModelSpec, params: Mapping[str, Any]) -> HoldPlan:
    max_tokens = params.get("max_completion_tokens") or params.get("max_tokens")
    n = int(params.get("n") or 1)
    prompt = estimate_prompt_tokens(params)
    if max_tokens is not None or model.price.tokens is None:
        limit = None if max_tokens is None else int(max_tokens) * n
        return HoldPlan(chat_hold(model, prompt, limit), None, prompt, n)
    full = chat_hold(model, prompt, model.price.tokens.default_max_tokens * n)
    least = chat_hold(model, prompt, MIN_ANSWER_TOKENS * n)
    return HoldPlan(full, least, prompt, n)


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
