"""Sliding-window-counter limits per API key: in memory, or in Redis when configured.

The sliding window counter costs about as little as a fixed window and does not let a
client double its rate across a window boundary. The rule is ``limits``' sliding window
counter; the counters are the gateway's own: in memory (``windows.py``), or in Redis, shared
by every replica, one script call per hit (``redis_windows.py``; ``limits``' Redis storage
takes two round trips, one to count and one to read the window for the headers).

When Redis is configured but unreachable, requests keep being served: each process
falls back to its own in-memory limits (so the limit holds per process rather than across
replicas) and tries Redis again every few seconds. Availability wins over exactness here;
credits are never at stake, only request rates.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apiinone.ratelimit.windows import LocalWindows, WindowState

if TYPE_CHECKING:
    from apiinone.ratelimit.redis_windows import RedisWindows

__all__ = ["RateDecision", "RateLimiter"]

log = logging.getLogger("apiinone.ratelimit")
RETRY_REDIS_SECONDS = 5.0
PERIOD = 60  # seconds: limits are per minute


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # Unix time (s) when the window frees up

    def headers(self) -> dict[str, str]:
        return {name.decode(): value.decode() for name, value in self.raw_headers()}

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as ASGI pairs (lower-case names)."""
        out = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_at).encode()),
        ]
        if not self.allowed:
            retry = max(1, self.reset_at - math.floor(time.time()))
            out.append((b"retry-after", str(retry).encode()))
        return out


class RateLimiter:
    def __init__(self, redis_url: str | None = None, *, timeout: float = 0.5) -> None:
        """``timeout``: how long a hit may wait on Redis (connect, answer) before this
        process counts it alone."""
        self._local = LocalWindows()
        self._shared: RedisWindows | None = None
        if redis_url:  # imported only then (redis-py): a tenth of a second of every start
            from apiinone.ratelimit.redis_windows import RedisWindows

            self._shared = RedisWindows(redis_url, timeout=timeout)
        self._shared_down_until = 0.0

    async def hit(self, identity: str, per_minute: int) -> RateDecision:
        now = time.time()
        shared = self._shared
        state: WindowState | None = None
        if shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                state = await shared.hit(identity, per_minute, PERIOD, now)
            except Exception as exc:
                log.warning(
                    "rate-limit storage unreachable (%s); limiting per process", type(exc).__name__
                )
                self._shared_down_until = time.monotonic() + RETRY_REDIS_SECONDS
        if state is None:
            state = self._local.hit(identity, per_minute, PERIOD, now)
        return RateDecision(state.allowed, per_minute, state.remaining, math.ceil(state.reset_at))

    async def reset(self) -> None:
        self._local.clear()
        if self._shared is not None:
            await self._shared.reset()

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()
