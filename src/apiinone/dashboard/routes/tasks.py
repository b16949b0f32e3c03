"""Tasks: the account's tasks with filters, and one task with its result and webhooks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.dashboard.deps import CsrfChecked, PageError, PageUser
from apiinone.dashboard.media import media_items, split_cursor
from apiinone.dashboard.web import page, redirect
from apiinone.errors import APIError, NotFound
from apiinone.tasks import lifecycle
from apiinone.tasks.control import cancel_task, load_task
from apiinone.tasks.states import PUBLIC_TO_INTERNAL
from apiinone.tasks.task_object import task_object
from apiinone.webhooks.queries import deliveries_for_task

router = APIRouter(prefix="/tasks", include_in_schema=False)

PAGE_SIZE = 25
STATUSES = ("IN_PROGRESS", "SUCCESS", "FAILED", "CANCELED")


def task_rows(rows: list[Any], base: str) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        obj = task_object(row, base)
        obj["media"] = media_items(obj)
        obj["cursor"] = f"{row.created_at}:{row.id}"
        obj["account_id"] = row.account_id
        obj["mode"] = row.mode
        obj["account_email"] = getattr(row, "account_email", None)
        out.append(obj)
    return out


@router.get("")
async def tasks_page(
    request: Request,
    user: PageUser,
    gateway: GatewayDep,
    status: str = "",
    model: str = "",
    cursor: str = "",
) -> Response:
    rows = await lifecycle.list_tasks(
        gateway.db,
        account_id=user.account.id,
        statuses=PUBLIC_TO_INTERNAL.get(status) if status else None,
        model=model.strip()[:120] or None,
        before=split_cursor(cursor),
        limit=PAGE_SIZE + 1,
    )
    items = task_rows(list(rows[:PAGE_SIZE]), str(request.base_url))
    return page(
        request,
        "tasks.html",
        user=user,
        tasks=items,
        next_cursor=items[-1]["cursor"] if len(rows) > PAGE_SIZE else None,
        status_filter=status if status in STATUSES else "",
        model=model,
        statuses=STATUSES,
        models=[m.slug for m in gateway.catalog.models],
    )


async def task_detail(
    request: Request, gateway: Any, account_id: str, task_id: str
) -> dict[str, Any]:
    try:
        row = await load_task(gateway, account_id, task_id)
    except NotFound as exc:
        raise PageError(404, "No such task", f"There is no task {task_id[:40]}.") from exc
    task = task_rows([row], str(request.base_url))[0]
    task["deliveries"] = await deliveries_for_task(gateway.db, account_id, task_id)
    return task


@router.get("/{task_id}")
async def task_page(
    request: Request, task_id: str, user: PageUser, gateway: GatewayDep
) -> Response:
    task = await task_detail(request, gateway, user.account.id, task_id)
    return page(request, "task.html", user=user, task=task, admin_view=False)


@router.post("/{task_id}/cancel")
async def cancel(
    request: Request, task_id: str, user: CsrfChecked, gateway: GatewayDep
) -> Response:
    try:
        await cancel_task(gateway, user.account.id, task_id[:64])
    except APIError as exc:
        return redirect(request, f"/tasks/{task_id[:64]}", flash=("error", exc.message))
    return redirect(
        request, f"/tasks/{task_id[:64]}", flash=("ok", "Canceled; the hold was released.")
    )
