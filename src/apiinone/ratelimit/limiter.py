"""Sliding-window-counter limits per API key: memory storage, or Redis when configured.

The sliding window counter costs about as little as a fixed window and does not let a
client double its rate across a window boundary.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

__all__ = ["RateDecision", "RateLimiter"]


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
        self.storage: Storage = (
            RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix="aio-rl")
            if redis_url
            else MemoryStorage()
        )
        self._strategy = SlidingWindowCounterRateLimiter(self.storage)
        self._items: dict[int, RateLimitItem] = {}

    def _item(self, per_minute: int) -> RateLimitItem:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        return item

    async def hit(self, identity: str, per_minute: int) -> RateDecision:
        item = self._item(per_minute)
        allowed = await self._strategy.hit(item, "key", identity)
        stats = await self._strategy.get_window_stats(item, "key", identity)
        return RateDecision(
            allowed=allowed,
            limit=per_minute,
            remaining=max(0, int(stats.remaining)),
            reset_at=math.ceil(stats.reset_time),
        )

    async def reset(self) -> None:
        await self.storage.reset()
