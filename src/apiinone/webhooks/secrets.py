"""Each account's Standard Webhooks signing secret: created on first use, rotatable."""

from __future__ import annotations

import base64
import secrets

from sqlalchemy import select, update

from apiinone.db.engine import Database
from apiinone.db.tables import accounts
from apiinone.errors import NotFound

__all__ = ["ensure_secret", "new_secret", "rotate_secret"]

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


async def ensure_secret(db: Database, account_id: str) -> str:
    """The account's secret, created if it has none (two callers at once agree on one)."""
    async with db.read() as conn:
        row = (
            await conn.execute(select(accounts.c.webhook_secret).where(accounts.c.id == account_id))
        ).first()
    if row is None:
        raise NotFound(f"No account {account_id}")
    if row.webhook_secret:
        return str(row.webhook_secret)
    async with db.write() as conn:
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id, accounts.c.webhook_secret.is_(None))
            .values(webhook_secret=new_secret())
        )
        current = (
            await conn.execute(select(accounts.c.webhook_secret).where(accounts.c.id == account_id))
        ).scalar_one()
    return str(current)


async def rotate_secret(db: Database, account_id: str) -> str:
    """Replace the account's secret; deliveries signed from now on use the new one."""
    secret = new_secret()
    async with db.write() as conn:
        result = await conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(webhook_secret=secret)
        )
    if result.rowcount != 1:
        raise NotFound(f"No account {account_id}")
    return secret
