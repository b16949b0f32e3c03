"""Delivery rows: claim due ones with a lease, record an attempt, give leases back, re-queue.

A claim is a compare-and-set on ``lease_until``: a row is taken only while its lease is
free or expired, and the new ``lease_until`` is the claimer's token. Recording an outcome
is conditional on that token, so a dispatcher whose lease was taken over cannot overwrite
the new holder's state (its attempt is still logged).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import webhook_attempts, webhook_deliveries
from apiinone.errors import NotFound
from apiinone.webhooks.status import DUE, DeliveryStatus

__all__ = [
    "Attempt",
    "Claim",
    "Outcome",
    "claim_due",
    "next_due_at",
    "record_attempt",
    "release",
    "requeue_delivery",
]

_d = webhook_deliveries.c


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this dispatcher holds until ``lease_until`` (also its lease token)."""

    id: str
    account_id: str
    task_id: str
    url: str
    payload: str
    attempts: int
    lease_until: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST, as logged."""

    attempt: int
    started_at: int
    duration_ms: int
    status_code: int | None
    error: str | None
    success: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """The delivery's state after an attempt."""

    status: DeliveryStatus
    next_attempt_at: int | None = None


def _due(now: int, first_delay_ms: int) -> Any:
    if first_delay_ms > 0:
        ready = or_(
            and_(_d.attempts > 0, _d.next_attempt_at <= now),
            and_(_d.attempts == 0, _d.next_attempt_at <= now - first_delay_ms),
        )
    else:
        ready = _d.next_attempt_at <= now
    return and_(
        _d.status.in_([s.value for s in DUE]),
        ready,
        or_(_d.lease_until.is_(None), _d.lease_until < now),
    )


async def claim_due(
    db: Database,
    *,
    lease_ms: int,
    limit: int,
    first_delay_ms: int = 0,
    busy: Collection[str] = (),
) -> list[Claim]:
    """Lease up to ``limit`` due deliveries; ``busy`` ones (in flight here) are skipped."""
    if limit <= 0:
        return []
    now = now_ms()
    due = _due(now, first_delay_ms)
    if busy:
        due = and_(due, _d.id.notin_(list(busy)))
    lease_until = now + lease_ms
    claims: list[Claim] = []
    async with db.write() as conn:
        ids = (
            await conn.execute(select(_d.id).where(due).order_by(_d.next_attempt_at).limit(limit))
        ).scalars()
        for delivery_id in list(ids):
            row = (
                await conn.execute(
                    update(webhook_deliveries)
                    .where(and_(_d.id == delivery_id, due))
                    .values(lease_until=lease_until)
                    .returning(_d.id, _d.account_id, _d.task_id, _d.url, _d.payload, _d.attempts)
                )
            ).first()
            if row is not None:
                claims.append(
                    Claim(
                        id=row.id,
                        account_id=row.account_id,
                        task_id=row.task_id,
                        url=row.url,
                        payload=row.payload,
                        attempts=int(row.attempts),
                        lease_until=lease_until,
                    )
                )
    return claims


async def record_attempt(db: Database, claim: Claim, attempt: Attempt, outcome: Outcome) -> bool:
    """Log the attempt and move the delivery on; False if the lease had been taken over."""
    now = now_ms()
    final = outcome.status not in DUE
    async with db.write() as conn:
        await conn.execute(
            insert(webhook_attempts).values(
                delivery_id=claim.id,
                task_id=claim.task_id,
                attempt=attempt.attempt,
                started_at=attempt.started_at,
                duration_ms=attempt.duration_ms,
                status_code=attempt.status_code,
                error=attempt.error[:500] if attempt.error else None,
                success=attempt.success,
            )
        )
        result = await conn.execute(
            update(webhook_deliveries)
            .where(_d.id == claim.id, _d.lease_until == claim.lease_until)
            .values(
                attempts=_d.attempts + 1,
                status=outcome.status.value,
                next_attempt_at=outcome.next_attempt_at,
                last_status_code=attempt.status_code,
                lease_until=None,
                completed_at=now if final else None,
            )
        )
    return bool(result.rowcount == 1)


async def release(db: Database, claims: Iterable[Claim]) -> None:
    """Give back leases of claims that were not recorded (e.g. at shutdown)."""
    claims = list(claims)
    if not claims:
        return
    async with db.write() as conn:
        for claim in claims:
            await conn.execute(
                update(webhook_deliveries)
                .where(_d.id == claim.id, _d.lease_until == claim.lease_until)
                .values(lease_until=None)
            )


async def next_due_at(db: Database, *, first_delay_ms: int = 0) -> int | None:
    """The earliest time (ms) any waiting delivery can be claimed, or None."""
    ready_at = _d.next_attempt_at + case((_d.attempts == 0, first_delay_ms), else_=0)
    claimable_at = case((_d.lease_until >= ready_at, _d.lease_until + 1), else_=ready_at)
    async with db.read() as conn:
        value = (
            await conn.execute(
                select(func.min(claimable_at)).where(
                    _d.status.in_([s.value for s in DUE]), _d.next_attempt_at.is_not(None)
                )
            )
        ).scalar()
    return None if value is None else int(value)


async def requeue_delivery(
    db: Database, account_id: str, delivery_id: str, *, task_id: str | None = None
) -> DeliveryStatus:
    """Make the account's delivery due now (a manual replay): same ``webhook-id``, and its
    attempts go on counting. NotFound for another account's or a missing delivery."""
    owned = and_(_d.id == delivery_id, _d.account_id == account_id)
    if task_id is not None:
        owned = and_(owned, _d.task_id == task_id)
    async with db.write() as conn:
        row = (await conn.execute(select(_d.attempts).where(owned))).first()
        if row is None:
            raise NotFound(f"No webhook delivery {delivery_id[:40]}")
        status = DeliveryStatus.RETRYING if row.attempts > 0 else DeliveryStatus.PENDING
        await conn.execute(
            update(webhook_deliveries)
            .where(owned)
            .values(status=status.value, next_attempt_at=now_ms(), completed_at=None)
        )
    return status
