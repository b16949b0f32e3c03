"""Redemption codes: an admin creates a batch of codes, each worth credits, redeemed once.

A code is ``AIO-XXXX-XXXX-XXXX-XXXX``: 16 characters of Crockford base32, 80 random bits.
Only the SHA-256 of the normalized code is stored, so a copy of the database cannot be
turned into spendable codes (80 bits are far beyond guessing, so no salt or slow hash is
needed); the admin sees the codes once, when the batch is made, and afterwards their last
four characters. Redemption is a compare-and-set on ``redeemed_by`` in the same
transaction as the ``redeem`` ledger row: two accounts racing for one code cannot both win.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, func, insert, or_, select, update

from apiinone.billing.ledger import adjust
from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import accounts, redemption_batches, redemption_codes
from apiinone.errors import InvalidRequest, NotFound
from apiinone.ids import new_id

__all__ = [
    "MAX_BATCH",
    "Batch",
    "CodeInfo",
    "Redeemed",
    "batch_codes",
    "create_batch",
    "generate_code",
    "get_batch",
    "hash_code",
    "list_batches",
    "normalize_code",
    "redeem_code",
]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_CHARS = 16
PREFIX = "AIO"
MAX_BATCH = 1000
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    name: str
    credits: int
    count: int
    redeemed: int
    created_by: str
    created_at: int
    expires_at: int | None


@dataclass(frozen=True, slots=True)
class CodeInfo:
    id: str
    last4: str
    credits: int
    redeemed_by: str | None
    redeemed_email: str | None
    redeemed_at: int | None


@dataclass(frozen=True, slots=True)
class Redeemed:
    last4: str
    credits: int
    balance: int


def generate_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    groups = [chars[i : i + 4] for i in range(0, CODE_CHARS, 4)]
    return "-".join([PREFIX, *groups])


def normalize_code(text: str) -> str:
    """The 16 code characters of what a person typed (case, dashes, spaces and the
    ``AIO`` prefix do not matter; O, I and L read as 0, 1, 1)."""
    compact = "".join(text.split()).replace("-", "").upper()
    if compact.startswith(PREFIX) and len(compact) == len(PREFIX) + CODE_CHARS:
        compact = compact[len(PREFIX) :]
    compact = compact.translate(_LOOKALIKES)
    if len(compact) != CODE_CHARS or any(c not in ALPHABET for c in compact):
        raise InvalidRequest("This is not a valid redemption code", param="code")
    return compact


def hash_code(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("ascii")).hexdigest()


async def create_batch(
    db: Database,
    *,
    name: str,
    credits: int,
    count: int,
    created_by: str,
    expires_at: int | None = None,
) -> tuple[Batch, list[str]]:
    """Make ``count`` codes worth ``credits`` each; returns the batch and the codes, which
    are never shown again."""
    if not 1 <= count <= MAX_BATCH:
        raise InvalidRequest(f"count must be 1 to {MAX_BATCH}", param="count")
    if credits <= 0:
        raise InvalidRequest("credits must be positive", param="credits")
    batch_id = new_id("rb")
    now = now_ms()
    codes = [generate_code() for _ in range(count)]
    async with db.write() as conn:
        await conn.execute(
            insert(redemption_batches).values(
                id=batch_id,
                name=name[:200],
                credits=credits,
                count=count,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await conn.execute(
            insert(redemption_codes),
            [
                {
                    "id": new_id("rc"),
                    "batch_id": batch_id,
                    "code_hash": hash_code(normalize_code(code)),
                    "last4": code[-4:],
                    "credits": credits,
                    "expires_at": expires_at,
                    "redeemed_by": None,
                    "redeemed_at": None,
                }
                for code in codes
            ],
        )
    batch = Batch(batch_id, name[:200], credits, count, 0, created_by, now, expires_at)
    return batch, codes


def _batch_query() -> Select[Any]:
    redeemed = (
        select(func.count())
        .where(
            and_(
                redemption_codes.c.batch_id == redemption_batches.c.id,
                redemption_codes.c.redeemed_by.is_not(None),
            )
        )
        .scalar_subquery()
    )
    return select(redemption_batches, redeemed.label("redeemed"))


def _batch(row: Row[Any]) -> Batch:
    return Batch(
        id=row.id,
        name=row.name,
        credits=int(row.credits),
        count=int(row._mapping["count"]),
        redeemed=int(row.redeemed),
        created_by=row.created_by,
        created_at=int(row.created_at),
        expires_at=row.expires_at,
    )


async def list_batches(db: Database, *, limit: int = 100) -> list[Batch]:
    stmt = _batch_query().order_by(redemption_batches.c.created_at.desc()).limit(limit)
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).fetchall()
    return [_batch(r) for r in rows]


async def get_batch(db: Database, batch_id: str) -> Batch:
    stmt = _batch_query().where(redemption_batches.c.id == batch_id)
    async with db.read() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"No batch {batch_id[:40]}")
    return _batch(row)


async def batch_codes(db: Database, batch_id: str) -> list[CodeInfo]:
    c = redemption_codes.c
    stmt = (
        select(c.id, c.last4, c.credits, c.redeemed_by, c.redeemed_at, accounts.c.email)
        .select_from(redemption_codes.outerjoin(accounts, accounts.c.id == c.redeemed_by))
        .where(c.batch_id == batch_id)
        .order_by(c.redeemed_at.desc(), c.id)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).fetchall()
    return [
        CodeInfo(r.id, r.last4, int(r.credits), r.redeemed_by, r.email, r.redeemed_at) for r in rows
    ]


async def redeem_code(db: Database, *, account_id: str, code: str) -> Redeemed:
    """Credit the account's live wallet with the code's credits, once per code."""
    code_hash = hash_code(normalize_code(code))
    now = now_ms()
    c = redemption_codes.c
    async with db.write() as conn:
        won = (
            await conn.execute(
                update(redemption_codes)
                .where(
                    and_(
                        c.code_hash == code_hash,
                        c.redeemed_by.is_(None),
                        or_(c.expires_at.is_(None), c.expires_at > now),
                    )
                )
                .values(redeemed_by=account_id, redeemed_at=now)
                .returning(c.credits, c.last4)
            )
        ).first()
        if won is None:
            existing = (
                await conn.execute(
                    select(c.redeemed_by, c.expires_at).where(c.code_hash == code_hash)
                )
            ).first()
            if existing is None:
                raise InvalidRequest("This is not a valid redemption code", param="code")
            if existing.redeemed_by is not None:
                raise InvalidRequest("This code has already been redeemed", param="code")
            raise InvalidRequest("This code has expired", param="code")
        balance = await adjust(
            conn,
            account_id=account_id,
            mode="live",
            amount=int(won.credits),
            kind="redeem",
            reason=f"redemption code …{won.last4}",
        )
    return Redeemed(last4=won.last4, credits=int(won.credits), balance=balance)
