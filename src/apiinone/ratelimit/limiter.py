"""Sliding-window-counter limits per API key: memory storage, or Redis when configured.

The sliding window counter costs about as little as a fixed window and does not let a
client double its rate across a window boundary.

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

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

__all__ = ["RateDecision", "RateLimiter"]

log = logging.getLogger("apiinone.ratelimit")
RETRY_REDIS_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # Unix time (s) when the window frees up

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            out["Retry-After"] = str(max(1, self.reset_at - math.floor(time.time())))
        return out


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._shared: SlidingWindowCounterRateLimiter | None = None
        self.storage: Storage = self._local.storage
        if redis_url:
            self.storage = RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                key_prefix="aio-rl",
                wrap_exceptions=True,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
            )
            self._shared = SlidingWindowCounterRateLimiter(self.storage)
        self._shared_down_until = 0.0
        self._items: dict[int, RateLimitItem] = {}

    def _item(self, per_minute: int) -> RateLimitItem:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        return item

    def _strategy(self) -> SlidingWindowCounterRateLimiter:
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            return self._shared
        return self._local

    async def hit(self, identity: str, per_minute: int) -> RateDecision:
        item = self._item(per_minute)
        strategy = self._strategy()
        try:
            allowed = await strategy.hit(item, "key", identity)
            stats = await strategy.get_window_stats(item, "key", identity)
        except Exception as exc:
            if strategy is self._local:
                raise
            log.warning(
                "rate-limit storage unreachable (%s); limiting per process", type(exc).__name__
            )
            self._shared_down_until = time.monotonic() + RETRY_REDIS_SECONDS
            allowed = await self._local.hit(item, "key", identity)
            stats = await self._local.get_window_stats(item, "key", identity)
        return RateDecision(
            allowed=allowed,
            limit=per_minute,
            remaining=max(0, int(stats.remaining)),
            reset_at=math.ceil(stats.reset_time),
        )

    async def reset(self) -> None:
        await self.storage.reset()
