"""Dashboard sessions: a random 32-byte cookie, stored only as its SHA-256, with an expiry
and a CSRF token of its own. A login replaces whatever session the browser had (no
fixation); disabling an account or changing its password ends its sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, delete, insert, select

from apiinone.auth.accounts import Account
from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import accounts, sessions

__all__ = [
    "Session",
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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_session(
    db: Database,
    account_id: str,
    *,
    lifetime_seconds: float,
    user_agent: str | None,
    replaces: str | None = None,
) -> tuple[str, Session]:
    """A new session; returns the cookie value (shown to the browser only) and the row."""
    token = secrets.token_urlsafe(32)
    now = now_ms()
    session = Session(
        id_hash=_hash(token),
        account_id=account_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + int(lifetime_seconds * 1000),
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
            )
        )
    return token, session


async def load_session(db: Database, token: str) -> tuple[Session, Account] | None:
    """The live session behind a cookie and its account; None when unknown, expired, or
    the account is disabled."""
    if not token or len(token) > 100:
        return None
    stmt = (
        select(
            sessions.c.id_hash,
            sessions.c.account_id,
            sessions.c.csrf_token,
            sessions.c.created_at,
            sessions.c.expires_at,
            accounts.c.email,
            accounts.c.name,
            accounts.c.is_admin,
            accounts.c.disabled,
            accounts.c.created_at.label("account_created_at"),
        )
        .join(accounts, accounts.c.id == sessions.c.account_id)
        .where(sessions.c.id_hash == _hash(token))
    )
    async with db.read() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None or row.expires_at <= now_ms() or row.disabled:
        return None
    session = Session(
        id_hash=row.id_hash,
        account_id=row.account_id,
        csrf_token=row.csrf_token,
        created_at=int(row.created_at),
        expires_at=int(row.expires_at),
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
