"""Idempotency records: claim one, hold it by a lease, keep the answer, replay it.

A record belongs to one API key: its identity is (key id, Idempotency-Key), so another key
sending the same Idempotency-Key makes a record of its own. The same request again within
the retention window replays the kept answer; another request under the same key is a
conflict; a duplicate that arrives while the first is still running is told it is in
flight. A running request holds its record by a lease that it renews (``lease.py``); only a
record whose lease lapsed — its owner died — is taken over by a duplicate. Every write is
conditional on the owner token, so an owner that lost its lease never overwrites the
record of the request that took it over.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import and_, delete, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import idempotency_keys

__all__ = [
    "RETENTION_MS",
    "Claim",
    "Claimed",
    "Record",
    "Saved",
    "abandon",
    "claim",
    "purge_expired",
    "renew",
    "save",
]

log = logging.getLogger("apiinone.idempotency")
RETENTION_MS = 24 * 3600 * 1000
PURGE_BATCH = 1000
PURGE_MAX_BATCHES = 1000
IN_FLIGHT = "in_flight"
DONE = "done"


class Claim(StrEnum):
    NEW = "new"
    REPLAY = "replay"
    CONFLICT = "conflict"
    IN_FLIGHT = "in_flight"


@dataclass(frozen=True, slots=True)
class Record:
    """Which record: the API key that made it, and the client's Idempotency-Key."""

    key_id: str
    key: str


@dataclass(frozen=True, slots=True)
class Saved:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claimed:
    outcome: Claim
    owner: str | None = None  # NEW: the token every later write of this request carries
    saved: Saved | None = None  # REPLAY: the kept answer


def _where(record: Record, *more: Any) -> Any:
    return and_(
        idempotency_keys.c.key_id == record.key_id, idempotency_keys.c.key == record.key, *more
    )


def _held(record: Record, owner: str) -> Any:
    """The record while ``owner`` still holds it in flight."""
    return _where(record, idempotency_keys.c.owner == owner, idempotency_keys.c.status == IN_FLIGHT)


async def claim(
    db: Database, record: Record, *, account_id: str, request_hash: str, lease_ms: int
) -> Claimed:
    now = now_ms()
    owner = secrets.token_hex(16)
    async with db.write() as conn:
        await conn.execute(
            delete(idempotency_keys).where(_where(record, idempotency_keys.c.expires_at < now))
        )
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(idempotency_keys).values(
                        key_id=record.key_id,
                        key=record.key,
                        account_id=account_id,
                        request_hash=request_hash,
                        status=IN_FLIGHT,
                        owner=owner,
                        lease_expires_at=now + lease_ms,
                        created_at=now,
                        expires_at=now + RETENTION_MS,
                    )
                )
            return Claimed(Claim.NEW, owner=owner)
        except IntegrityError:
            pass
        row = (await conn.execute(select(idempotency_keys).where(_where(record)))).one()
        if row.request_hash != request_hash:
            return Claimed(Claim.CONFLICT)
        if row.status == DONE:
            headers = [(str(k), str(v)) for k, v in orjson.loads(row.response_headers or "[]")]
            return Claimed(
                Claim.REPLAY, saved=Saved(row.response_status, headers, row.response_body or b"")
            )
        # In flight: take it over only once its owner stopped renewing the lease.
        taken = await conn.execute(
            update(idempotency_keys)
            .where(
                _where(
                    record,
                    idempotency_keys.c.status == IN_FLIGHT,
                    idempotency_keys.c.lease_expires_at < now,
                )
            )
            .values(owner=owner, lease_expires_at=now + lease_ms)
        )
        if taken.rowcount == 1:
            return Claimed(Claim.NEW, owner=owner)
        return Claimed(Claim.IN_FLIGHT)


async def renew(db: Database, record: Record, owner: str, lease_ms: int) -> bool:
    """Extend the lease; False when this owner no longer holds the record."""
    async with db.write() as conn:
        renewed = await conn.execute(
            update(idempotency_keys)
            .where(_held(record, owner))
            .values(lease_expires_at=now_ms() + lease_ms)
        )
    return bool(renewed.rowcount == 1)


async def save(db: Database, record: Record, owner: str, saved: Saved) -> bool:
    """Keep the answer (its secrets already withheld); False when the record was lost."""
    async with db.write() as conn:
        kept = await conn.execute(
            update(idempotency_keys)
            .where(_held(record, owner))
            .values(
                status=DONE,
                owner=None,
                lease_expires_at=None,
                response_status=saved.status,
                response_headers=orjson.dumps(saved.headers).decode(),
                response_body=saved.body,
            )
        )
    return bool(kept.rowcount == 1)


async def abandon(db: Database, record: Record, owner: str) -> None:
    """Forget an in-flight record whose answer is not kept (so the key may be used again)."""
    async with db.write() as conn:
        await conn.execute(delete(idempotency_keys).where(_held(record, owner)))


async def purge_expired(db: Database) -> int:
    """Delete the records past their retention, a batch per transaction; how many went."""
    now = now_ms()
    gone = 0
    try:
        for _ in range(PURGE_MAX_BATCHES):
            expired = (
                select(idempotency_keys.c.key_id, idempotency_keys.c.key)
                .where(idempotency_keys.c.expires_at < now)
                .limit(PURGE_BATCH)
            )
            async with db.write() as conn:
                deleted = await conn.execute(
                    delete(idempotency_keys).where(
                        tuple_(idempotency_keys.c.key_id, idempotency_keys.c.key).in_(expired)
                    )
                )
            gone += int(deleted.rowcount)
            if deleted.rowcount < PURGE_BATCH:
                break
    except Exception:  # the next purge tries again
        log.exception("could not purge expired Idempotency-Key records")
    return gone
