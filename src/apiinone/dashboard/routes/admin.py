"""The admin console (admin accounts only): users, credits, the models list, tasks across
accounts, redemption codes. A model's price form is in ``admin_prices.py``, channels in
``admin_channels.py``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.api.params import MAX_EXPIRY_DAYS, ascii_int
from apiinone.audit import Actor, record
from apiinone.auth.accounts import get_account, set_disabled
from apiinone.auth.keys import list_keys
from apiinone.billing.ledger import adjust, get_wallet
from apiinone.billing.redeem import MAX_BATCH, batch_codes, create_batch, get_batch, list_batches
from apiinone.catalog import price_summary
from apiinone.catalog.overrides import load_overrides
from apiinone.dashboard.deps import AdminUser, CsrfAdmin, PageError
from apiinone.dashboard.media import split_cursor
from apiinone.dashboard.queries import LedgerFilter, account_rows, admin_tasks, ledger_page
from apiinone.dashboard.routes.tasks import STATUSES, task_detail, task_rows
from apiinone.dashboard.sessions import end_account_sessions
from apiinone.dashboard.web import page, redirect
from apiinone.db.engine import now_ms
from apiinone.errors import APIError, NotFound
from apiinone.gateway import Gateway
from apiinone.tasks.states import PUBLIC_TO_INTERNAL

router = APIRouter(prefix="/admin", include_in_schema=False)

Text = Annotated[str, Form(max_length=20_000)]
PAGE_SIZE = 50


@router.get("")
async def admin_home(request: Request, user: AdminUser) -> Response:
    return redirect(request, "/admin/users")


# ── users ──────────────────────────────────────────────────────────────────────────────


@router.get("/users")
async def users_page(
    request: Request,
    user: AdminUser,
    gateway: GatewayDep,
    q: str = "",
    page_no: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    rows = await account_rows(
        gateway.db, search=q[:320] or None, limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE
    )
    return page(
        request,
        "admin/users.html",
        user=user,
        rows=rows[:PAGE_SIZE],
        q=q,
        page_no=page_no,
        more=len(rows) > PAGE_SIZE,
    )


async def _account_or_404(gateway: Gateway, account_id: str) -> Any:
    try:
        async with gateway.db.read() as conn:
            return await get_account(conn, account_id[:40])
    except NotFound as exc:
        raise PageError(404, "No such account", f"There is no account {account_id[:40]}.") from exc


@router.get("/users/{account_id}")
async def user_page(
    request: Request, account_id: str, user: AdminUser, gateway: GatewayDep
) -> Response:
    account = await _account_or_404(gateway, account_id)
    async with gateway.db.read() as conn:
        live = await get_wallet(conn, account.id, "live")
        test = await get_wallet(conn, account.id, "test")
    rows, _ = await ledger_page(
        gateway.db, account.id, LedgerFilter(mode="live"), before=None, limit=20
    )
    keys = await list_keys(gateway.db, account.id)
    now = now_ms()
    return page(
        request,
        "admin/user.html",
        user=user,
        account=account,
        live=live,
        test=test,
        ledger=rows,
        keys=[{**k.public(), "status": k.status(now)} for k in keys],
    )


@router.post("/users/{account_id}/credits")
async def adjust_credits(
    request: Request,
    account_id: str,
    user: CsrfAdmin,
    gateway: GatewayDep,
    amount: Annotated[int, Form(ge=-(10**15), le=10**15)],
    reason: Annotated[str, Form(min_length=1, max_length=400)],
    direction: Annotated[str, Form(pattern="^(grant|deduct)$")] = "grant",
    mode: Annotated[str, Form(pattern="^(live|test)$")] = "live",
) -> Response:
    """The same ledger change as ``POST /api/v1/admin/accounts/{id}/credits``."""
    account = await _account_or_404(gateway, account_id)
    signed = abs(amount) if direction == "grant" else -abs(amount)
    back = f"/admin/users/{account.id}"
    try:
        async with gateway.db.write() as conn:
            balance = await adjust(
                conn,
                account_id=account.id,
                mode=mode,
                amount=signed,
                kind="grant" if signed > 0 else "deduct",
                reason=f"{reason.strip()} (by {user.account.id})",
            )
            await record(
                conn,
                Actor("console", user.account.id),
                "credits.grant" if signed > 0 else "credits.deduct",
                account.id,
                before={"mode": mode, "balance": balance - signed},
                after={"mode": mode, "balance": balance, "reason": reason.strip()},
            )
    except APIError as exc:
        return redirect(request, back, flash=("error", exc.message))
    verb = "Granted" if signed > 0 else "Deducted"
    return redirect(
        request, back, flash=("ok", f"{verb} {abs(signed):,} {mode} credits. Balance {balance:,}.")
    )


@router.post("/users/{account_id}/disable")
async def disable(
    request: Request,
    account_id: str,
    user: CsrfAdmin,
    gateway: GatewayDep,
    disabled: Annotated[str, Form(pattern="^(0|1)$")] = "1",
) -> Response:
    account = await _account_or_404(gateway, account_id)
    if account.id == user.account.id:
        return redirect(
            request, f"/admin/users/{account.id}", flash=("error", "You cannot disable yourself.")
        )
    await set_disabled(gateway.db, account.id, disabled == "1")
    await gateway.key_changed(None)
    if account.disabled != (disabled == "1"):
        await record(
            gateway.db,
            Actor("console", user.account.id),
            "account.disable" if disabled == "1" else "account.enable",
            account.id,
            before={"disabled": account.disabled},
            after={"disabled": disabled == "1"},
        )
    if disabled == "1":
        await end_account_sessions(gateway.db, account.id)
    text = (
        "Account disabled: its keys and sessions stop working."
        if disabled == "1"
        else ("Account enabled.")
    )
    return redirect(request, f"/admin/users/{account.id}", flash=("ok", text))


# ── models and prices ──────────────────────────────────────────────────────────────────


@router.get("/models")
async def models_page(request: Request, user: AdminUser, gateway: GatewayDep) -> Response:
    overrides = await load_overrides(gateway.db)
    return page(
        request,
        "admin/models.html",
        user=user,
        models=[
            {
                "slug": m.slug,
                "display_name": m.display_name,
                "kind": m.kind,
                "summary": price_summary(m),
                "operator_set": m.operator_set,
            }
            for m in gateway.catalog.models
        ],
        overrides=overrides,
    )


# ── tasks ──────────────────────────────────────────────────────────────────────────────


@router.get("/tasks")
async def tasks_page(
    request: Request,
    user: AdminUser,
    gateway: GatewayDep,
    status: str = "",
    model: str = "",
    account: str = "",
    cursor: str = "",
) -> Response:
    rows = await admin_tasks(
        gateway.db,
        statuses=PUBLIC_TO_INTERNAL.get(status) if status else None,
        model=model.strip()[:120] or None,
        account=account.strip()[:320] or None,
        before=split_cursor(cursor),
        limit=PAGE_SIZE + 1,
    )
    items = task_rows(list(rows[:PAGE_SIZE]), str(request.base_url))
    return page(
        request,
        "admin/tasks.html",
        user=user,
        tasks=items,
        next_cursor=items[-1]["cursor"] if len(rows) > PAGE_SIZE else None,
        status_filter=status if status in STATUSES else "",
        model=model,
        account=account,
        statuses=STATUSES,
        models=[m.slug for m in gateway.catalog.models],
    )


@router.get("/tasks/{task_id}")
async def task_page(
    request: Request, task_id: str, user: AdminUser, gateway: GatewayDep
) -> Response:
    found = await admin_tasks(
        gateway.db, statuses=None, model=None, account=None, before=None, limit=1, task_id=task_id
    )
    if not found:
        raise PageError(404, "No such task", f"There is no task {task_id[:40]}.")
    task = await task_detail(request, gateway, found[0].account_id, task_id)
    task["account_email"] = found[0].account_email
    return page(request, "task.html", user=user, task=task, admin_view=True)


# ── redemption codes ───────────────────────────────────────────────────────────────────


@router.get("/codes")
async def codes_page(request: Request, user: AdminUser, gateway: GatewayDep) -> Response:
    return page(
        request,
        "admin/codes.html",
        user=user,
        batches=await list_batches(gateway.db),
        max_batch=MAX_BATCH,
    )


@router.post("/codes")
async def create_codes(
    request: Request,
    user: CsrfAdmin,
    gateway: GatewayDep,
    credits: Annotated[int, Form(ge=1, le=10**9)],
    count: Annotated[int, Form(ge=1, le=MAX_BATCH)],
    name: Annotated[str, Form(max_length=200)] = "",
    expires_days: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    expires_at = None
    days = ascii_int(expires_days.strip(), maximum=MAX_EXPIRY_DAYS)
    if days:
        expires_at = now_ms() + days * 86_400_000
    batch, codes = await create_batch(
        gateway.db,
        name=name.strip() or f"{count} code{'s' if count != 1 else ''} of {credits:,} credits",
        credits=credits,
        count=count,
        created_by=user.account.id,
        expires_at=expires_at,
    )
    await record(
        gateway.db,
        Actor("console", user.account.id),
        "codes.create",
        batch.id,
        after={"name": batch.name, "credits": credits, "count": count, "expires_at": expires_at},
    )
    return page(
        request,
        "admin/codes.html",
        user=user,
        batches=await list_batches(gateway.db),
        max_batch=MAX_BATCH,
        created=batch,
        codes=codes,
    )


@router.get("/codes/{batch_id}")
async def batch_page(
    request: Request, batch_id: str, user: AdminUser, gateway: GatewayDep
) -> Response:
    try:
        batch = await get_batch(gateway.db, batch_id[:40])
    except NotFound as exc:
        raise PageError(404, "No such batch", f"There is no batch {batch_id[:40]}.") from exc
    return page(
        request,
        "admin/batch.html",
        user=user,
        batch=batch,
        codes=await batch_codes(gateway.db, batch.id),
    )
