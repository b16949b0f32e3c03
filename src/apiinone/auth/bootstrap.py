"""First start: make sure an admin account and an admin key exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from apiinone.auth.accounts import create_account, find_admin
from apiinone.auth.keys import create_key
from apiinone.auth.secrets import hash_key
from apiinone.db.engine import Database
from apiinone.db.tables import api_keys
from apiinone.settings import Settings

__all__ = ["BootstrapResult", "bootstrap_admin"]


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    account_id: str
    new_key: str | None  # a generated key, to print once; None if nothing was generated
    from_env: bool


async def bootstrap_admin(db: Database, settings: Settings) -> BootstrapResult:
    admin = await find_admin(db)
    if admin is None:
        admin = await create_account(
            db,
            email=settings.admin_email,
            name="Administrator",
            is_admin=True,
            signup_bonus=settings.signup_bonus,
            test_credits=settings.test_credits,
        )
        created = True
    else:
        created = False
    if settings.admin_key is not None:
        raw = settings.admin_key.get_secret_value()
        async with db.read() as conn:
            present = (
                await conn.execute(
                    select(api_keys.c.id).where(api_keys.c.key_hash == hash_key(raw))
                )
            ).first()
        if present is None:
            await create_key(
                db, account_id=admin.id, name="bootstrap (APIINONE_ADMIN_KEY)", raw_key=raw
            )
        return BootstrapResult(admin.id, None, from_env=True)
    if created:
        _, raw = await create_key(db, account_id=admin.id, name="bootstrap")
        return BootstrapResult(admin.id, raw, from_env=False)
    return BootstrapResult(admin.id, None, from_env=False)
