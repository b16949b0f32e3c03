"""Sliding-window-counter limits per API key: in memory, or in Redis when configured.

The sliding window counter costs about as little as a fixed window and does not let a
client double its rate across a window boundary. In memory the counters are the
gateway's own (``windows.py``, the rule of ``limits`` without its storage layer); in
Redis they are ``limits``' storage, shared by every replica.

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
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from apiinone.ratelimit.windows import LocalWindows

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
    def __init__(self, redis_url: str | None = None) -> None:
        self._local = LocalWindows()
        self._shared: SlidingWindowCounterRateLimiter | None = None
        self._storage: RedisStorage | None = None
        if redis_url:
            self._storage = RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                key_prefix="aio-rl",
                wrap_exceptions=True,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
            )
            self._shared = SlidingWindowCounterRateLimiter(self._storage)
        self._shared_down_until = 0.0
        self._items: dict[int, RateLimitItem] = {}

    def _item(self, per_minute: int) -> RateLimitItem:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        return item

    def _local_hit(self, identity: str, per_minute: int) -> RateDecision:
        state = self._local.hit(identity, per_minute, PERIOD, time.time())
        return RateDecision(state.allowed, per_minute, state.remaining, math.ceil(state.reset_at))

    async def hit(self, identity: str, per_minute: int) -> RateDecision:
        shared = self._shared
        if shared is None or time.monotonic() < self._shared_down_until:
            return self._local_hit(identity, per_minute)
        item = self._item(per_minute)
        try:
            allowed = await shared.hit(item, "key", identity)
            stats = await shared.get_window_stats(item, "key", identity)
        except Exception as exc:
            log.warning(
                "rate-limit storage unreachable (%s); limiting per process", type(exc).__name__
            )
            self._shared_down_until = time.monotonic() + RETRY_REDIS_SECONDS
            return self._local_hit(identity, per_minute)
        return RateDecision(
            allowed=allowed,
            limit=per_minute,
            remaining=max(0, int(stats.remaining)),
            reset_at=math.ceil(stats.reset_time),
        )

    async def reset(self) -> None:
        self._local.clear()
        if self._storage is not None:
            await self._storage.reset()
