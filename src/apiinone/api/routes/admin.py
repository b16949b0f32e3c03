"""Operator routes: accounts, their keys and credits. Admin keys only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from apiinone.api.deps import AdminPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.routes.keys import issue_key
from apiinone.api.schemas import AccountCreate, AccountUpdate, CreditAdjust, KeyCreate
from apiinone.api.shapes.admin import (
    AccountCreated,
    AccountDetail,
    AccountPublic,
    Credits,
)
from apiinone.api.shapes.envelope import Items, Page, enveloped
from apiinone.api.shapes.keys import KeyCreated, KeyPublic, KeyRevoked
from apiinone.audit import Actor, record
from apiinone.auth.accounts import create_account, get_account, list_accounts, set_disabled
from apiinone.auth.keys import KeyLimits, create_key, get_key, list_keys, revoke_key
from apiinone.auth.powers import within
from apiinone.billing.ledger import adjust, get_wallet

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

AccountId = Annotated[str, Path(max_length=40)]


@router.post("/accounts", status_code=201, responses=enveloped(AccountCreated, 201))
async def admin_create_account(
    body: AccountCreate, admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    settings = gateway.settings
    account = await create_account(
        gateway.db,
        email=body.email,
        name=body.name,
        is_admin=body.is_admin,
        signup_bonus=settings.signup_bonus,
        test_credits=settings.test_credits,
    )
    data = account.public()
    if body.create_key:
        info, raw = await create_key(
            gateway.db,
            account_id=account.id,
            name="default",
            limits=within(admin, KeyLimits(), test=False),
        )
        data["key"] = {**info.public(), "key": raw}
    await record(
        gateway.db,
        Actor("api", admin.account_id),
        "account.create",
        account.id,
        after={"email": account.email, "is_admin": account.is_admin, "with_key": body.create_key},
    )
    return envelope(data, status_code=201)


@router.get("/accounts", responses=enveloped(Page[AccountPublic]))
async def admin_list_accounts(
    _admin: AdminPrincipal,
    gateway: GatewayDep,
    search: Annotated[str | None, Query(max_length=320)] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FastJSON:
    items, next_cursor = await list_accounts(gateway.db, search=search, limit=limit, cursor=cursor)
    return envelope(
        {
            "items": [a.public() for a in items],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        }
    )


@router.get("/accounts/{account_id}", responses=enveloped(AccountDetail))
async def admin_get_account(
    account_id: AccountId, _admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    async with gateway.db.read() as conn:
        account = await get_account(conn, account_id)
        live = await get_wallet(conn, account_id, "live")
        test = await get_wallet(conn, account_id, "test")
    return envelope(
        {
            **account.public(),
            "live": {"balance": live.balance, "held": live.held},
            "test": {"balance": test.balance, "held": test.held},
        }
    )


@router.patch("/accounts/{account_id}", responses=enveloped(AccountPublic))
async def admin_update_account(
    account_id: AccountId, body: AccountUpdate, admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    async with gateway.db.read() as conn:
        before = await get_account(conn, account_id)
    account = await set_disabled(gateway.db, account_id, body.disabled)
    await gateway.key_changed(None)
    if before.disabled != account.disabled:
        await record(
            gateway.db,
            Actor("api", admin.account_id),
            "account.disable" if account.disabled else "account.enable",
            account_id,
            before={"disabled": before.disabled},
            after={"disabled": account.disabled},
        )
    return envelope(account.public())


@router.post("/accounts/{account_id}/credits", responses=enveloped(Credits))
async def admin_adjust_credits(
    account_id: AccountId, body: CreditAdjust, admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    async with gateway.db.write() as conn:
        await get_account(conn, account_id)
        balance = await adjust(
            conn,
            account_id=account_id,
            mode=body.mode,
            amount=body.amount,
            kind="grant" if body.amount > 0 else "deduct",
            reason=f"{body.reason} (by {admin.account_id})",
        )
        await record(
            conn,
            Actor("api", admin.account_id),
            "credits.grant" if body.amount > 0 else "credits.deduct",
            account_id,
            before={"mode": body.mode, "balance": balance - body.amount},
            after={"mode": body.mode, "balance": balance, "reason": body.reason},
        )
    return envelope({"account_id": account_id, "mode": body.mode, "balance": balance})


@router.get("/accounts/{account_id}/keys", responses=enveloped(Items[KeyPublic]))
async def admin_list_keys(
    account_id: AccountId, _admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    async with gateway.db.read() as conn:
        await get_account(conn, account_id)
    keys = await list_keys(gateway.db, account_id)
    return envelope({"items": [k.public() for k in keys]})


@router.post("/accounts/{account_id}/keys", status_code=201, responses=enveloped(KeyCreated, 201))
async def admin_create_key(
    account_id: AccountId, body: KeyCreate, admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    return await issue_key(gateway, account_id, body, admin, audit=Actor("api", admin.account_id))


@router.delete("/keys/{key_id}", responses=enveloped(KeyRevoked))
async def admin_revoke_key(
    key_id: Annotated[str, Path(max_length=40)], admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    before = await get_key(gateway.db, None, key_id)
    info = await revoke_key(gateway.db, None, key_id)
    await gateway.key_changed(info.key_hash)
    if before.revoked_at is None:
        await record(
            gateway.db,
            Actor("api", admin.account_id),
            "key.revoke",
            key_id,
            before={"account_id": info.account_id, "revoked_at": None},
            after={"account_id": info.account_id, "revoked_at": info.revoked_at},
        )
    return envelope({**info.public(), "account_id": info.account_id})
