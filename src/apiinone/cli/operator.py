"""Operator commands on the database: accounts, keys and credits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from apiinone.cli.runtime import console, run_with_db

if TYPE_CHECKING:
    from apiinone.db.engine import Database
    from apiinone.settings import Settings

accounts = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys = typer.Typer(help="Manage API keys.", no_args_is_help=True)
credits = typer.Typer(help="Grant or deduct credits.", no_args_is_help=True)


@accounts.command("create")
def accounts_create(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    admin: Annotated[bool, typer.Option("--admin", help="Make it an admin account")] = False,
    with_key: Annotated[bool, typer.Option(help="Also create an API key")] = True,
) -> None:
    """Create an account (with the sign-up bonus) and, by default, an API key."""
    from apiinone.audit import Actor, record
    from apiinone.auth.accounts import create_account
    from apiinone.auth.keys import create_key

    async def work(db: Database, settings: Settings) -> None:
        account = await create_account(
            db,
            email=email,
            name=name,
            is_admin=admin,
            signup_bonus=settings.signup_bonus,
            test_credits=settings.test_credits,
        )
        console.print(f"account {account.id} ({account.email})")
        after = {"email": account.email, "is_admin": account.is_admin, "with_key": with_key}
        await record(db, Actor.cli(), "account.create", account.id, after=after)
        if with_key:
            _, raw = await create_key(db, account_id=account.id, name="default")
            console.print(f"API key (shown once): {raw}", soft_wrap=True)

    run_with_db(work)


@keys.command("generate")
def keys_generate() -> None:
    """Print a fresh random key (e.g. for APIINONE_ADMIN_KEY); stores nothing."""
    from apiinone.auth.secrets import generate_key

    console.print(generate_key(), soft_wrap=True)


@keys.command("create")
def keys_create(
    account: Annotated[str, typer.Argument(help="Account id or email")],
    name: Annotated[str, typer.Option()] = "",
    test: Annotated[bool, typer.Option("--test", help="A sandbox test key")] = False,
    rate_limit: Annotated[int | None, typer.Option(min=1, help="Requests per minute")] = None,
    spend_cap: Annotated[int | None, typer.Option(min=0, help="Credits this key may spend")] = None,
    model: Annotated[list[str] | None, typer.Option(help="Allowed model (repeatable)")] = None,
) -> None:
    """Create an API key for an account."""
    from apiinone.audit import Actor, record
    from apiinone.auth.accounts import find_account
    from apiinone.auth.keys import KeyLimits, create_key

    async def work(db: Database, _settings: Settings) -> None:
        target = await find_account(db, account)
        info, raw = await create_key(
            db,
            account_id=target.id,
            name=name,
            test=test,
            limits=KeyLimits(
                allowed_models=tuple(model) if model else None,
                rate_limit_per_minute=rate_limit,
                spend_cap=spend_cap,
            ),
        )
        after = {"account_id": target.id, "name": info.name, "mode": info.mode}
        await record(db, Actor.cli(), "key.create", info.id, after=after)
        console.print(f"key {info.id} for {target.email}")
        console.print(f"API key (shown once): {raw}", soft_wrap=True)

    run_with_db(work)


@keys.command("list")
def keys_list(account: Annotated[str, typer.Argument(help="Account id or email")]) -> None:
    """List an account's keys (never the keys themselves)."""
    from apiinone.auth.accounts import find_account
    from apiinone.auth.keys import list_keys

    async def work(db: Database, _settings: Settings) -> None:
        target = await find_account(db, account)
        table = Table("id", "name", "key", "mode", "status")
        for info in await list_keys(db, target.id):
            data = info.public()
            table.add_row(info.id, info.name, data["display"], info.mode, data["status"])
        console.print(table)

    run_with_db(work)


@keys.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key; it stops working within a second on every server."""
    from apiinone.audit import Actor, record
    from apiinone.auth.keys import get_key, revoke_key
    from apiinone.bus import Bus

    async def work(db: Database, settings: Settings) -> None:
        before = await get_key(db, None, key_id)
        info = await revoke_key(db, None, key_id)
        if before.revoked_at is None:
            await record(
                db,
                Actor.cli(),
                "key.revoke",
                key_id,
                before={"account_id": info.account_id, "revoked_at": None},
                after={"account_id": info.account_id, "revoked_at": info.revoked_at},
            )
        bus = Bus(settings.redis_url)  # tell running servers at once, where Redis is shared
        await bus.publish("key", info.key_hash)
        await bus.close()
        console.print(f"revoked {info.id}")

    run_with_db(work)


@credits.command("grant")
def credits_grant(
    account: Annotated[str, typer.Argument(help="Account id or email")],
    amount: Annotated[int, typer.Argument(help="Credits; negative to deduct")],
    reason: Annotated[str, typer.Option(help="Why (kept in the ledger)")] = "granted by operator",
    test: Annotated[bool, typer.Option("--test", help="Grant test credits")] = False,
) -> None:
    """Grant (or with a negative amount, deduct) credits; one ledger row."""
    from apiinone.audit import Actor, record
    from apiinone.auth.accounts import find_account
    from apiinone.billing.ledger import adjust

    async def work(db: Database, _settings: Settings) -> None:
        target = await find_account(db, account)
        async with db.write() as conn:
            balance = await adjust(
                conn,
                account_id=target.id,
                mode="test" if test else "live",
                amount=amount,
                kind="grant" if amount > 0 else "deduct",
                reason=reason,
            )
            await record(
                conn,
                Actor.cli(),
                "credits.grant" if amount > 0 else "credits.deduct",
                target.id,
                before={"mode": "test" if test else "live", "balance": balance - amount},
                after={"mode": "test" if test else "live", "balance": balance, "reason": reason},
            )
        console.print(f"{target.email}: balance {balance}")

    run_with_db(work)
