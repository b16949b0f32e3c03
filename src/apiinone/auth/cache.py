"""In-process cache of key look-ups, so the hot path reads no database.

An entry is trusted for ``ttl`` seconds (at most 1 s), so a revoke made by another process
takes effect within that time; a revoke made in this process drops the entry at once.
Concurrent misses for the same key share one database read.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from apiinone.auth.principal import Principal

__all__ = ["KeyCache", "Loader"]

Loader = Callable[[str], Awaitable[Principal | None]]


class KeyCache:
    def __init__(self, loader: Loader, *, ttl: float = 0.5, max_entries: int = 100_000) -> None:
        self._loader = loader
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[Principal | None]] = {}

    async def get(self, key_hash: str) -> Principal | None:
        entry = self._entries.get(key_hash)
        now = time.monotonic()
        if entry is not None and now - entry[0] < self._ttl:
            return entry[1]
        pending = self._inflight.get(key_hash)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Principal | None] = asyncio.get_running_loop().create_future()
        self._inflight[key_hash] = future
        try:
            principal = await self._loader(key_hash)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            self._inflight.pop(key_hash, None)
        future.set_result(principal)
        self._store(key_hash, principal, now)
        return principal

    def invalidate(self, key_hash: str | None = None) -> None:
        if key_hash is None:
            self._entries.clear()
        else:
            self._entries.pop(key_hash, None)

    def _store(self, key_hash: str, principal: Principal | None, now: float) -> None:
        self._entries[key_hash] = (now, principal)
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
