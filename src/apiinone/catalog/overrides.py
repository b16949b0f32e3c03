"""Price overrides (set in the admin console), applied over the catalog files.

An override is one model's ``[models.price]`` table, kept in the ``price_overrides``
table. The catalog is rebuilt from the shipped file, the operator's catalog file and the
overrides through the catalog's own loader (so an override is checked exactly like a
catalog file: a bad one is refused with the loader's message and nothing changes), then
swapped into the gateway. :class:`CatalogSync` makes every process pick up changes: on
its first request, then at most ``interval`` seconds after another process saved one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import tempfile
import time
import tomllib
from datetime import date, datetime
from datetime import time as clock
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, select
from starlette.types import ASGIApp, Receive, Scope, Send

from apiinone.catalog.catalog import Catalog
from apiinone.catalog.errors import CatalogError
from apiinone.catalog.loader import load_catalog
from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import price_overrides
from apiinone.errors import InvalidRequest
from apiinone.settings import Settings

__all__ = [
    "CatalogHolder",
    "CatalogSync",
    "apply_overrides",
    "delete_override",
    "load_overrides",
    "parse_price",
    "price_toml",
    "raw_price",
    "save_override",
    "store_override",
    "to_toml",
]

log = logging.getLogger("apiinone.catalog.overrides")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class CatalogHolder(Protocol):
    """Who holds the catalog in force: the gateway, whose ``catalog`` an override replaces."""

    settings: Settings
    db: Database
    catalog: Catalog


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _inline(value: Any) -> str:
    """A TOML value on one line (inline tables nest, so any catalog value fits)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date | clock):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def to_toml(models: list[dict[str, Any]]) -> str:
    lines = []
    for entry in models:
        lines.append("[[models]]")
        lines.extend(f"{_key(k)} = {_inline(v)}" for k, v in entry.items())
        lines.append("")
    return "\n".join(lines)


def price_toml(price: dict[str, Any]) -> str:
    """The body of a ``[models.price]`` table, one key per line, for the edit form."""
    return "\n".join(f"{_key(k)} = {_inline(v)}" for k, v in price.items()) + "\n"


def parse_price(text: str) -> dict[str, Any]:
    """The admin's text (``key = value`` lines, optionally under ``[models.price]``)."""
    body = re.sub(r"^\s*\[models\.price\]\s*$", "", text, count=1, flags=re.MULTILINE)
    try:
        price = tomllib.loads(body)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidRequest(f"The price is not valid TOML: {exc}", param="price") from exc
    if not price:
        raise InvalidRequest("The price is empty", param="price")
    return price


def _entries(text: str, source: str) -> list[dict[str, Any]]:
    try:
        models = tomllib.loads(text).get("models", [])
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source} is not valid TOML: {exc}") from exc
    return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []


def _operator_entries(settings: Settings) -> list[dict[str, Any]]:
    if settings.catalog_file is None:
        return []
    return _entries(settings.catalog_file.read_text(encoding="utf-8"), str(settings.catalog_file))


def raw_price(
    settings: Settings, slug: str, overrides: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The price table in force for ``slug``, as the catalog files (or an override) say."""
    if slug in overrides:
        return overrides[slug]
    for entry in _operator_entries(settings):
        if entry.get("slug") == slug and isinstance(entry.get("price"), dict):
            return dict(entry["price"])
    shipped = resources.files("apiinone.catalog") / "data" / "catalog.toml"
    for entry in _entries(shipped.read_text(encoding="utf-8"), "catalog.toml"):
        if entry.get("slug") == slug and isinstance(entry.get("price"), dict):
            return dict(entry["price"])
    return {}


def build_catalog(settings: Settings, overrides: dict[str, dict[str, Any]]) -> Catalog:
    """The shipped catalog + the operator's file + ``overrides`` (raises CatalogError)."""
    if not overrides:
        return load_catalog(settings.catalog_file)
    entries = _operator_entries(settings)
    by_slug = {e.get("slug"): e for e in entries}
    for slug, price in overrides.items():
        if slug in by_slug:
            by_slug[slug]["price"] = price
        else:
            entries.append({"slug": slug, "price": price})
    with tempfile.TemporaryDirectory(prefix="apiinone-catalog-") as folder:
        path = Path(folder) / "catalog.toml"
        path.write_text(to_toml(entries), encoding="utf-8")
        return load_catalog(path)


async def load_overrides(db: Database) -> dict[str, dict[str, Any]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(price_overrides))).fetchall()
    return {r.slug: json.loads(r.price) for r in rows}


