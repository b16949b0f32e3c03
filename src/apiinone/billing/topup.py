"""Top-up: credit packages bought through Stripe Checkout, each paid order credited once.

An order is written ``pending`` before the customer is sent to Stripe. Stripe's signed
webhook (``checkout.session.completed`` with ``payment_status == "paid"``, or
``checkout.session.async_payment_succeeded``) moves it to ``paid`` by compare-and-set in
the same transaction as the ``topup`` ledger row, so a replayed or duplicated event, or the
success page reconciling at the same moment, finds nothing left to do. The event's amount
and currency must match the order's; an event that does not is logged and ignored.

The Stripe secret key is only ever passed to the ``stripe`` library; it is never logged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, and_, insert, select, update

from apiinone.billing.ledger import adjust
from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import orders
from apiinone.errors import InvalidRequest, NotFound, ServiceUnavailable
from apiinone.ids import new_id
from apiinone.settings import CreditPackage, Settings

if TYPE_CHECKING:
    import stripe

__all__ = [
    "EventOutcome",
    "InvalidSignature",
    "Order",
    "OrderStatus",
    "StripeCheckout",
    "create_order",
    "credit_order",
    "find_package",
    "get_order",
    "handle_event",
    "list_orders",
    "settle_order",
]

log = logging.getLogger("apiinone.billing.topup")


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"
    FAILED = "failed"


class EventOutcome(StrEnum):
    CREDITED = "credited"
    ALREADY_DONE = "already_done"
    CLOSED = "closed"
    IGNORED = "ignored"


class InvalidSignature(Exception):
    """The webhook's ``Stripe-Signature`` does not match its body (or is missing)."""


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    account_id: str
    package_id: str
    credits: int
    amount_cents: int
    currency: str
    status: str
    provider_session_id: str | None
    created_at: int
    paid_at: int | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Order:
        return cls(
            id=row.id,
            account_id=row.account_id,
            package_id=row.package_id,
            credits=int(row.credits),
            amount_cents=int(row.amount_cents),
            currency=row.currency,
            status=row.status,
            provider_session_id=row.provider_session_id,
            created_at=int(row.created_at),
            paid_at=row.paid_at,
        )


def find_package(settings: Settings, package_id: str) -> CreditPackage:
    for package in settings.credit_packages:
        if package.id == package_id:
            return package
    raise InvalidRequest(f"No credit package '{package_id[:40]}'", param="package")


async def create_order(
    db: Database, *, account_id: str, package: CreditPackage, currency: str
) -> Order:
    now = now_ms()
    order_id = new_id("ord")
    async with db.write() as conn:
        await conn.execute(
            insert(orders).values(
                id=order_id,
                account_id=account_id,
                package_id=package.id,
                credits=package.credits,
                amount_cents=package.price_cents,
                currency=currency,
                status=OrderStatus.PENDING.value,
                provider="stripe",
                created_at=now,
                updated_at=now,
            )
        )
        row = (await conn.execute(select(orders).where(orders.c.id == order_id))).one()
    return Order.from_row(row)


async def _set_session(db: Database, order_id: str, session_id: str) -> None:
    async with db.write() as conn:
        await conn.execute(
            update(orders)
            .where(orders.c.id == order_id)
            .values(provider_session_id=session_id, updated_at=now_ms())
        )


async def close_order(db: Database, order_id: str, status: OrderStatus) -> bool:
    """pending → expired or failed; False when the order was no longer pending."""
    async with db.write() as conn:
        result = await conn.execute(
            update(orders)
            .where(and_(orders.c.id == order_id, orders.c.status == OrderStatus.PENDING.value))
            .values(status=status.value, updated_at=now_ms())
        )
    return bool(result.rowcount)


async def credit_order(
    db: Database, order_id: str, *, payment_id: str | None = None
) -> tuple[bool, int | None]:
    """pending → paid and the ``topup`` ledger row, in one transaction.

    Returns (credited now, new balance); (False, None) when the order was already paid or
    closed. Exactly one caller can ever get True for an order.
    """
    now = now_ms()
    async with db.write() as conn:
        won = (
            await conn.execute(
                update(orders)
                .where(and_(orders.c.id == order_id, orders.c.status == OrderStatus.PENDING.value))
                .values(
                    status=OrderStatus.PAID.value,
                    paid_at=now,
                    updated_at=now,
                    provider_payment_id=payment_id,
                )
                .returning(orders.c.account_id, orders.c.credits)
            )
        ).first()
        if won is None:
            return False, None
        balance = await adjust(
            conn,
            account_id=won.account_id,
            mode="live",
            amount=int(won.credits),
            kind="topup",
            reason=f"order {order_id}",
        )
    return True, balance


async def get_order(db: Database, order_id: str, account_id: str | None = None) -> Order:
    stmt = select(orders).where(orders.c.id == order_id)
    if account_id is not None:
        stmt = stmt.where(orders.c.account_id == account_id)
    async with db.read() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"No order {order_id[:40]}")
    return Order.from_row(row)


async def list_orders(db: Database, account_id: str, *, limit: int = 50) -> list[Order]:
    stmt = (
        select(orders)
        .where(orders.c.account_id == account_id)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .limit(limit)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).fetchall()
    return [Order.from_row(r) for r in rows]


