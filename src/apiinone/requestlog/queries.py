"""Reading an account's chat request log: newest first, filtered, paged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Row

from apiinone.db import keyset
from apiinone.db.engine import Database
from apiinone.db.tables import chat_requests

__all__ = ["STATUSES", "RequestFilter", "iter_requests", "request_page", "request_row"]

STATUSES = ("succeeded", "failed", "canceled")


@dataclass(frozen=True, slots=True)
class RequestFilter:
    mode: str = "live"
    key_id: str | None = None
    model: str | None = None
    status: str | None = None
    since: int | None = None
    until: int | None = None

    def conditions(self, account_id: str) -> list[Any]:
        c = chat_requests.c
        out: list[Any] = [c.account_id == account_id, c.mode == self.mode]
        if self.key_id:
            out.append(c.key_id == self.key_id)
        if self.model:
            out.append(c.model == self.model)
        if self.status:
            out.append(c.status == self.status)
        if self.since is not None:
            out.append(c.created_at >= self.since)
        if self.until is not None:
            out.append(c.created_at < self.until)
        return out


def _select(account_id: str, filters: RequestFilter, position: keyset.Position | None) -> Any:
    c = chat_requests.c
    conditions = [*filters.conditions(account_id), *keyset.after(c, position)]
    return select(chat_requests).where(and_(*conditions)).order_by(c.created_at.desc(), c.id.desc())


def request_row(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "key_id": row.key_id,
        "mode": row.mode,
        "model": row.model,
        "stream": bool(row.stream),
        "status": row.status,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "tokens_estimated": bool(row.tokens_estimated),
        "latency_ms": row.latency_ms,
        "first_token_ms": row.first_token_ms,
        "credits": row.credits,
        "error": row.error,
    }


async def request_page(
    db: Database, account_id: str, filters: RequestFilter, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    build = partial(_select, account_id, filters)
    return await keyset.page(db, build, request_row, cursor=cursor, limit=limit)


def iter_requests(
    db: Database, account_id: str, filters: RequestFilter, *, max_rows: int
) -> AsyncIterator[dict[str, Any]]:
    build = partial(_select, account_id, filters)
    return keyset.iterate(db, build, request_row, max_rows=max_rows)
