"""Dashboard sessions: a random 32-byte cookie, stored only as its SHA-256, with an expiry
and a CSRF token of its own. A login replaces whatever session the browser had (no
fixation); disabling an account or changing its password ends its sessions.

A session opened with an API key is that key: it is read together with the key's row on
every request, so it ends as soon as the key is revoked, expires (a rotation's grace is an
expiry), or can no longer sign in (it got an allow-list or a spend cap), in every process at
once; and it carries the key's limits (``key``) instead of the account's whole powers."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, insert, select

from apiinone.auth.accounts import Account
from apiinone.auth.principal import Principal
from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import accounts, api_keys, sessions

__all__ = [
    "Session",
    "can_sign_in",
    "create_session",
    "end_account_sessions",
    "end_session",
    "load_session",
]


@dataclass(frozen=True, slots=True)
class Session:
    id_hash: str
    account_id: str
    csrf_token: str
    created_at: int
    expires_at: int
    key: Principal | None = None  # the key it was opened with; None: a password login


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_session(
    db: Database,
    account_id: str,
    *,
    lifetime_seconds: float,
    user_agent: str | None,
    replaces: str | None = None,
    key: Principal | None = None,
) -> tuple[str, Session]:
    """A new session (opened with ``key``, or a password); returns the cookie value (shown
    to the browser only) and the row."""
    token = secrets.token_urlsafe(32)
    now = now_ms()
    session = Session(
        id_hash=_hash(token),
        account_id=account_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + int(lifetime_seconds * 1000),
        key=key,
    )
    async with db.write() as conn:
        if replaces:
            await conn.execute(delete(sessions).where(sessions.c.id_hash == _hash(replaces)))
        # Expired sessions of every account go at each login (indexed on expires_at).
        await conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
        await conn.execute(
            insert(sessions).values(
                id_hash=session.id_hash,
                account_id=account_id,
                csrf_token=session.csrf_token,
                created_at=now,
                expires_at=session.expires_at,
                user_agent=(user_agent or "")[:300] or None,
                key_id=key.key_id if key is not None else None,
            )
        )
    return token, session


def can_sign_in(key: Principal, now: int) -> bool:
    """Whether a key may open (and so keep) a dashboard session: a live key without an
    allow-list or spend cap, not revoked, not expired, of an enabled account. An expiry or
    a rate limit is allowed: the session ends with the first and keeps the second."""
    return (
        key.unrestricted
        and not key.revoked
        and not key.account_disabled
        and (key.expires_at is None or key.expires_at > now)
    )


def _key_of(row: Any) -> Principal:
    allowed = json.loads(row.key_allowed_models) if row.key_allowed_models else None
    return Principal(
        key_id=row.key_id,
        account_id=row.account_id,
        mode=row.key_mode,
        key_name=row.key_name,
        prefix=row.key_prefix,
        last4=row.key_last4,
        is_admin=bool(row.is_admin),
        account_disabled=bool(row.disabled),
        revoked=row.key_revoked_at is not None,
        expires_at=row.key_expires_at,
        allowed_models=frozenset(allowed) if allowed is not None else None,
        rate_limit_per_minute=row.key_rate_limit,
        spend_cap=row.key_spend_cap,
    )


async def load_session(db: Database, token: str) -> tuple[Session, Account] | None:
    """The live session behind a cookie and its account; None when unknown, expired, the
    account is disabled, or the key it was opened with can no longer sign in."""
    if not token or len(token) > 100:
        return None
    stmt = (
        select(
            sessions.c.id_hash,
            sessions.c.account_id,
            sessions.c.csrf_token,
            sessions.c.created_at,
            sessions.c.expires_at,
            sessions.c.key_id,
            accounts.c.email,
            accounts.c.name,
            accounts.c.is_admin,
            accounts.c.disabled,
            accounts.c.created_at.label("account_created_at"),
            api_keys.c.mode.label("key_mode"),
            api_keys.c.name.label("key_name"),
            api_keys.c.prefix.label("key_prefix"),
            api_keys.c.last4.label("key_last4"),
            api_keys.c.expires_at.label("key_expires_at"),
            api_keys.c.revoked_at.label("key_revoked_at"),
            api_keys.c.allowed_models.label("key_allowed_models"),
            api_keys.c.rate_limit_per_minute.label("key_rate_limit"),
            api_keys.c.spend_cap.label("key_spend_cap"),
        )
        .join(accounts, accounts.c.id == sessions.c.account_id)
        .outerjoin(api_keys, api_keys.c.id == sessions.c.key_id)
        .where(sessions.c.id_hash == _hash(token))
    )
    async with db.read() as conn:
        row = (await conn.execute(stmt)).first()
    now = now_ms()
    if row is None or row.expires_at <= now or row.disabled:
        return None
    key = None
    if row.key_id is not None:
        if row.key_mode is None:  # the key's row is gone: so is the session
            return None
        key = _key_of(row)
        if not can_sign_in(key, now):
            return None
    session = Session(
        id_hash=row.id_hash,
        account_id=row.account_id,
        csrf_token=row.csrf_token,
        created_at=int(row.created_at),
        expires_at=int(row.expires_at),
        key=key,
    )
    account = Account(
        id=row.account_id,
        email=row.email,
        name=row.name,
        is_admin=bool(row.is_admin),
        disabled=bool(row.disabled),
        created_at=int(row.account_created_at),
    )
    return session, account


async def end_session(db: Database, token: str) -> None:
    async with db.write() as conn:
        await conn.execute(delete(sessions).where(sessions.c.id_hash == _hash(token)))


async def end_account_sessions(db: Database, account_id: str, *, keep: str | None = None) -> None:
    """End every session of the account (but ``keep``, a session's id hash)."""
    condition = sessions.c.account_id == account_id
    if keep is not None:
        condition = and_(condition, sessions.c.id_hash != keep)
    async with db.write() as conn:
        await conn.execute(delete(sessions).where(condition))
