"""Messages between the gateway's processes, through Redis pub/sub when it is configured.

- ``key``: an API key changed (revoked, rotated, limits): drop it from every key cache.
- ``work``: a task was queued: wake the workers.
- ``task``: a task changed: wake event streams watching it.
- ``channels``: a stored provider channel changed: rebuild the router.

Every message is only a hint that saves time: key caches expire within a second anyway,
workers poll the database, event streams re-read it and the channel table is re-read every
2 seconds, so a Redis outage delays things by at most 2 seconds and loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio as redis

__all__ = ["Bus"]

log = logging.getLogger("apiinone.bus")
CHANNEL = "apiinone:events"
Handler = Callable[[str, str], None]


class Bus:
    def __init__(self, redis_url: str | None) -> None:
        self._client: redis.Redis | None = None
        self._errors: tuple[type[Exception], ...] = (OSError,)
        if redis_url:  # imported only then: a tenth of a second of every start without it
            import redis.asyncio as redis

            self._client = redis.Redis.from_url(
                redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
            )
            self._errors = (redis.RedisError, OSError)

    @property
    def shared(self) -> bool:
        return self._client is not None

    async def publish(self, kind: str, value: str = "") -> None:
        if self._client is None:
            return
        try:
            await self._client.publish(CHANNEL, f"{kind}:{value}")
        except self._errors as exc:
            log.warning("bus publish failed (%s); other processes catch up by polling", exc)

    async def listen(self, stop: asyncio.Event, handle: Handler) -> None:
        """Deliver every message to ``handle(kind, value)`` until ``stop``; reconnects."""
        if self._client is None:
            return
        while not stop.is_set():
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                while not stop.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                    if message and isinstance(message.get("data"), bytes):
                        kind, _, value = message["data"].decode().partition(":")
                        handle(kind, value)
            except self._errors as exc:
                log.warning("bus connection lost (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
