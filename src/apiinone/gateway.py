"""The services one gateway process owns, opened and closed together."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from apiinone.auth.cache import KeyCache
from apiinone.auth.keys import load_principal
from apiinone.auth.principal import Principal
from apiinone.catalog import Catalog, load_catalog
from apiinone.db.engine import Database
from apiinone.net.guard import UrlGuard
from apiinone.providers.channels import load_channels
from apiinone.providers.circuit import CircuitBreaker
from apiinone.providers.registry import ProviderRouter
from apiinone.providers.sandbox.chat import SandboxChat
from apiinone.providers.sandbox.provider import SandboxProvider
from apiinone.ratelimit.limiter import RateLimiter
from apiinone.settings import Settings
from apiinone.storage.base import BlobStore
from apiinone.storage.local import LocalBlobStore
from apiinone.tasks.events import TaskSignals

if TYPE_CHECKING:
    from apiinone.webhooks.dispatcher import WebhookDispatcher

__all__ = ["Gateway"]


@dataclass
class Gateway:
    settings: Settings
    db: Database
    catalog: Catalog
    limiter: RateLimiter
    store: BlobStore
    guard: UrlGuard
    providers: ProviderRouter
    keys: KeyCache = field(init=False)
    signals: TaskSignals = field(default_factory=TaskSignals)
    webhooks: WebhookDispatcher | None = None
    # Work that must finish even when its request is gone (settling a cut stream).
    background: set[asyncio.Future[Any]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = field(default=None, init=False)
    _fetch_session: aiohttp.ClientSession | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        async def loader(key_hash: str) -> Principal | None:
            return await load_principal(self.db, key_hash)

        self.keys = KeyCache(loader, ttl=self.settings.key_cache_ttl_seconds)

    @classmethod
    def open(cls, settings: Settings) -> Gateway:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        catalog = load_catalog(settings.catalog_file)
        channels = load_channels(settings.providers_file, {m.slug for m in catalog.models})
        return cls(
            settings=settings,
            db=Database(settings.resolved_database_url),
            catalog=catalog,
            providers=ProviderRouter(
                SandboxProvider(),
                SandboxChat(),
                channels,
                breaker=CircuitBreaker(
                    failures=settings.circuit_failures, cooldown=settings.circuit_cooldown_seconds
                ),
            ),
            limiter=RateLimiter(settings.redis_url),
            store=LocalBlobStore(settings.data_dir / "blobs"),
            guard=UrlGuard(
                allow_private=settings.allow_private_urls,
                allowed_hosts=settings.allowed_url_hosts,
            ),
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """The one shared session for upstream providers (created on first use)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=512, ttl_dns_cache=60),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=300),
            )
        return self._session

    @property
    def fetch_session(self) -> aiohttp.ClientSession:
        """A session for client-supplied URLs (inputs, callbacks): connect-time SSRF checks."""
        if self._fetch_session is None:
            self._fetch_session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=self.guard.resolver(), limit=128),
                timeout=aiohttp.ClientTimeout(total=120, sock_connect=10),
            )
        return self._fetch_session

    async def close(self) -> None:
        if self.background:
            await asyncio.wait(self.background, timeout=10)
        for session in (self._session, self._fetch_session):
            if session is not None:
                await session.close()
        await self.db.dispose()
