"""Real databases for unit tests: a migrated SQLite file, and ledger invariant checks."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from apiinone.auth.accounts import create_account
from apiinone.db.engine import Database
from apiinone.db.migrate import upgrade
from apiinone.db.tables import ledger, wallets
from tests.support import pg


async def open_db(path: Path) -> Database:
    url = pg.database_for(path) if pg.enabled() else f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    await upgrade(db)
    return db


async def new_account(db: Database, credits: int = 0) -> str:
    account = await create_account(
        db, email=f"{path_token()}@example.com", signup_bonus=credits, test_credits=0
    )
    return account.id


def path_token() -> str:
    import secrets

    return secrets.token_hex(6)


async def wallet_state(
    db: Database, account_id: str, mode: str = "live"
) -> tuple[int, int, int, int]:
    """(balance, held, sum of ledger amounts, sum of ledger held deltas)."""
    async with db.read() as conn:
        wallet = (
            await conn.execute(
                select(wallets.c.balance, wallets.c.held).where(
                    (wallets.c.account_id == account_id) & (wallets.c.mode == mode)
                )
            )
        ).one()
        sums = (
            await conn.execute(
                select(
                    func.coalesce(func.sum(ledger.c.amount), 0),
                    func.coalesce(func.sum(ledger.c.held_delta), 0),
                ).where((ledger.c.account_id == account_id) & (ledger.c.mode == mode))
            )
        ).one()
    return int(wallet.balance), int(wallet.held), int(sums[0]), int(sums[1])
