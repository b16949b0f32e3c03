"""What a service is handed to work with: the shared state of one gateway process.

``Runtime`` is the type the services (tasks, chat, responses, messages, the OpenAI surfaces)
take; ``apiinone.gateway.Gateway`` builds the real one and is the only place that knows how.
Services never import the gateway, so the composition root stays above what it composes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import aiohttp

    from apiinone.auth.cache import KeyCache
    from apiinone.billing.hold_lease import HoldLease
    from apiinone.billing.holds import HoldBook
    from apiinone.catalog import Catalog
    from apiinone.db.engine import Database
    from apiinone.net.guard import UrlGuard
    from apiinone.providers.registry import ProviderRouter
    from apiinone.ratelimit.limiter import RateLimiter
    from apiinone.requestlog import RequestLog
    from apiinone.sealing import Sealer
    from apiinone.settings import Settings
    from apiinone.signals import TaskSignals
    from apiinone.storage.base import BlobStore
    from apiinone.webhooks.dispatcher import WebhookDispatcher

__all__ = ["Runtime"]


class Runtime(Protocol):
    settings: Settings
    db: Database
    catalog: Catalog
    limiter: RateLimiter
    store: BlobStore
    guard: UrlGuard
    providers: ProviderRouter
    keys: KeyCache
    sealer: Sealer
    holds: HoldBook
    lease: HoldLease
    request_log: RequestLog
    signals: TaskSignals
    webhooks: WebhookDispatcher | None
    background: set[asyncio.Future[Any]]

    @property
    def session(self) -> aiohttp.ClientSession: ...

    @property
    def fetch_session(self) -> aiohttp.ClientSession: ...

    async def key_changed(self, key_hash: str | None) -> None: ...

    async def work_queued(self) -> None: ...

    async def task_changed(self, task_id: str) -> None: ...
