"""Accepting tasks: validate, price, check URLs and references, hold, insert — atomically
(several tasks of one request as one decision)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.auth.models import admit
from apiinone.auth.principal import Principal
from apiinone.catalog import (
    ModelSpec,
    ParamSpec,
    ValidatedRequest,
    price_request,
)
from apiinone.catalog.length_limits import TIER_FROM_SOURCE, check_version_limits
from apiinone.catalog.routing import route_of
from apiinone.db.engine import now_ms
from apiinone.db.steps import StepsOf, run_connection
from apiinone.db.tables import accounts
from apiinone.errors import InvalidRequest
from apiinone.ids import new_id
from apiinone.net.fetch import own_file_ref
from apiinone.net.guard import UrlRefused
from apiinone.runtime import Runtime
from apiinone.tasks.clip_length import check_clip_length
from apiinone.tasks.references import UPLOAD_COVER, check_references, refers_to_earlier_work
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.states import Status
from apiinone.tasks.submit_sql import Submitted, insert_tasks_steps

__all__ = [
    "Prepared",
    "by_source_tier",
    "create_task",
    "create_tasks",
    "prepare_task",
    "url_fields",
]


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


def _own_file(gateway: Runtime, url: str) -> bool:
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


async def _check_urls(gateway: Runtime, model: ModelSpec, params: Mapping[str, Any]) -> None:
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


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request checked and priced: the model, its params and the task row's values."""

    model: ModelSpec
    params: dict[str, Any]
    values: dict[str, Any]
    validated: ValidatedRequest


def by_source_tier(validated: ValidatedRequest, parent_variant: str | None) -> ValidatedRequest:
    """A request that names no ``model`` and refers to earlier work (a Suno extend) takes
    the source's sub-model: its tier, its length limits and its price (the docs: extend
    costs "5-12, by the origin's tier")."""
    model = validated.model
    if validated.model_name is not None or model.slug not in TIER_FROM_SOURCE:
        return validated
    variants = model.variants
    variant = validated.variant
    if variants is not None and parent_variant in variants.values:
        variant = parent_variant
    check_version_limits(model, variant, validated.params)
    return validated if variant == validated.variant else replace(validated, variant=variant)


def _source_tier(item: Prepared, parent_variant: str | None) -> None:
    tiered = by_source_tier(item.validated, parent_variant)
    if tiered is not item.validated:
        item.values["variant"] = tiered.variant
        item.values["price"] = price_request(item.model, tiered)


async def _lock_account(conn: AsyncConnection, account_id: str) -> None:
    """The account's row locked before references are checked (PostgreSQL: ``FOR NO KEY
    UPDATE``, which does not block the foreign-key checks of other writers; SQLite: the
    transaction already holds the write lock), so two submissions referring to one earlier
    task check it one after the other."""
    await conn.execute(
        select(accounts.c.id).where(accounts.c.id == account_id).with_for_update(key_share=True)
    )


async def _write_with_references(
    gateway: Runtime,
    principal: Principal,
    prepared: Sequence[Prepared],
    steps: Callable[[], StepsOf[Submitted]],
) -> Submitted:
    """The submission's transaction through SQLAlchemy: references to earlier work are read
    there, then the same steps as the group writers' run in it (also the path of an
    in-memory SQLite database, which no second connection can see)."""
    async with gateway.db.write() as conn:
        await _lock_account(conn, principal.account_id)
        for item in prepared:
            reference = await check_references(
                conn,
                account_id=principal.account_id,
                endpoint=item.model.endpoint,
                params=item.params,
            )
            item.values["parent_task_id"] = reference.parent_task_id
            _source_tier(item, reference.parent_variant)
        return await run_connection(conn, steps())


async def prepare_task(
    gateway: Runtime, principal: Principal, endpoint: str, body: Any, now: int
) -> Prepared:
    """Validate, authorize and price one request; its task row, not yet written."""
    _check_arrays(body, gateway.settings.max_array_items)
    validated = admit(principal, gateway.catalog, endpoint, body)
    model = validated.model
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
    if model.endpoint == UPLOAD_COVER:
        await check_clip_length(gateway, principal, params.get("audio_id"))
    key = route_of(model, validated.variant, params)
    route = gateway.providers.route(model.slug, test=principal.is_test, key=key)

    task_id = new_id("task", 18)
    # What the client asked for, as the model takes it: mapped names, ignored fields gone.
    request = {"model": validated.model_name or model.slug, **validated.sent}
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
        "warnings": orjson.dumps(list(validated.warnings)).decode() if validated.warnings else None,
        "provider": gateway.providers.label(route.channel, route.provider),
        "channel": route.channel,
        "next_run_at": now,
        "attempts": 0,
        "deadline_at": now + model.timeout_seconds * 1000,
        "created_at": now,
        "updated_at": now,
    }
    return Prepared(model=model, params=params, values=values, validated=validated)


async def create_task(gateway: Runtime, principal: Principal, endpoint: str, body: Any) -> TaskRow:
    """Accept one task (202 material): its row."""
    submitted = await create_tasks(gateway, principal, endpoint, [body])
    return submitted.rows[0]


async def create_tasks(
    gateway: Runtime,
    principal: Principal,
    endpoint: str,
    bodies: Sequence[Any],
    *,
    fingerprint: str | None = None,
    ended_since_ms: int = 0,
) -> Submitted:
    """Accept one task per body as one decision: all held and written, or none (a 402
    names the price of all). With a ``fingerprint``, an earlier attempt's tasks that carry
    it are answered instead (``submit_sql.insert_tasks_steps``)."""
    now = now_ms()
    prepared = [await prepare_task(gateway, principal, endpoint, body, now) for body in bodies]
    steps = partial(
        insert_tasks_steps,
        cap=gateway.settings.max_concurrent_tasks_per_account,
        group=[item.values for item in prepared],
        fingerprint=fingerprint,
        ended_since_ms=ended_since_ms,
    )
    writer = gateway.holds.writer
    if writer is not None and not any(
        refers_to_earlier_work(item.model.endpoint, item.params) for item in prepared
    ):
        # The hot path: one operation of a group-commit batch.
        work = asyncio.ensure_future(writer.run_steps(steps))
        submitted = await asyncio.shield(work)  # once queued, it is written
    else:
        submitted = await _write_with_references(gateway, principal, prepared, steps)
    if not submitted.attached:
        await gateway.work_queued()
    return submitted
