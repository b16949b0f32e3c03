"""API key records: create, list, update, rotate, revoke, and the look-up behind the cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.auth.principal import Principal
from apiinone.auth.secrets import LIVE_PREFIX, TEST_PREFIX, generate_key, hash_key
from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import accounts, api_keys
from apiinone.errors import InvalidRequest, NotFound
from apiinone.ids import new_id

__all__ = [
    "KeyInfo",
    "KeyLimits",
    "create_key",
    "get_key",
    "list_keys",
    "load_principal",
    "revoke_key",
    "rotate_key",
    "update_key",
]

_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class KeyLimits:
    expires_at: int | None = None
    allowed_models: tuple[str, ...] | None = None
    rate_limit_per_minute: int | None = None
    spend_cap: int | None = None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    account_id: str
    name: str
    mode: str
    prefix: str
    last4: str
    key_hash: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    rotated_to: str | None
    allowed_models: tuple[str, ...] | None
    rate_limit_per_minute: int | None
    spend_cap: int | None
    spent: int

    @classmethod
    def from_row(cls, row: Row[Any]) -> KeyInfo:
        allowed = json.loads(row.allowed_models) if row.allowed_models else None
        return cls(
            id=row.id,
            account_id=row.account_id,
            name=row.name,
            mode=row.mode,
            prefix=row.prefix,
            last4=row.last4,
            key_hash=row.key_hash,
            created_at=int(row.created_at),
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            rotated_to=row.rotated_to,
            allowed_models=tuple(allowed) if allowed is not None else None,
            rate_limit_per_minute=row.rate_limit_per_minute,
            spend_cap=row.spend_cap,
            spent=int(row.spent),
        )

    def status(self, now: int) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def public(self) -> dict[str, Any]:
        """What may be shown about a key: never the key or its hash."""
        return {
            "id": self.id,
            "name": self.name,
            "mode": self.mode,
            "prefix": self.prefix,
            "last4": self.last4,
            "display": f"{self.prefix}…{self.last4}",
            "status": self.status(now_ms()),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
            "rotated_to": self.rotated_to,
            "allowed_models": list(self.allowed_models) if self.allowed_models else None,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "spend_cap": self.spend_cap,
            "spent": self.spent,
        }


def _check_limits(limits: KeyLimits) -> None:
    if limits.rate_limit_per_minute is not None and limits.rate_limit_per_minute < 1:
        raise InvalidRequest(
            "rate_limit_per_minute must be at least 1", param="rate_limit_per_minute"
        )
    if limits.spend_cap is not None and limits.spend_cap < 0:
        raise InvalidRequest("spend_cap must not be negative", param="spend_cap")
    if limits.allowed_models is not None and not limits.allowed_models:
        raise InvalidRequest("allowed_models must list at least one model", param="allowed_models")


async def create_key(
    db: Database,
    *,
    account_id: str,
    name: str = "",
    test: bool = False,
    limits: KeyLimits | None = None,
    raw_key: str | None = None,
) -> tuple[KeyInfo, str]:
    """Create a key; returns its record and the full key, which is never shown again."""
    limits = limits or KeyLimits()
    _check_limits(limits)
    async with db.write() as conn:
        return await _insert_key(conn, account_id, name, test, limits, raw_key)


async def _insert_key(
    conn: AsyncConnection,
    account_id: str,
    name: str,
    test: bool,
    limits: KeyLimits,
    raw_key: str | None,
) -> tuple[KeyInfo, str]:
    exists = (await conn.execute(select(accounts.c.id).where(accounts.c.id == account_id))).first()
    if exists is None:
        raise NotFound(f"No account {account_id}")
    raw = raw_key or generate_key(test=test)
    key_id = new_id("key")
    values = {
        "id": key_id,
        "account_id": account_id,
        "name": name,
        "mode": "test" if test else "live",
        "prefix": TEST_PREFIX if test else LIVE_PREFIX,
        "last4": raw[-4:],
        "key_hash": hash_key(raw),
        "created_at": now_ms(),
        "expires_at": limits.expires_at,
        "revoked_at": None,
        "rotated_to": None,
        "allowed_models": json.dumps(list(limits.allowed_models))
        if limits.allowed_models is not None
        else None,
        "rate_limit_per_minute": limits.rate_limit_per_minute,
        "spend_cap": limits.spend_cap,
        "spent": 0,
    }
    await conn.execute(insert(api_keys).values(**values))
    row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).one()
    return KeyInfo.from_row(row), raw


async def get_key(db: Database, account_id: str | None, key_id: str) -> KeyInfo:
    stmt = select(api_keys).where(api_keys.c.id == key_id)
    if account_id is not None:
        stmt = stmt.where(api_keys.c.account_id == account_id)
    async with db.read() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"No API key {key_id}")
    return KeyInfo.from_row(row)


async def list_keys(db: Database, account_id: str) -> list[KeyInfo]:
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(api_keys)
                .where(api_keys.c.account_id == account_id)
                .order_by(api_keys.c.created_at, api_keys.c.id)
            )
        ).fetchall()
    return [KeyInfo.from_row(r) for r in rows]


async def update_key(
    db: Database,
    account_id: str | None,
    key_id: str,
    *,
    name: Any = _UNSET,
    expires_at: Any = _UNSET,
    allowed_models: Any = _UNSET,
    rate_limit_per_minute: Any = _UNSET,
    spend_cap: Any = _UNSET,
) -> KeyInfo:
    current = await get_key(db, account_id, key_id)
    values: dict[str, Any] = {}
    if name is not _UNSET:
        values["name"] = name
    if expires_at is not _UNSET:
        values["expires_at"] = expires_at
    if allowed_models is not _UNSET:
        values["allowed_models"] = json.dumps(list(allowed_models)) if allowed_models else None
    if rate_limit_per_minute is not _UNSET:
        values["rate_limit_per_minute"] = rate_limit_per_minute
    if spend_cap is not _UNSET:
        values["spend_cap"] = spend_cap
    _check_limits(
        KeyLimits(
            rate_limit_per_minute=values.get("rate_limit_per_minute"),
            spend_cap=values.get("spend_cap"),
        )
    )
    if values:
        async with db.write() as conn:
            await conn.execute(update(api_keys).where(api_keys.c.id == current.id).values(**values))
    return await get_key(db, account_id, key_id)


async def revoke_key(db: Database, account_id: str | None, key_id: str) -> KeyInfo:
    current = await get_key(db, account_id, key_id)
    if current.revoked_at is None:
        async with db.write() as conn:
            await conn.execute(
                update(api_keys)
                .where(and_(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)))
                .values(revoked_at=now_ms())
            )
    return await get_key(db, account_id, key_id)


async def rotate_key(
    db: Database,
    account_id: str | None,
    key_id: str,
    *,
    grace_seconds: int,
    bound: Callable[[KeyLimits, bool], KeyLimits] | None = None,
) -> tuple[KeyInfo, str, KeyInfo]:
    """Replace a key with a new one of the same settings (passed through ``bound``, which
    may narrow them or refuse, when the caller's own limits apply).

    The old key keeps working for ``grace_seconds`` (0: it stops at once). Returns the new
    key's record, the new full key, and the old key's record.
    """
    old = await get_key(db, account_id, key_id)
    if old.status(now_ms()) != "active":
        raise InvalidRequest(f"API key {key_id} is {old.status(now_ms())} and cannot be rotated")
    limits = KeyLimits(
        expires_at=old.expires_at,
        allowed_models=old.allowed_models,
        rate_limit_per_minute=old.rate_limit_per_minute,
        spend_cap=old.spend_cap,
    )
    if bound is not None:
        limits = bound(limits, old.mode == "test")
    now = now_ms()
    async with db.write() as conn:
        new, raw = await _insert_key(
            conn, old.account_id, old.name, old.mode == "test", limits, raw_key=None
        )
        ends: dict[str, Any] = {"rotated_to": new.id}
        if grace_seconds <= 0:
            ends["revoked_at"] = now
        else:
            grace_end = now + grace_seconds * 1000
            ends["expires_at"] = (
                grace_end if old.expires_at is None else min(old.expires_at, grace_end)
            )
        await conn.execute(update(api_keys).where(api_keys.c.id == old.id).values(**ends))
    return new, raw, await get_key(db, account_id, key_id)


async def load_principal(db: Database, key_hash: str) -> Principal | None:
    """The cache's loader: one indexed read joining the key and its account."""
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(
                    api_keys.c.id,
                    api_keys.c.account_id,
                    api_keys.c.mode,
                    api_keys.c.name,
                    api_keys.c.prefix,
                    api_keys.c.last4,
                    api_keys.c.expires_at,
                    api_keys.c.revoked_at,
                    api_keys.c.allowed_models,
                    api_keys.c.rate_limit_per_minute,
                    api_keys.c.spend_cap,
                    accounts.c.is_admin,
                    accounts.c.disabled,
                )
                .join(accounts, accounts.c.id == api_keys.c.account_id)
                .where(api_keys.c.key_hash == key_hash)
            )
        ).first()
    if row is None:
        return None
    allowed = json.loads(row.allowed_models) if row.allowed_models else None
    return Principal(
        key_id=row.id,
        account_id=row.account_id,
        mode=row.mode,
        key_name=row.name,
        prefix=row.prefix,
        last4=row.last4,
        is_admin=bool(row.is_admin),
        account_disabled=bool(row.disabled),
        revoked=row.revoked_at is not None,
        expires_at=row.expires_at,
        allowed_models=frozenset(allowed) if allowed is not None else None,
        rate_limit_per_minute=row.rate_limit_per_minute,
        spend_cap=row.spend_cap,
    )
