"""Stored responses: kept for ``responses_retention_days``, seen only by their account.

A response of another account, an expired one and a deleted one are alike: 404. Expired
rows are deleted when the next response is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, insert, select

from apiinone.db.engine import now_ms
from apiinone.db.tables import responses
from apiinone.errors import NotFound
from apiinone.runtime import Runtime

__all__ = ["Stored", "delete_response", "load_response", "save_response"]

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Stored:
    body: dict[str, Any]
    input_items: list[dict[str, Any]]
    messages: list[dict[str, Any]]


async def save_response(
    gateway: Runtime,
    account_id: str,
    body: dict[str, Any],
    input_items: list[dict[str, Any]],
    messages: list[dict[str, Any]],
) -> None:
    now = now_ms()
    expires = now + int(gateway.settings.responses_retention_days * DAY_MS)
    async with gateway.db.write() as conn:
        await conn.execute(delete(responses).where(responses.c.expires_at <= now))
        await conn.execute(
            insert(responses).values(
                id=body["id"],
                account_id=account_id,
                created_at=now,
                expires_at=expires,
                body=orjson.dumps(body).decode(),
                input_items=orjson.dumps(input_items).decode(),
                messages=orjson.dumps(messages).decode(),
            )
        )


def _mine(account_id: str, response_id: str) -> Any:
    return (
        (responses.c.id == response_id)
        & (responses.c.account_id == account_id)
        & (responses.c.expires_at > now_ms())
    )


async def load_response(
    gateway: Runtime, account_id: str, response_id: str, *, param: str | None = None
) -> Stored:
    async with gateway.db.read() as conn:
        row = (
            await conn.execute(
                select(responses.c.body, responses.c.input_items, responses.c.messages).where(
                    _mine(account_id, response_id)
                )
            )
        ).first()
    if row is None:
        raise NotFound(f"No response with id '{response_id[:64]}'", param=param)
    return Stored(orjson.loads(row.body), orjson.loads(row.input_items), orjson.loads(row.messages))


async def delete_response(gateway: Runtime, account_id: str, response_id: str) -> None:
    async with gateway.db.write() as conn:
        result = await conn.execute(delete(responses).where(_mine(account_id, response_id)))
    if not result.rowcount:
        raise NotFound(f"No response with id '{response_id[:64]}'")
