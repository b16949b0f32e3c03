"""Accounts: creation (with their wallets and sign-up credits) and look-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.billing.ledger import adjust, ensure_wallet
from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import accounts, sessions
from apiinone.errors import InvalidRequest, NotFound
from apiinone.ids import new_id

__all__ = [
    "Account",
    "create_account",
    "find_account",
    "find_admin",
    "get_account",
    "list_accounts",
    "set_disabled",
]


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    email: str
    name: str
    is_admin: bool
    disabled: bool
    created_at: int

    @classmethod
    def from_row(cls, row: Row[Any]) -> Account:
        return cls(
            id=row.id,
            email=row.email,
            name=row.name,
            is_admin=bool(row.is_admin),
            disabled=bool(row.disabled),
            created_at=int(row.created_at),
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "is_admin": self.is_admin,
            "disabled": self.disabled,
            "created_at": self.created_at,
        }


def _normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@"):
        raise InvalidRequest("email must be a valid address", param="email")
    return email


async def create_account(
    db: Database,
    *,
    email: str,
    name: str = "",
    is_admin: bool = False,
    signup_bonus: int = 0,
    test_credits: int = 0,
    password_hash: str | None = None,
) -> Account:
    """Create an account, its live and test wallets, and the sign-up ledger rows."""
    email = _normalize_email(email)
    account_id = new_id("acc")
    created = now_ms()
    try:
        async with db.write() as conn:
            await conn.execute(
                insert(accounts).values(
                    id=account_id,
                    email=email,
                    name=name,
                    password_hash=password_hash,
                    is_admin=is_admin,
                    disabled=False,
                    created_at=created,
                )
            )
            await ensure_wallet(conn, account_id, "live")
            await ensure_wallet(conn, account_id, "test")
            if signup_bonus > 0:
                await adjust(
                    conn,
                    account_id=account_id,
                    mode="live",
                    amount=signup_bonus,
                    kind="bonus",
                    reason="sign-up bonus",
                )
            if test_credits > 0:
                await adjust(
                    conn,
                    account_id=account_id,
                    mode="test",
                    amount=test_credits,
                    kind="grant",
                    reason="test credits",
                )
    except IntegrityError as exc:
        raise InvalidRequest(
            f"An account with email {email} already exists", param="email"
        ) from exc
    return Account(account_id, email, name, is_admin, False, created)


async def get_account(conn: AsyncConnection, account_id: str) -> Account:
    row = (await conn.execute(select(accounts).where(accounts.c.id == account_id))).first()
    if row is None:
        raise NotFound(f"No account {account_id}")
    return Account.from_row(row)


async def find_admin(db: Database) -> Account | None:
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(accounts)
                .where(accounts.c.is_admin.is_(True))
                .order_by(accounts.c.created_at)
            )
        ).first()
    return None if row is None else Account.from_row(row)


async def list_accounts(
    db: Database, *, search: str | None, limit: int, cursor: str | None
) -> tuple[list[Account], str | None]:
    stmt = select(accounts).order_by(accounts.c.id).limit(limit + 1)
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(func.lower(accounts.c.email).like(pattern))
    if cursor:
        stmt = stmt.where(accounts.c.id > cursor)
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).fetchall()
    items = [Account.from_row(r) for r in rows[:limit]]
    next_cursor = items[-1].id if len(rows) > limit and items else None
    return items, next_cursor


async def set_disabled(db: Database, account_id: str, disabled: bool) -> Account:
    """Disable or enable an account; disabling ends its dashboard sessions for good (they do
    not come back when it is enabled again)."""
    async with db.write() as conn:
        result = await conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(disabled=disabled)
        )
        if result.rowcount == 0:
            raise NotFound(f"No account {account_id}")
        if disabled:
            await conn.execute(delete(sessions).where(sessions.c.account_id == account_id))
        return await get_account(conn, account_id)


async def find_account(db: Database, id_or_email: str) -> Account:
    """An account by id (``acc_...``) or by email."""
    column = accounts.c.id if id_or_email.startswith("acc_") else accounts.c.email
    value = id_or_email if id_or_email.startswith("acc_") else id_or_email.strip().lower()
    async with db.read() as conn:
        row = (await conn.execute(select(accounts).where(column == value))).first()
    if row is None:
        raise NotFound(f"No account {id_or_email}")
    return Account.from_row(row)
