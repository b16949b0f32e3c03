"""Each account's Standard Webhooks signing secret: created on first use, rotatable.

The secret must stay usable (it signs every delivery), so it cannot be a hash: its 32
random bytes are kept sealed (:mod:`apiinone.sealing`, bound to the account id) in
``accounts.webhook_secret``. A value left in clear by an older version is still read, and
sealed on that first read.
"""

from __future__ import annotations

import base64
import logging
import secrets

from sqlalchemy import select, update

from apiinone.db.engine import Database
from apiinone.db.tables import accounts
from apiinone.errors import NotFound, ServiceUnavailable
from apiinone.sealing import Sealer, SealError, is_sealed

__all__ = [
    "ensure_secret",
    "new_secret",
    "open_secret",
    "reseal_all",
    "rotate_secret",
    "seal_secret",
]

SECRET_PREFIX = "whsec_"
log = logging.getLogger("apiinone.webhooks")


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _context(account_id: str) -> str:
    """What a sealed secret is bound to: its column and its account."""
    return f"accounts.webhook_secret:{account_id}"


def seal_secret(sealer: Sealer, account_id: str, secret: str) -> str:
    """The stored form of ``secret``: its random bytes, sealed."""
    raw = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    return sealer.seal(raw, _context(account_id))


def open_secret(sealer: Sealer, account_id: str, stored: str) -> str:
    """The secret a stored value holds (a value stored in clear is that secret)."""
    if not is_sealed(stored):
        return stored
    raw = sealer.open(stored, _context(account_id))
    return SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


def _open(sealer: Sealer, account_id: str, stored: str) -> str:
    try:
        return open_secret(sealer, account_id, stored)
    except SealError as exc:
        log.error("account %s: %s", account_id, exc)
        raise ServiceUnavailable(
            "The webhook secret cannot be read with this gateway's secret key; "
            "the operator must configure the key it was sealed with"
        ) from None


async def ensure_secret(db: Database, sealer: Sealer, account_id: str) -> str:
    """The account's secret, created if it has none (two callers at once agree on one)."""
    async with db.read() as conn:
        row = (
            await conn.execute(select(accounts.c.webhook_secret).where(accounts.c.id == account_id))
        ).first()
    if row is None:
        raise NotFound(f"No account {account_id}")
    stored = row.webhook_secret
    if stored:
        secret = _open(sealer, account_id, str(stored))
        if not is_sealed(str(stored)):
            await _seal_in_place(db, sealer, account_id, str(stored))
        return secret
    async with db.write() as conn:
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id, accounts.c.webhook_secret.is_(None))
            .values(webhook_secret=seal_secret(sealer, account_id, new_secret()))
        )
        current = (
            await conn.execute(select(accounts.c.webhook_secret).where(accounts.c.id == account_id))
        ).scalar_one()
    return _open(sealer, account_id, str(current))


async def _seal_in_place(db: Database, sealer: Sealer, account_id: str, clear: str) -> None:
    """A clear value from before sealing: sealed now, unless it changed meanwhile."""
    async with db.write() as conn:
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id, accounts.c.webhook_secret == clear)
            .values(webhook_secret=seal_secret(sealer, account_id, clear))
        )


async def rotate_secret(db: Database, sealer: Sealer, account_id: str) -> str:
    """Replace the account's secret; deliveries signed from now on use the new one."""
    secret = new_secret()
    async with db.write() as conn:
        result = await conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(webhook_secret=seal_secret(sealer, account_id, secret))
        )
    if result.rowcount != 1:
        raise NotFound(f"No account {account_id}")
    return secret


def _reseal(sealer: Sealer, account_id: str, stored: str) -> str:
    return seal_secret(sealer, account_id, open_secret(sealer, account_id, stored))


async def reseal_all(db: Database, sealer: Sealer, *, batch: int = 500) -> int:
    """Seal every account's secret under the current key (those in clear or under a
    previous key); returns how many changed. Raises :class:`SealError` when a secret opens
    under none of the configured keys, before changing that batch."""
    changed = 0
    after = ""
    while True:
        async with db.read() as conn:
            rows = (
                await conn.execute(
                    select(accounts.c.id, accounts.c.webhook_secret)
                    .where(accounts.c.id > after, accounts.c.webhook_secret.is_not(None))
                    .order_by(accounts.c.id)
                    .limit(batch)
                )
            ).all()
        if not rows:
            return changed
        after = str(rows[-1].id)
        stale = [(str(r.id), str(r.webhook_secret)) for r in rows]
        stale = [(a, v) for a, v in stale if not sealer.is_current(v)]
        fresh = [(account_id, old, _reseal(sealer, account_id, old)) for account_id, old in stale]
        async with db.write() as conn:
            for account_id, old, new in fresh:
                result = await conn.execute(
                    update(accounts)
                    .where(accounts.c.id == account_id, accounts.c.webhook_secret == old)
                    .values(webhook_secret=new)
                )
                changed += result.rowcount
