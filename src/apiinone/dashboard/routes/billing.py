"""Billing: credit packages through Stripe Checkout, redemption codes, the orders table,
and Stripe's webhook (verified by signature; a paid order is credited exactly once)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.api.envelope import FastJSON
from apiinone.billing.ledger import get_wallet
from apiinone.billing.redeem import redeem_code
from apiinone.billing.topup import (
    InvalidSignature,
    StripeCheckout,
    find_package,
    get_order,
    handle_event,
    list_orders,
)
from apiinone.dashboard.deps import CsrfChecked, PageUser, User
from apiinone.dashboard.web import page, redirect
from apiinone.errors import APIError, InvalidRequest, NotFound
from apiinone.gateway import Gateway

router = APIRouter(prefix="/billing", include_in_schema=False)
log = logging.getLogger("apiinone.dashboard.billing")


async def _render(
    request: Request,
    user: User,
    gateway: Gateway,
    *,
    message: dict[str, str] | None = None,
    status: int = 200,
    order_id: str | None = None,
) -> Response:
    settings = gateway.settings
    focus = None
    if order_id:
        try:
            focus = await get_order(gateway.db, order_id[:40], user.account.id)
        except NotFound:
            focus = None
        if focus is not None and StripeCheckout.configured(settings):
            outcome = await StripeCheckout(settings).reconcile(gateway.db, focus)
            focus = await get_order(gateway.db, focus.id, user.account.id)
            log.debug("order %s reconciled: %s", focus.id, outcome.value)
    async with gateway.db.read() as conn:
        wallet = await get_wallet(conn, user.account.id, "live")
    return page(
        request,
        "billing.html",
        user=user,
        status=status,
        message=message,
        wallet=wallet,
        packages=settings.credit_packages if StripeCheckout.configured(settings) else [],
        currency=settings.stripe_currency,
        orders=await list_orders(gateway.db, user.account.id, limit=50),
        focus=focus,
    )


@router.get("")
async def billing_page(
    request: Request, user: PageUser, gateway: GatewayDep, order: str = ""
) -> Response:
    return await _render(request, user, gateway, order_id=order or None)


@router.post("/redeem")
async def redeem(
    request: Request,
    user: CsrfChecked,
    gateway: GatewayDep,
    code: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    decision = await gateway.limiter.hit(f"redeem:{user.account.id}", 10)
    if not decision.allowed:
        return redirect(
            request, "/billing", flash=("error", "Too many attempts; wait a minute and retry.")
        )
    try:
        done = await redeem_code(gateway.db, account_id=user.account.id, code=code)
    except InvalidRequest as exc:
        return redirect(request, "/billing", flash=("error", exc.message))
    return redirect(
        request,
        "/billing",
        flash=("ok", f"Code redeemed: {done.credits:,} credits added. Balance {done.balance:,}."),
    )


@router.post("/checkout")
async def checkout(
    request: Request,
    user: CsrfChecked,
    gateway: GatewayDep,
    package: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    settings = gateway.settings
    if not StripeCheckout.configured(settings):
        return redirect(
            request, "/billing", flash=("error", "Card payments are not set up on this gateway.")
        )
    base = (settings.public_base_url or str(request.base_url)).rstrip("/")
    try:
        chosen = find_package(settings, package)
        _, url = await StripeCheckout(settings).start(
            gateway.db,
            account_id=user.account.id,
            email=user.account.email,
            package=chosen,
            success_url=f"{base}/billing?order=ORDER_ID",
            cancel_url=f"{base}/billing?order=ORDER_ID",
        )
    except APIError as exc:
        return redirect(request, "/billing", flash=("error", exc.message))
    return redirect(request, url)


@router.post("/stripe/webhook")
async def stripe_webhook(request: Request, gateway: GatewayDep) -> FastJSON:
    """Stripe's events; 400 unless ``Stripe-Signature`` matches the body."""
    settings = gateway.settings
    if not StripeCheckout.configured(settings):
        raise NotFound("Stripe is not configured on this gateway")
    payload = await request.body()
    try:
        event = StripeCheckout(settings).verify(payload, request.headers.get("stripe-signature"))
    except InvalidSignature as exc:
        raise InvalidRequest("The Stripe signature does not match this payload") from exc
    outcome = await handle_event(gateway.db, event)
    log.info("stripe event %s (%s): %s", event.get("id"), event.get("type"), outcome.value)
    return FastJSON({"received": True, "outcome": outcome.value})
