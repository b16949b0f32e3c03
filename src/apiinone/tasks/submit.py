"""Accepting a task: validate, price, check URLs and references, hold, insert — atomically."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from sqlalchemy import Row, insert, select

from apiinone.auth.principal import Principal
from apiinone.billing.ledger import hold
from apiinone.catalog import ModelSpec, ParamSpec, price_request, validate_request
from apiinone.db.engine import now_ms
from apiinone.db.tables import tasks
from apiinone.errors import InvalidRequest, PermissionDenied
from apiinone.gateway import Gateway
from apiinone.ids import new_id
from apiinone.net.guard import UrlRefused
from apiinone.tasks.references import check_references
from apiinone.tasks.states import Status

__all__ = ["create_task", "url_fields"]


def url_fields(model: ModelSpec, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (field path, URL) in the params, from the catalog's ``format = "url"``."""

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

    for name, spec in model.params.items():
        if name in params:
            yield from walk(spec, params[name], name)


def _own_file(gateway: Gateway, url: str) -> bool:
    return url.startswith("/files/") or url.startswith(gateway.settings.base_url + "/files/")


async def _check_urls(gateway: Gateway, model: ModelSpec, params: Mapping[str, Any]) -> None:
    for path, url in url_fields(model, params):
        if path != "callback_url" and _own_file(gateway, url):
            continue
        try:
            await gateway.guard.check(url)
        except UrlRefused as exc:
            raise InvalidRequest(f"'{path}' is not an acceptable URL: {exc}", param=path) from exc


async def create_task(gateway: Gateway, principal: Principal, endpoint: str, body: Any) -> Row[Any]:
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
    async with gateway.db.write() as conn:
        reference = await check_references(
            conn, account_id=principal.account_id, endpoint=model.endpoint, params=params
        )
        held = await hold(
            conn,
            account_id=principal.account_id,
            mode=principal.mode,
            amount=price,
            key_id=principal.key_id,
            task_id=task_id,
            model=model.slug,
        )
        await conn.execute(
            insert(tasks).values(
                id=task_id,
                account_id=principal.account_id,
                key_id=principal.key_id,
                mode=principal.mode,
                model=model.slug,
                variant=validated.variant,
                endpoint=model.endpoint,
                kind=model.kind,
                status=Status.QUEUED.value,
                progress=None,
                price=price,
                hold_id=held.hold_id,
                consumed_credits=0,
                request=orjson.dumps(request).decode(),
                params=orjson.dumps(params).decode(),
                callback_url=callback_url,
                parent_task_id=reference.parent_task_id,
                provider=route.provider.name,
                channel=route.channel,
                next_run_at=now,
                attempts=0,
                deadline_at=now + model.timeout_seconds * 1000,
                created_at=now,
                updated_at=now,
            )
        )
        row = (await conn.execute(select(tasks).where(tasks.c.id == task_id))).one()
    await gateway.work_queued()
    return row
