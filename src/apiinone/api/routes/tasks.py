"""The task API: get, list, cancel, and a Server-Sent Events stream of changes."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import StreamingResponse

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.fastlane import fast_lane
from apiinone.api.params import ascii_int
from apiinone.api.shapes.envelope import Page, enveloped
from apiinone.api.shapes.tasks import Task
from apiinone.errors import InvalidRequest
from apiinone.ids import TASK_ID_MAX_LENGTH
from apiinone.tasks import lifecycle
from apiinone.tasks.control import cancel_task, load_task
from apiinone.tasks.states import PUBLIC_TO_INTERNAL, TERMINAL
from apiinone.tasks.task_object import task_object

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

TaskId = Annotated[str, Path(max_length=TASK_ID_MAX_LENGTH)]
KEEPALIVE_SECONDS = 15.0


def _base(request: Request) -> str:
    settings = request.app.state.gateway.settings
    return settings.public_base_url or str(request.base_url)


def _encode_cursor(created_at: int, task_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at}:{task_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, task_id = raw.split(":", 1)
        at = ascii_int(created)
        if at is None:
            raise ValueError(created)
        return at, task_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            "cursor is not valid; use next_cursor from a previous page", param="cursor"
        ) from exc


@fast_lane
@router.get("/{task_id}", responses=enveloped(Task))
async def get_task(
    task_id: TaskId, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await load_task(gateway, principal.account_id, task_id)
    return envelope(task_object(row, _base(request)))


@router.get("", responses=enveloped(Page[Task]))
async def list_tasks(
    request: Request,
    principal: CurrentPrincipal,
    gateway: GatewayDep,
    status: Annotated[
        Literal[
            "IN_PROGRESS",
            "SUCCESS",
            "FAILED",
            "CANCELED",
            "queued",
            "processing",
            "completed",
            "failed",
            "canceled",
        ]
        | None,
        Query(),
    ] = None,
    model: Annotated[str | None, Query(max_length=120)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> FastJSON:
    rows = await lifecycle.list_tasks(
        gateway.db,
        account_id=principal.account_id,
        statuses=PUBLIC_TO_INTERNAL[status] if status else None,
        model=model,
        before=_decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    base = _base(request)
    items = [task_object(r, base) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = _encode_cursor(last.created_at, last.id) if last is not None else None
    return envelope(
        {"items": items, "next_cursor": next_cursor, "has_more": next_cursor is not None}
    )


@router.post("/{task_id}/cancel", responses=enveloped(Task))
async def cancel(
    task_id: TaskId, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await cancel_task(gateway, principal.account_id, task_id)
    return envelope(task_object(row, _base(request)))


@router.get(
    "/{task_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: one `event: task` per change, until terminal",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def events(
    task_id: TaskId, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> StreamingResponse:
    """``text/event-stream`` of the task object, one ``event: task`` per change, ending
    with the terminal state; ``: keep-alive`` comments flow during long silences."""
    await load_task(gateway, principal.account_id, task_id)
    base = _base(request)

    async def stream() -> AsyncIterator[bytes]:
        last: tuple[object, ...] | None = None
        quiet = 0.0
        while True:
            row = await load_task(gateway, principal.account_id, task_id)
            marker = (row.status, row.progress, row.updated_at)
            if marker != last:
                last = marker
                quiet = 0.0
                data = orjson.dumps(task_object(row, base)).decode()
                yield f"event: task\nid: {row.updated_at}\ndata: {data}\n\n".encode()
                if row.status in TERMINAL:
                    return
            elif quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield b": keep-alive\n\n"
            if await request.is_disconnected():
                return
            started = asyncio.get_running_loop().time()
            await gateway.signals.wait_for_change(task_id, 1.0)
            quiet += asyncio.get_running_loop().time() - started

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