async def settle_order(db: Database, session: dict[str, Any]) -> EventOutcome:
    """Apply a Checkout Session (from a verified event or a retrieve) to its order."""
    metadata = session.get("metadata") or {}
    order_id = metadata.get("order_id") or session.get("client_reference_id")
    if not isinstance(order_id, str):
        return EventOutcome.IGNORED
    try:
        order = await get_order(db, order_id)
    except NotFound:
        log.warning("stripe session %s names an unknown order", session.get("id"))
        return EventOutcome.IGNORED
    if order.provider_session_id is not None and order.provider_session_id != session.get("id"):
        log.warning("stripe session %s does not belong to order %s", session.get("id"), order.id)
        return EventOutcome.IGNORED
    if session.get("status") == "expired":
        closed = await close_order(db, order.id, OrderStatus.EXPIRED)
        return EventOutcome.CLOSED if closed else EventOutcome.ALREADY_DONE
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return EventOutcome.IGNORED  # e.g. a bank transfer still on its way
    total = session.get("amount_total")
    currency = str(session.get("currency") or "").lower()
    if total != order.amount_cents or currency != order.currency:
        log.warning(
            "stripe session %s: amount %s %s does not match order %s (%s %s); not credited",
            session.get("id"),
            total,
            currency,
            order.id,
            order.amount_cents,
            order.currency,
        )
        return EventOutcome.IGNORED
    payment = session.get("payment_intent")
    credited, _ = await credit_order(
        db, order.id, payment_id=payment if isinstance(payment, str) else None
    )
    return EventOutcome.CREDITED if credited else EventOutcome.ALREADY_DONE


_SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.expired",
}


async def handle_event(db: Database, event: dict[str, Any]) -> EventOutcome:
    """A verified Stripe event; anything but a Checkout Session event is ignored."""
    kind = event.get("type")
    obj = (event.get("data") or {}).get("object") or {}
    if kind == "checkout.session.async_payment_failed":
        order_id = (obj.get("metadata") or {}).get("order_id")
        if isinstance(order_id, str):
            closed = await close_order(db, order_id, OrderStatus.FAILED)
            return EventOutcome.CLOSED if closed else EventOutcome.ALREADY_DONE
        return EventOutcome.IGNORED
    if kind not in _SESSION_EVENTS or not isinstance(obj, dict):
        return EventOutcome.IGNORED
    return await settle_order(db, obj)


class StripeCheckout:
    """The calls this gateway makes to Stripe, through the ``stripe`` library."""

    def __init__(self, settings: Settings) -> None:
        if settings.stripe_secret_key is None or settings.stripe_webhook_secret is None:
            raise ServiceUnavailable("Card payments are not configured on this gateway")
        import stripe  # imported on first use: it adds half a second to every start

        self._stripe = stripe
        base: Any = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        self._client: stripe.StripeClient = stripe.StripeClient(
            settings.stripe_secret_key.get_secret_value(),
            base_addresses=base,
            max_network_retries=2,
        )
        self._webhook_secret = settings.stripe_webhook_secret.get_secret_value()
        self.currency = settings.stripe_currency

    @staticmethod
    def configured(settings: Settings) -> bool:
        return settings.stripe_secret_key is not None

    async def start(
        self,
        db: Database,
        *,
        account_id: str,
        email: str,
        package: CreditPackage,
        success_url: str,
        cancel_url: str,
    ) -> tuple[Order, str]:
        """Write a pending order and open a Checkout Session for it; returns the order and
        the URL to send the customer to."""
        order = await create_order(
            db, account_id=account_id, package=package, currency=self.currency
        )
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": order.id,
            "customer_email": email,
            "metadata": {"order_id": order.id},
            "payment_intent_data": {"metadata": {"order_id": order.id}},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": self.currency,
                        "unit_amount": package.price_cents,
                        "product_data": {"name": f"{package.credits:,} credits ({package.name})"},
                    },
                }
            ],
            "success_url": success_url.replace("ORDER_ID", order.id),
            "cancel_url": cancel_url.replace("ORDER_ID", order.id),
        }
        try:
            session = await asyncio.to_thread(
                self._client.v1.checkout.sessions.create,
                params,  # type: ignore[arg-type]  # a plain dict for the library's TypedDict
                {"idempotency_key": f"checkout-{order.id}"},
            )
        except self._stripe.StripeError as exc:
            await close_order(db, order.id, OrderStatus.FAILED)
            log.warning("stripe checkout for order %s failed: %s", order.id, type(exc).__name__)
            raise ServiceUnavailable("The payment provider could not be reached; retry") from exc
        await _set_session(db, order.id, session.id)
        if not session.url:
            raise ServiceUnavailable("The payment provider returned no checkout page")
        return order, session.url

    async def reconcile(self, db: Database, order: Order) -> EventOutcome:
        """Ask Stripe about a pending order's session (the success page does this, so the
        credits arrive even when the webhook is late)."""
        if order.status != OrderStatus.PENDING.value or order.provider_session_id is None:
            return EventOutcome.IGNORED
        try:
            session = await asyncio.to_thread(
                self._client.v1.checkout.sessions.retrieve, order.provider_session_id
            )
        except self._stripe.StripeError as exc:
            log.warning("stripe retrieve for order %s failed: %s", order.id, type(exc).__name__)
            return EventOutcome.IGNORED
        return await settle_order(db, session.to_dict())

    def verify(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event, if ``Stripe-Signature`` proves Stripe sent this body recently."""
        try:
            event = self._stripe.Webhook.construct_event(payload, signature, self._webhook_secret)
        except (self._stripe.SignatureVerificationError, ValueError) as exc:
            raise InvalidSignature(str(exc)) from exc
        data: dict[str, Any] = event.to_dict()
        return data
