"""Idempotency records: claim a key, keep the response, replay it.

Semantics (as Stripe's): the same key with the same request within the retention window
replays the first response; the same key with another request is a 409; a request
arriving while the first with its key is still running is a 409. Responses with a 5xx
status are not kept, so such a request may be retried with the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import idempotency_keys

__all__ = ["Claim", "Saved", "abandon", "claim", "save"]

RETENTION_MS = 24 * 3600 * 1000
STALE_IN_FLIGHT_MS = 120 * 1000


class Claim(StrEnum):
    NEW = "new"
    REPLAY = "replay"
    CONFLICT = "conflict"
    IN_FLIGHT = "in_flight"


@dataclass(frozen=True, slots=True)
class Saved:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _key(account_id: str, key: str) -> Any:
    return and_(idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key)


async def claim(
    db: Database, account_id: str, key: str, request_hash: str
) -> tuple[Claim, Saved | None]:
    now = now_ms()
    async with db.write() as conn:
        await conn.execute(
            delete(idempotency_keys).where(
                and_(_key(account_id, key), idempotency_keys.c.expires_at < now)
            )
        )
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(idempotency_keys).values(
                        account_id=account_id,
                        key=key,
                        request_hash=request_hash,
                        status="in_flight",
                        created_at=now,
                        expires_at=now + RETENTION_MS,
                    )
                )
            return Claim.NEW, None
        except IntegrityError:
            pass
        row = (await conn.execute(select(idempotency_keys).where(_key(account_id, key)))).one()
        if row.request_hash != request_hash:
            return Claim.CONFLICT, None
        if row.status == "done":
            headers = [tuple(h) for h in orjson.loads(row.response_headers or "[]")]
            return Claim.REPLAY, Saved(row.response_status, headers, row.response_body or b"")
        # Still in flight: take it over only if its owner has clearly died.
        taken = await conn.execute(
            update(idempotency_keys)
            .where(
                and_(
                    _key(account_id, key),
                    idempotency_keys.c.status == "in_flight",
                    or_(idempotency_keys.c.created_at < now - STALE_IN_FLIGHT_MS),
                )
            )
            .values(created_at=now)
        )
        return (Claim.NEW, None) if taken.rowcount == 1 else (Claim.IN_FLIGHT, None)


async def save(db: Database, account_id: str, key: str, saved: Saved) -> None:
    async with db.write() as conn:
        await conn.execute(
            update(idempotency_keys)
            .where(_key(account_id, key))
            .values(
                status="done",
                response_status=saved.status,
                response_headers=orjson.dumps(saved.headers).decode(),
                response_body=saved.body,
            )
        )


async def abandon(db: Database, account_id: str, key: str) -> None:
    async with db.write() as conn:
        await conn.execute(
            delete(idempotency_keys).where(
                and_(_key(account_id, key), idempotency_keys.c.status == "in_flight")
            )
        )
