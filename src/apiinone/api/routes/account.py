"""The caller's account: balance, held credits, key info, and the ledger as usage.

The webhook secret (``webhook_secret``, ``null`` for them) and the live ledger are withheld
from restricted and test keys (``auth/powers.py``); a test key reads the test ledger.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import and_, select

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope, iso
from apiinone.api.params import EpochMsFrom, EpochMsUntil, ascii_int
from apiinone.api.shapes.account import AccountData, LedgerEntry
from apiinone.api.shapes.envelope import Page, enveloped
from apiinone.auth.accounts import get_account
from apiinone.auth.powers import FULL_ACCESS, has_full_access
from apiinone.billing.ledger import get_wallet
from apiinone.billing.statement import ledger_row
from apiinone.db.tables import ledger
from apiinone.errors import InvalidRequest, PermissionDenied
from apiinone.webhooks.secrets import ensure_secret

router = APIRouter(prefix="/api/v1", tags=["account"])


@router.get("/account", responses=enveloped(AccountData))
async def read_account(principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
    async with gateway.db.read() as conn:
        account = await get_account(conn, principal.account_id)
        live = await get_wallet(conn, principal.account_id, "live")
        test = await get_wallet(conn, principal.account_id, "test")
    current = live if principal.mode == "live" else test
    full = has_full_access(principal)
    secret = await ensure_secret(gateway.db, gateway.sealer, principal.account_id) if full else None
    return envelope(
        {
            "account_id": account.id,
            "email": account.email,
            "name": account.name,
            "is_admin": account.is_admin,
            "mode": principal.mode,
            "balance": current.balance,
            "held": current.held,
            "live": {"balance": live.balance, "held": live.held},
            "test": {"balance": test.balance, "held": test.held},
            "key": {
                "id": principal.key_id,
                "name": principal.key_name,
                "mode": principal.mode,
                "display": f"{principal.prefix}…{principal.last4}",
                "allowed_models": sorted(principal.allowed_models)
                if principal.allowed_models is not None
                else None,
                "rate_limit_per_minute": principal.rate_limit_per_minute
                or gateway.settings.rate_limit_per_minute,
                "spend_cap": principal.spend_cap,
                "expires_at": iso(principal.expires_at),
            },
            "webhook_secret": secret,
            "created_at": iso(account.created_at),
        }
    )


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    after = ascii_int(value)
    if after is None:
        raise InvalidRequest(
            "cursor is not valid; use next_cursor from a previous page", param="cursor"
        )
    return after


@router.get("/usage", responses=enveloped(Page[LedgerEntry]))
async def usage(
    principal: CurrentPrincipal,
    gateway: GatewayDep,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    kind: Annotated[
        Literal["grant", "bonus", "deduct", "hold", "capture", "release", "topup", "redeem"] | None,
        Query(),
    ] = None,
    model: Annotated[str | None, Query(max_length=120)] = None,
    task_id: Annotated[str | None, Query(max_length=64)] = None,
    mode: Annotated[Literal["live", "test"] | None, Query()] = None,
    since: EpochMsFrom = None,
    until: EpochMsUntil = None,
) -> FastJSON:
    """Ledger rows of the caller's account, newest first, with cursor pagination."""
    ledger_mode = mode or principal.mode
    if not has_full_access(principal) and not (ledger_mode == "test" and principal.is_test):
        raise PermissionDenied(
            f"The {ledger_mode} ledger needs {FULL_ACCESS}"
            + ("; a test key reads the test ledger" if principal.is_test else ""),
            param="mode",
        )
    conditions = [
        ledger.c.account_id == principal.account_id,
        ledger.c.mode == ledger_mode,
    ]
    after = _cursor(cursor)
    if after is not None:
        conditions.append(ledger.c.id < after)
    if kind:
        conditions.append(ledger.c.kind == kind)
    if model:
        conditions.append(ledger.c.model == model)
    if task_id:
        conditions.append(ledger.c.task_id == task_id)
    if since is not None:
        conditions.append(ledger.c.created_at >= since)
    if until is not None:
        conditions.append(ledger.c.created_at < until)
    stmt = select(ledger).where(and_(*conditions)).order_by(ledger.c.id.desc()).limit(limit + 1)
    async with gateway.db.read() as conn:
        rows = (await conn.execute(stmt)).fetchall()
    items = [ledger_row(r) for r in rows[:limit]]
    next_cursor = items[-1]["id"] if len(rows) > limit else None
    return envelope(
        {"items": items, "next_cursor": next_cursor, "has_more": next_cursor is not None}
    )
