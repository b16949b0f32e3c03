"""What one chat request leaves in the request log: when, which key and model, tokens,
latency, time to first token (streams), status and credits."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apiinone.catalog import estimate_prompt_tokens
from apiinone.chat.billing import CHARS_PER_TOKEN, StreamMeter
from apiinone.db.engine import now_ms
from apiinone.errors import APIError
from apiinone.requestlog import RequestLog

__all__ = ["ChatTrail", "watched"]

T = TypeVar("T")


def _count(usage: Mapping[str, Any], name: str) -> int | None:
    value = usage.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(slots=True)
class ChatTrail:
    log: RequestLog
    completion_id: str
    account_id: str
    key_id: str | None
    mode: str
    model: str
    stream: bool
    created_at: int = field(default_factory=now_ms)
    started: float = field(default_factory=time.monotonic)
    first_token_ms: int | None = None
    done: bool = False

    def first_byte(self) -> None:
        if self.first_token_ms is None:
            self.first_token_ms = int((time.monotonic() - self.started) * 1000)

    def finish(
        self,
        status: str,
        *,
        credits: int = 0,
        usage: Mapping[str, Any] | None = None,
        meter: StreamMeter | None = None,
        error: str | None = None,
    ) -> None:
        if self.done:
            return
        self.done = True
        prompt = completion = None
        if usage:
            prompt, completion = _count(usage, "prompt_tokens"), _count(usage, "completion_tokens")
        estimated = False
        if completion is None and meter is not None and meter.delivered_chars:
            completion = math.ceil(meter.delivered_chars / CHARS_PER_TOKEN)
            prompt = estimate_prompt_tokens(meter.params)
            estimated = True
        self.log.add(
            {
                "id": self.completion_id,
                "account_id": self.account_id,
                "key_id": self.key_id,
                "mode": self.mode,
                "model": self.model,
                "created_at": self.created_at,
                "stream": self.stream,
                "status": status,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "tokens_estimated": estimated,
                "latency_ms": int((time.monotonic() - self.started) * 1000),
                "first_token_ms": self.first_token_ms,
                "credits": credits,
                "error": None if error is None else error[:300],
            }
        )


async def watched(trail: ChatTrail, work: Awaitable[T]) -> T:
    """Await ``work``; a failure is the request's row (then raised as it was)."""
    try:
        return await work
    except APIError as exc:
        trail.finish("failed", error=exc.message)
        raise
    except asyncio.CancelledError:
        trail.finish("canceled", error="the client went away")
        raise
    except Exception as exc:
        trail.finish("failed", error=type(exc).__name__)
        raise
