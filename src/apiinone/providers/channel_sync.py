"""Every process routes over the providers file's channels and the database's, live.

The router is rebuilt from both (the file's first; a database channel never takes a file
channel's name) whenever the ``channels`` table changes: at once in the process that
changed it, on the bus's ``channels`` message in the others, and at the latest
``interval`` seconds later by a cheap look at the table's (count, latest change). The
circuit breaker and the metrics carry over, so an unchanged channel keeps its state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from apiinone.catalog import Catalog
from apiinone.providers.channel_store import list_channels, marker, open_credential
from apiinone.providers.channels import ChannelEntry, entry_channels, read_entries
from apiinone.providers.registry import Channel, ProviderRouter

if TYPE_CHECKING:
    from apiinone.db.engine import Database
    from apiinone.sealing import Sealer


class ChannelHost(Protocol):
    """What the sync needs of the process it runs in (the gateway is one)."""

    db: Database
    catalog: Catalog
    providers: ProviderRouter
    sealer: Sealer


__all__ = ["ChannelSync"]

log = logging.getLogger("apiinone.channels")


class ChannelSync:
    def __init__(
        self,
        file_channels: Mapping[str, Sequence[Channel]],
        file_entries: Sequence[ChannelEntry],
        *,
        interval: float = 2.0,
    ) -> None:
        self.file_channels = {model: list(chs) for model, chs in file_channels.items()}
        self.file_entries = list(file_entries)
        self.interval = interval
        self._seen: tuple[int, int] | None = None
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    @property
    def file_names(self) -> set[str]:
        return {entry.name for entry in self.file_entries}

    def wake(self) -> None:
        """Another process changed a channel: re-read now."""
        self._wake.set()

    async def refresh(self, gateway: ChannelHost, *, force: bool = False) -> None:
        async with self._lock:
            seen = await marker(gateway.db)
            if seen == self._seen and not force:
                return
            merged = {model: list(chs) for model, chs in self.file_channels.items()}
            for model, chs in (await self._stored(gateway, gateway.catalog)).items():
                merged.setdefault(model, []).extend(chs)
            old = gateway.providers
            gateway.providers = ProviderRouter(
                old.sandbox, old.sandbox_chat, merged, breaker=old.breaker, metrics=old.metrics
            )
            self._seen = seen

    async def _stored(self, gateway: ChannelHost, catalog: Catalog) -> dict[str, list[Channel]]:
        out: dict[str, list[Channel]] = {}
        taken = self.file_names
        for row in await list_channels(gateway.db):
            if not row.enabled or row.name in taken:
                continue
            try:
                (entry,) = read_entries({"channels": [dict(row.spec)]}, catalog)
                credential = open_credential(gateway.sealer, row)
                units = entry_channels(entry, credential)
            except Exception as exc:  # one bad row must not take the others down
                log.warning("channel %s not loaded: %s", row.name, exc)
                continue
            for model, chs in units.items():
                out.setdefault(model, []).extend(chs)
        return out

    async def run(self, gateway: ChannelHost, stop: asyncio.Event) -> None:
        """Re-read on every bus message, and every ``interval`` seconds regardless."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            forced = self._wake.is_set()
            self._wake.clear()
            try:
                await self.refresh(gateway, force=forced)
            except Exception as exc:
                log.warning("channels not re-read: %s", exc)
