"""A model's price in the admin console: the rule as a form (``/admin/models/{slug}``)
and its live preview (``POST /dashboard/api/admin/prices/{slug}/preview``, admin only,
``X-CSRF-Token`` header), which prices sample requests under the edited rule with the
catalog's pricing, as ``POST /api/v1/quotes`` does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep, JSONBody
from apiinone.api.envelope import FastJSON, envelope
from apiinone.audit import Actor, record
from apiinone.catalog import ModelSpec, price_table
from apiinone.catalog.overrides import (
    delete_override,
    load_overrides,
    raw_price,
    store_override,
)
from apiinone.dashboard.deps import AdminUser, CsrfAdmin, CsrfHeader, PageError, User
from apiinone.dashboard.price_form import (
    KINDS,
    FormInvalid,
    PriceForm,
    candidate,
    form_from_fields,
    form_from_price,
    multiplier_params,
    per_params,
    preview,
    price_from_form,
    table_key_params,
    table_rows,
)
from apiinone.dashboard.web import page, redirect
from apiinone.errors import APIError, InvalidRequest, NotFound, PermissionDenied
from apiinone.gateway import Gateway

router = APIRouter(include_in_schema=False)


def _model(gateway: Gateway, slug: str) -> ModelSpec | None:
    resolved = gateway.catalog.get(slug[:120])
    if resolved is None or resolved.model.slug != slug:
        return None
    return resolved.model


async def _form_page(
    request: Request,
    user: User,
    gateway: Gateway,
    model: ModelSpec,
    form: PriceForm | None = None,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    overrides = await load_overrides(gateway.db)
    current = raw_price(gateway.settings, model.slug, overrides)
    form = form or form_from_price(current)
    keys = form.table_keys or table_key_params(model)[:1]
    message = None
    if errors:
        listed = "; ".join(f"{k.removeprefix('row:')}: {v}" for k, v in errors.items())
        message = {"kind": "error", "text": f"Not saved: {listed}"}
    return page(
        request,
        "admin/model.html",
        user=user,
        status=status,
        message=message,
        model=model,
        prices=price_table(model),
        overridden=model.slug in overrides,
        form=form,
        errors=errors or {},
        kinds=("tokens",) if model.kind == "chat" else KINDS[:3],
        key_options=table_key_params(model),
        rows=table_rows(model, [k for k in keys if k in table_key_params(model)]),
        per_options=per_params(model),
        mult_options=multiplier_params(model),
        mult_slots=max(len(form.multipliers) + 1, 2),
    )


@router.get("/admin/models/{slug:path}")
async def model_page(request: Request, slug: str, user: AdminUser, gateway: GatewayDep) -> Response:
    model = _model(gateway, slug)
    if model is None:
        raise PageError(404, "No such model", f"The catalog has no model '{slug[:120]}'.")
    return await _form_page(request, user, gateway, model)


def _fields(items: list[tuple[str, Any]]) -> dict[str, str | list[str]]:
    fields: dict[str, str | list[str]] = {}
    for key, value in items[:3000]:
        if not isinstance(value, str):
            continue
        if key == "table_keys":
            listed = fields.setdefault(key, [])
            if isinstance(listed, list):
                listed.append(value)
        else:
            fields[key] = value
    return fields


@router.post("/admin/models/{slug:path}")
async def save_model(request: Request, slug: str, user: CsrfAdmin, gateway: GatewayDep) -> Response:
    model = _model(gateway, slug)
    if model is None:
        raise PageError(404, "No such model", f"The catalog has no model '{slug[:120]}'.")
    submitted = _fields(list((await request.form()).multi_items()))
    action = submitted.get("action", "save")
    actor = Actor("console", user.account.id)
    overrides = await load_overrides(gateway.db)
    before = raw_price(gateway.settings, model.slug, overrides)
    where = f"/admin/models/{model.slug}"
    if action == "reset":
        await delete_override(gateway, model.slug)
        if model.slug in overrides:
            after = raw_price(gateway.settings, model.slug, {})
            await record(gateway.db, actor, "price.reset", model.slug, before=before, after=after)
        return redirect(request, where, flash=("ok", "Override removed."))
    form = form_from_fields(submitted)
    if action == "rows":  # the table's keys changed: show the rows for them
        return await _form_page(request, user, gateway, model, form)
    if action != "save":
        raise PageError(400, "Unknown action", "The form's action is save, rows or reset.")
    try:
        price = price_from_form(model, form, before)
        candidate(model, price)
        await store_override(gateway, model.slug, price, admin_id=user.account.id)
    except FormInvalid as exc:
        return await _form_page(request, user, gateway, model, form, errors=exc.errors, status=400)
    except APIError as exc:
        errors = {"kind": exc.message}
        return await _form_page(request, user, gateway, model, form, errors=errors, status=400)
    await record(gateway.db, actor, "price.set", model.slug, before=before, after=price)
    return redirect(request, where, flash=("ok", "Price saved and in force."))


async def _admin_header(user: CsrfHeader) -> User:
    if not user.is_admin:
        raise PermissionDenied("Admins only")
    return user


AdminApi = Annotated[User, Depends(_admin_header)]


@router.post("/dashboard/api/admin/prices/{slug:path}/preview")
async def price_preview(slug: str, body: JSONBody, user: AdminApi, gateway: GatewayDep) -> FastJSON:
    """``{"fields": {...}}`` (the form's fields): the sample requests and their credits
    under that rule, or a 400 naming the field (``param``) that is wrong."""
    model = _model(gateway, slug)
    if model is None:
        raise NotFound(f"No model '{slug[:120]}'", param="slug")
    raw = body.get("fields")
    if not isinstance(raw, dict):
        raise InvalidRequest("'fields' must be an object of the form's fields", param="fields")
    fields = {
        str(k): v if isinstance(v, str) else [x for x in v if isinstance(x, str)]
        for k, v in list(raw.items())[:3000]
        if isinstance(v, str | list)
    }
    current = raw_price(gateway.settings, model.slug, await load_overrides(gateway.db))
    try:
        price = price_from_form(model, form_from_fields(fields), current)
        priced = candidate(model, price)
    except FormInvalid as exc:
        name, message = next(iter(exc.errors.items()))
        raise InvalidRequest(f"{name.removeprefix('row:')}: {message}", param=name) from exc
    return envelope(
        {
            "model": model.slug,
            "endpoint": model.endpoint,
            "price": price,
            "samples": preview(gateway.catalog, model, priced),
        }
    )
