"""Accepting a task: validate, price, check URLs and references, hold, insert — atomically."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.auth.principal import Principal
from apiinone.billing.ledger import hold
from apiinone.catalog import ModelSpec, ParamSpec, price_request, validate_request
from apiinone.db.engine import now_ms
from apiinone.db.tables import accounts, tasks
from apiinone.errors import InvalidRequest, PermissionDenied
from apiinone.gateway import Gateway
from apiinone.ids import new_id
from apiinone.net.fetch import own_file_ref
from apiinone.net.guard import UrlRefused
from apiinone.settings import Settings
from apiinone.tasks.references import check_references, refers_to_earlier_work
from apiinone.tasks.states import ACTIVE, Status
from apiinone.tasks.submit_sql import insert_task_steps, too_many

__all__ = ["create_task", "url_fields"]


def url_fields(model: ModelSpec, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (field path, URL) in the params, from the catalog's ``format = "url"``, found
    at any depth: array items, object properties and ``any_of`` alternatives."""

    def walk(spec: ParamSpec, value: Any, path: str) -> Iterator[tuple[str, str]]:
        if spec.format == "url" and isinstance(value, str):
            yield path, value
        elif spec.type == "array" and spec.items is not None and isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(spec.items, item, f"{path}[{index}]")
        elif spec.type == "object" and isinstance(value, dict):
            for key, sub in spec.properties.items():
                if key in value:
                    yield from walk(sub, value[key], f"{path}.{key}")
        for alternative in spec.any_of:
            yield from walk(alternative, value, path)

    seen: set[tuple[str, str]] = set()
    for name, spec in model.params.items():
        if name in params:
            for found in walk(spec, params[name], name):
                if found not in seen:
                    seen.add(found)
                    yield found


def _own_file(gateway: Gateway, url: str) -> bool:
    """The URL names this gateway's own file: ``fetch_input`` reads it from the store."""
    return own_file_ref(gateway.settings.base_url, url) is not None


_NESTS = (list, dict)


