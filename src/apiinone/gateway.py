"""The services one gateway process owns, opened and closed together."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from apiinone.auth.cache import KeyCache
from apiinone.auth.keys import load_principal
from apiinone.auth.principal import Principal
from apiinone.billing.hold_lease import HoldLease
from apiinone.billing.holds import HoldBook
from apiinone.bus import Bus
from apiinone.catalog import Catalog, load_catalog
from apiinone.db.engine import Database
from apiinone.net.guard import UrlGuard
from apiinone.providers.channel_sync import ChannelSync
from apiinone.providers.channels import load_channels, read_document, read_entries
from apiinone.providers.circuit import CircuitBreaker
from apiinone.providers.registry import ProviderRouter
from apiinone.providers.sandbox.chat import SandboxChat
from apiinone.providers.sandbox.provider import SandboxProvider
from apiinone.ratelimit.limiter import RateLimiter
from apiinone.requestlog import RequestLog
from apiinone.sealing import Sealer
from apiinone.settings import Settings
from apiinone.signals import TaskSignals
from apiinone.storage.base import BlobStore
from apiinone.storage.local import LocalBlobStore

if TYPE_CHECKING:
    from apiinone.webhooks.dispatcher import WebhookDispatcher

__all__ = ["Gateway"]

log = logging.getLogger("apiinone.gateway")


@dataclass
class Gateway:
    settings: Settings
    db: Database
    catalog: Catalog
    limiter: RateLimiter
    store: BlobStore
    guard: UrlGuard
    providers: ProviderRouter  # rebuilt by ``channel_sync`` when a stored channel changes
    channel_sync: ChannelSync
    keys: KeyCache = field(init=False)
    sealer: Sealer = field(init=False)  # secrets kept at rest (the webhook signing secrets)
    holds: HoldBook = field(init=False)
    lease: HoldLease = field(init=False)
    request_log: RequestLog = field(init=False)
    signals: TaskSignals = field(default_factory=TaskSignals)
    webhooks: WebhookDispatcher | None = None
    bus: Bus = field(init=False)
    # Work that must finish even when its request is gone (settling a cut stream).
    background: set[asyncio.Future[Any]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = field(default=None, init=False)
    _fetch_session: aiohttp.ClientSession | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        async def loader(key_hash: str) -> Principal | None:
            return await load_principal(self.db, key_hash)

        self.keys = KeyCache(loader, ttl=self.settings.key_cache_ttl_seconds)
        self.sealer = Sealer.from_settings(self.settings)
        self.holds = HoldBook(self.db)
        self.lease = HoldLease(self.holds, seconds=self.settings.chat_hold_lease_seconds)
        self.request_log = RequestLog(
            self.db, retention_days=self.settings.request_log_retention_days
        )
        self.bus = Bus(self.settings.redis_url)
        if self.settings.storage_backend == "s3":
            self.store = _s3_store(self)

    async def key_changed(self, key_hash: str | None) -> None:
        """Drop a key (None: every key) from this process's cache and every other one's."""
        self.keys.invalidate(key_hash)
        await self.bus.publish("key", key_hash or "*")

    async def work_queued(self) -> None:
        self.signals.work_available()
        await self.bus.publish("work")

    async def task_changed(self, task_id: str) -> None:
        self.signals.changed(task_id)
        await self.bus.publish("task", task_id)

    async def channels_changed(self) -> None:
        """A stored channel changed: route over it here at once, and on every replica."""
        await self.channel_sync.refresh(self, force=True)
        await self.bus.publish("channels")

    def on_bus_message(self, kind: str, value: str) -> None:
        if kind == "channels":
            self.channel_sync.wake()
        elif kind == "key":
            self.keys.invalidate(None if value == "*" else value)
        elif kind == "work":
            self.signals.work_available()
        elif kind == "task":
            self.signals.changed(value)

    @classmethod
    def open(cls, settings: Settings) -> Gateway:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        catalog = load_catalog(settings.catalog_file)
        channels = load_channels(settings.providers_file, catalog)
        path = settings.providers_file
        entries = read_entries(read_document(path), catalog) if path is not None else []
        log.debug(
            "gateway opening: database=%s storage=%s redis=%s channels=%d models=%d",
            "sqlite" if settings.is_sqlite else "external",
            settings.storage_backend,
            "yes" if settings.redis_url else "no",
            sum(len(chs) for chs in channels.values()),
            len(catalog.models),
        )
        return cls(
            settings=settings,
            db=Database(settings.resolved_database_url, pool_size=settings.db_pool_size),
            catalog=catalog,
            providers=ProviderRouter(
                SandboxProvider(),
                SandboxChat(),
                channels,
                breaker=CircuitBreaker(
                    failures=settings.circuit_failures, cooldown=settings.circuit_cooldown_seconds
                ),
            ),
            channel_sync=ChannelSync(channels, entries),
            limiter=RateLimiter(settings.redis_url),
            store=LocalBlobStore(settings.data_dir / "blobs"),  # replaced below for S3
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
                connector=aiohttp.TCPConnector(
                    limit=self.settings.upstream_connections, ttl_dns_cache=60
                ),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=300),
            )
        return self._session

    @property
    def fetch_session(self) -> aiohttp.ClientSession:
        """A session for client-supplied URLs (inputs, callbacks): connect-time SSRF checks."""
        if self._fetch_session is None:
            self._fetch_session = self.guard.session(
                limit=128, timeout=aiohttp.ClientTimeout(total=120, sock_connect=10)
            )
        return self._fetch_session

    async def close(self) -> None:
        if self.background:
            await asyncio.wait(self.background, timeout=10)
        await self.holds.close()
        await self.request_log.close()
        try:
            await self.lease.retire()
        except Exception:
            log.exception("could not drop this process's chat hold lease; it will lapse")
        for session in (self._session, self._fetch_session):
            if session is not None:
                await session.close()
        await self.bus.close()
        await self.limiter.close()
        await self.db.dispose()


def _s3_store(gateway: Gateway) -> BlobStore:
    from apiinone.storage.s3 import S3BlobStore

    settings = gateway.settings
    assert settings.s3_endpoint_url and settings.s3_bucket and settings.s3_access_key_id
    assert settings.s3_secret_access_key is not None
    return S3BlobStore(
        lambda: gateway.session,
        endpoint=settings.s3_endpoint_url,
        bucket=settings.s3_bucket,
        access_key=settings.s3_access_key_id,
        secret_key=settings.s3_secret_access_key.get_secret_value(),
        region=settings.s3_region,
        prefix=settings.s3_prefix,
    )
