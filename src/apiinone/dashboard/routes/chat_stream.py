"""``POST /dashboard/api/chat``: the playground's conversation, streamed.

The body is ``{"body": <chat completion request>, "mode": "live" | "test"}``; the answer
is the chat's own server-sent events (``stream_options.include_usage`` on), then one
``event: cost`` with the credits the ledger captured for the turn, so the page can show
each turn's cost. Closing the connection stops the turn, which is billed by what was
delivered, as for any stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter
from sqlalchemy import and_, func, select
from starlette.responses import Response, StreamingResponse

from apiinone.api.deps import GatewayDep, JSONBody
from apiinone.chat.service import run_chat
from apiinone.dashboard.routes.api import Writer, mode_of
from apiinone.db.tables import ledger
from apiinone.errors import InvalidRequest
from apiinone.gateway import Gateway
from apiinone.wire import EventStream

router = APIRouter(prefix="/dashboard/api", include_in_schema=False)

_ID_PREFIX = b'"id":"'


def _completion_id(event: bytes) -> str | None:
    start = event.find(_ID_PREFIX)
    if not event.startswith(b"data: {") or start < 0:
        return None
    start += len(_ID_PREFIX)
    end = event.find(b'"', start)
    return event[start:end].decode() if end > start else None


async def _captured(gateway: Gateway, account_id: str, completion_id: str) -> int:
    stmt = select(func.coalesce(func.sum(-ledger.c.held_delta), 0)).where(
        and_(
            ledger.c.account_id == account_id,
            ledger.c.task_id == completion_id,
            ledger.c.kind == "capture",
        )
    )
    async with gateway.db.read() as conn:
        return int((await conn.execute(stmt)).scalar_one())


@router.post("/chat")
async def chat(body: JSONBody, user: Writer, gateway: GatewayDep) -> Response:
    request = body.get("body")
    if not isinstance(request, dict):
        raise InvalidRequest("'body' must be a JSON object", param="body")
    principal = user.principal(mode_of(body))
    options = {**(request.get("stream_options") or {}), "include_usage": True}
    answer = await run_chat(
        gateway, principal, {**request, "stream": True, "stream_options": options}
    )
    if not isinstance(answer, StreamingResponse):
        return answer

    async def events() -> AsyncIterator[bytes]:
        completion_id: str | None = None
        async for event in answer.body_iterator:
            chunk = event if isinstance(event, bytes) else str(event).encode()
            if completion_id is None:
                completion_id = _completion_id(chunk)
            yield chunk
        if completion_id is not None:
            credits = await _captured(gateway, principal.account_id, completion_id)
            payload: dict[str, Any] = {"id": completion_id, "credits": credits}
            yield b"event: cost\ndata: " + orjson.dumps(payload) + b"\n\n"

    return EventStream(events(), headers=dict(answer.headers))