def _check_arrays(body: Any, limit: int) -> None:
    """No array anywhere in the body (free-form fields too) has more than ``limit`` items:
    a backstop behind the catalog's ``max_items``, whatever a catalog override says.

    An explicit stack, not recursion: the body's depth is bounded by ``max_json_depth``, but
    a walk must not depend on that to stay within the interpreter's recursion limit."""
    if not isinstance(body, _NESTS):
        return
    stack: list[tuple[Any, str]] = [(body, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, list):
            if len(value) > limit:
                name = path or "body"
                raise InvalidRequest(
                    f"'{name}' must have at most {limit} items", param=path or None
                )
            nested = [(v, f"{path}[{i}]") for i, v in enumerate(value) if isinstance(v, _NESTS)]
        else:
            nested = [
                (v, f"{path}.{k}" if path else str(k))
                for k, v in value.items()
                if isinstance(v, _NESTS)
            ]
        stack.extend(reversed(nested))  # the first array in document order is reported first


async def _check_urls(gateway: Gateway, model: ModelSpec, params: Mapping[str, Any]) -> None:
    found = list(url_fields(model, params))
    limit = gateway.settings.max_input_urls
    if sum(1 for path, _ in found if path != "callback_url") > limit:
        raise InvalidRequest(f"A task may name at most {limit} input URLs")
    for path, url in found:
        if path != "callback_url" and _own_file(gateway, url):
            continue
        try:
            await gateway.guard.check(url)
        except UrlRefused as exc:
            raise InvalidRequest(f"'{path}' is not an acceptable URL: {exc}", param=path) from exc


async def _check_concurrency(conn: AsyncConnection, settings: Settings, account_id: str) -> None:
    """Refuse a task beyond the account's cap of unfinished ones (429 ``too_many_tasks``).

    Called in the transaction that inserts the task, so the count and the insert are one
    step: on SQLite every write transaction holds the database's write lock
    (``BEGIN IMMEDIATE``); on PostgreSQL the account's row is locked first (``FOR NO KEY
    UPDATE``: it does not block the foreign-key checks of other writers), so two
    submissions of one account queue behind each other while other accounts go on.
    """
    cap = settings.max_concurrent_tasks_per_account
    if cap == 0:
        return
    await conn.execute(
        select(accounts.c.id).where(accounts.c.id == account_id).with_for_update(key_share=True)
    )
    unfinished = (
        select(tasks.c.id)
        .where(tasks.c.account_id == account_id, tasks.c.status.in_(ACTIVE))
        .limit(cap)
        .subquery()
    )
    count = (await conn.execute(select(func.count()).select_from(unfinished))).scalar_one()
    if count >= cap:
        raise too_many(cap)


async def _insert(
    gateway: Gateway,
    principal: Principal,
    model: ModelSpec,
    params: Mapping[str, Any],
    values: dict[str, Any],
) -> Row[Any]:
    """The task's transaction through SQLAlchemy: references to earlier work, and an
    in-memory SQLite database."""
    async with gateway.db.write() as conn:
        await _check_concurrency(conn, gateway.settings, principal.account_id)
        reference = await check_references(
            conn, account_id=principal.account_id, endpoint=model.endpoint, params=params
        )
        held = await hold(
            conn,
            account_id=principal.account_id,
            mode=principal.mode,
            amount=values["price"],
            key_id=principal.key_id,
            task_id=values["id"],
            model=model.slug,
        )
        await conn.execute(
            insert(tasks).values(
                **values, hold_id=held.hold_id, parent_task_id=reference.parent_task_id
            )
        )
        return (await conn.execute(select(tasks).where(tasks.c.id == values["id"]))).one()


async def create_task(gateway: Gateway, principal: Principal, endpoint: str, body: Any) -> Any:
    _check_arrays(body, gateway.settings.max_array_items)
    validated = validate_request(gateway.catalog, endpoint, body)
    model = validated.model
    if not principal.allows_model(model.slug):
        raise PermissionDenied(f"This API key may not use the model '{model.slug}'")
    price = price_request(model, validated)
    params = dict(validated.params)
    callback_url = params.pop("callback_url", None)
    if callback_url is not None:
        try:
            await gateway.guard.check(str(callback_url))
        except UrlRefused as exc:
            raise InvalidRequest(
                f"'callback_url' is not acceptable: {exc}", param="callback_url"
            ) from exc
    await _check_urls(gateway, model, params)
    route = gateway.providers.route(model.slug, test=principal.is_test)

    task_id = new_id("task", 18)
    now = now_ms()
    request = {
        "model": body.get("model", model.slug),
        **{k: v for k, v in body.items() if k != "model"},
    }
    values: dict[str, Any] = {
        "id": task_id,
        "account_id": principal.account_id,
        "key_id": principal.key_id,
        "mode": principal.mode,
        "model": model.slug,
        "variant": validated.variant,
        "endpoint": model.endpoint,
        "kind": model.kind,
        "status": Status.QUEUED.value,
        "progress": None,
        "price": price,
        "consumed_credits": 0,
        "request": orjson.dumps(request).decode(),
        "params": orjson.dumps(params).decode(),
        "callback_url": callback_url,
        "provider": route.provider.name,
        "channel": route.channel,
        "next_run_at": now,
        "attempts": 0,
        "deadline_at": now + model.timeout_seconds * 1000,
        "created_at": now,
        "updated_at": now,
    }
    writer = gateway.holds.writer
    if writer is not None and not refers_to_earlier_work(model.endpoint, params):
        # The hot path: one operation of a group-commit batch (tasks/submit_sql.py).
        cap = gateway.settings.max_concurrent_tasks_per_account
        work = asyncio.ensure_future(
            writer.run_steps(partial(insert_task_steps, cap=cap, values=values))
        )
        row = await asyncio.shield(work)  # once queued, it is written whatever the client does
    else:
        row = await _insert(gateway, principal, model, params, values)
    await gateway.work_queued()
    return row