async def _marker(db: Database) -> tuple[int, int]:
    async with db.read() as conn:
        row = (
            await conn.execute(select(func.count(), func.max(price_overrides.c.updated_at)))
        ).one()
    return int(row[0] or 0), int(row[1] or 0)


async def apply_overrides(gateway: CatalogHolder) -> None:
    """Rebuild the gateway's catalog from the files and the stored overrides."""
    overrides = await load_overrides(gateway.db)
    catalog = await asyncio.to_thread(build_catalog, gateway.settings, overrides)
    gateway.catalog = catalog


async def save_override(gateway: CatalogHolder, slug: str, text: str, *, admin_id: str) -> None:
    """Check the new price by building the whole catalog with it, then store and apply it."""
    resolved = gateway.catalog.get(slug)
    if resolved is None or resolved.model.slug != slug:
        raise InvalidRequest(f"No model '{slug[:120]}'", param="slug")
    await store_override(gateway, slug, parse_price(text), admin_id=admin_id)


async def store_override(
    gateway: CatalogHolder, slug: str, price: dict[str, Any], *, admin_id: str
) -> None:
    """Check ``price`` (a ``[models.price]`` table) by building the whole catalog with it,
    then store and apply it."""
    resolved = gateway.catalog.get(slug)
    if resolved is None or resolved.model.slug != slug:
        raise InvalidRequest(f"No model '{slug[:120]}'", param="slug")
    overrides = await load_overrides(gateway.db)
    overrides[slug] = price
    try:
        catalog = await asyncio.to_thread(build_catalog, gateway.settings, overrides)
    except CatalogError as exc:
        raise InvalidRequest(f"This price is not accepted: {exc}", param="price") from exc
    async with gateway.db.write() as conn:
        await conn.execute(delete(price_overrides).where(price_overrides.c.slug == slug))
        await conn.execute(
            insert(price_overrides).values(
                slug=slug, price=json.dumps(price), updated_by=admin_id, updated_at=now_ms()
            )
        )
    gateway.catalog = catalog


async def delete_override(gateway: CatalogHolder, slug: str) -> None:
    async with gateway.db.write() as conn:
        await conn.execute(delete(price_overrides).where(price_overrides.c.slug == slug))
    await apply_overrides(gateway)


class CatalogSync:
    """Pure ASGI: before a request, apply overrides saved since this process last looked
    (the first request waits for the first look; later ones never wait)."""

    def __init__(self, app: ASGIApp, *, interval: float = 5.0) -> None:
        self.app = app
        self.interval = interval
        self._seen: tuple[int, int] | None = None
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        due = scope["type"] == "http" and time.monotonic() >= self._next
        gateway = getattr(scope["app"].state, "gateway", None) if due else None
        # The first look is awaited by every request; later ones never wait for it.
        if gateway is not None and (self._seen is None or not self._lock.locked()):
            async with self._lock:
                await self._refresh(gateway)
        await self.app(scope, receive, send)

    async def _refresh(self, gateway: CatalogHolder) -> None:
        if time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.interval
        try:
            marker = await _marker(gateway.db)
            if marker != self._seen and (self._seen is not None or marker[0] > 0):
                await apply_overrides(gateway)
            self._seen = marker
        except Exception as exc:  # a bad stored override must not take requests down
            log.warning("price overrides not applied: %s", exc)
