"""Sliding-window counters in Redis, shared by every replica: one round trip per hit.

The rule is ``windows.py``'s: each identity has a counter per fixed window (a Redis key
that expires two windows later), and a hit is admitted when ``floor(previous x share of
the previous window still covered + current) + 1`` is within the limit. One Lua script
reads both counters, decides and counts the hit, so concurrent hits from many replicas are
decided one at a time by Redis; the remaining count and the reset time are computed here
from the counters it sends back (``window_state``), exactly as for the in-memory windows.

The window index comes from the caller's clock. Replicas whose clocks differ by a few
milliseconds may count a hit at a window boundary in different windows; the limit still
holds within that margin. Both keys of an identity share a hash tag, so the script is valid
on a Redis Cluster too.

The connections come from a blocking pool of ``MAX_CONNECTIONS``: a burst of hits (thousands
of streams starting in the same second) waits its turn for a connection, up to the timeout,
instead of failing over to the per-process count as soon as the client's default pool of
100 is in use.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis

from apiinone.ratelimit.windows import WindowState, window_state

__all__ = ["RedisWindows"]

KEY_PREFIX = "aio-rl:"

# KEYS: the current window's counter, the previous window's. ARGV: limit, period (s),
# seconds into the current window. Returns {admitted (0/1), previous count, current count}.
_HIT = """
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local into = tonumber(ARGV[3])
local weight = 0
if previous > 0 then weight = (period - into) / period end
if math.floor(previous * weight + current) + 1 <= limit then
    current = redis.call('INCR', KEYS[1])
    if current == 1 then redis.call('EXPIRE', KEYS[1], 2 * period) end
    return {1, previous, current}
end
return {0, previous, current}
"""


MAX_CONNECTIONS = 64


class RedisWindows:
    def __init__(self, url: str, *, timeout: float = 0.5) -> None:
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=max(timeout, 2.0),  # waiting for a free connection
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self._client: Any = redis.Redis(connection_pool=pool)
        self._hit = self._client.register_script(_HIT)

    async def hit(self, identity: str, limit: int, period: int, now: float) -> WindowState:
        index = int(now // period)
        into = now - index * period
        base = f"{KEY_PREFIX}{{{identity}}}:"
        keys = (f"{base}{index}", f"{base}{index - 1}")
        admitted, previous, current = await self._hit(keys=keys, args=(limit, period, repr(into)))
        return window_state(bool(admitted), int(previous), int(current), into, period, limit, now)

    async def reset(self) -> None:
        """Forget every counter (tests, and an operator starting over)."""
        async for key in self._client.scan_iter(match=KEY_PREFIX + "*", count=500):
            await self._client.delete(key)

    async def close(self) -> None:
        await self._client.aclose()
