"""API keys: create (the full key is shown once), rename, limits, rotate, revoke.

A session opened with a key creates and changes keys only within that key's limits
(``auth/powers.py``); beyond them the page answers 403 and names the field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.api.params import MAX_EXPIRY_DAYS
from apiinone.api.schemas import KeyCreate, KeyUpdate
from apiinone.auth.keys import (
    KeyInfo,
    KeyLimits,
    create_key,
    list_keys,
    revoke_key,
    rotate_key,
    update_key,
)
from apiinone.auth.models import resolve_allowed_models
from apiinone.auth.powers import bound_update, within
from apiinone.dashboard.deps import CsrfChecked, PageUser, User
from apiinone.dashboard.web import page, redirect
from apiinone.db.engine import now_ms
from apiinone.errors import APIError, InvalidRequest, PermissionDenied
from apiinone.gateway import Gateway

router = APIRouter(prefix="/keys", include_in_schema=False)

Field = Annotated[str, Form(max_length=5000)]
KEY_ID_MAX = 40


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


def _limits(
    allowed_models: str, rate_limit: str, spend_cap: str, expires_days: str
) -> dict[str, Any]:
    """Form text → the fields of KeyCreate / KeyUpdate (blank means no limit)."""
    models = [m.strip() for m in allowed_models.replace("\n", ",").split(",") if m.strip()]
    expires = None
    if expires_days.strip():
        days = float(expires_days)  # "abc": ValueError, answered as a form error
        if not 0 < days <= MAX_EXPIRY_DAYS:  # nan and inf too
            raise InvalidRequest(f"Expiry must be more than 0 and at most {MAX_EXPIRY_DAYS} days")
        expires = now_ms() + int(days * 86_400_000)
    return {
        "allowed_models": models or None,
        "rate_limit_per_minute": int(rate_limit) if rate_limit.strip() else None,
        "spend_cap": int(spend_cap) if spend_cap.strip() else None,
        "expires_at": expires,
    }


async def _render(
    request: Request,
    user: User,
    gateway: Gateway,
    *,
    created: tuple[KeyInfo, str] | None = None,
    message: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    keys = await list_keys(gateway.db, user.account.id)
    now = now_ms()
    rows = sorted(keys, key=lambda k: (k.status(now) != "active", -k.created_at))
    return page(
        request,
        "keys.html",
        user=user,
        status=status,
        keys=[{**k.public(), "status": k.status(now)} for k in rows],
        created=None if created is None else {**created[0].public(), "key": created[1]},
        models=[m.slug for m in gateway.catalog.models],
        default_rate=gateway.settings.rate_limit_per_minute,
        message=message,
    )


async def _refused(request: Request, user: User, gateway: Gateway, exc: Exception) -> Response:
    """The keys page again with why: 403 beyond the session key's limits, else 400."""
    if isinstance(exc, APIError):
        status = 403 if isinstance(exc, PermissionDenied) else 400
        text = exc.message
    else:
        status, text = 400, "Limits must be whole numbers"
    return await _render(
        request, user, gateway, status=status, message={"kind": "error", "text": text}
    )


@router.get("")
async def keys_page(request: Request, user: PageUser, gateway: GatewayDep) -> Response:
    return await _render(request, user, gateway)


@router.post("")
async def create(
    request: Request,
    user: CsrfChecked,
    gateway: GatewayDep,
    name: Annotated[str, Form(max_length=200)] = "",
    mode: Annotated[str, Form(max_length=10)] = "live",
    allowed_models: Field = "",
    rate_limit: Field = "",
    spend_cap: Field = "",
    expires_days: Field = "",
) -> Response:
    try:
        fields = _limits(allowed_models, rate_limit, spend_cap, expires_days)
        expires_at = fields.pop("expires_at")
        body = KeyCreate(name=name.strip(), test=mode == "test", **fields)
        limits = KeyLimits(
            expires_at=expires_at,
            allowed_models=resolve_allowed_models(gateway.catalog, body.allowed_models),
            rate_limit_per_minute=body.rate_limit_per_minute,
            spend_cap=body.spend_cap,
        )
        info, raw = await create_key(
            gateway.db,
            account_id=user.account.id,
            name=body.name,
            test=body.test,
            limits=within(user.principal(), limits, test=body.test),
        )
    except ValidationError as exc:
        return await _render(
            request, user, gateway, status=400, message={"kind": "error", "text": _first_error(exc)}
        )
    except (APIError, ValueError) as exc:
        return await _refused(request, user, gateway, exc)
    return await _render(request, user, gateway, created=(info, raw))


@router.post("/{key_id}/rename")
async def rename(
    request: Request,
    key_id: str,
    user: CsrfChecked,
    gateway: GatewayDep,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        info = await update_key(gateway.db, user.account.id, key_id[:KEY_ID_MAX], name=name.strip())
    except APIError as exc:
        return redirect(request, "/keys", flash=("error", exc.message))
    await gateway.key_changed(info.key_hash)
    return redirect(request, "/keys", flash=("ok", f"Renamed to “{info.name or 'unnamed'}”."))


@router.post("/{key_id}/limits")
async def limits(
    request: Request,
    key_id: str,
    user: CsrfChecked,
    gateway: GatewayDep,
    allowed_models: Field = "",
    rate_limit: Field = "",
    spend_cap: Field = "",
) -> Response:
    try:
        fields = _limits(allowed_models, rate_limit, spend_cap, "")
        fields.pop("expires_at")
        body = KeyUpdate(**fields)
        changes = {
            "allowed_models": resolve_allowed_models(gateway.catalog, body.allowed_models),
            "rate_limit_per_minute": body.rate_limit_per_minute,
            "spend_cap": body.spend_cap,
        }
        info = await update_key(
            gateway.db,
            user.account.id,
            key_id[:KEY_ID_MAX],
            **bound_update(user.principal(), changes),
        )
    except PermissionDenied as exc:
        return await _refused(request, user, gateway, exc)
    except ValidationError as exc:
        return redirect(request, "/keys", flash=("error", _first_error(exc)))
    except ValueError:
        return redirect(request, "/keys", flash=("error", "Limits must be whole numbers"))
    except APIError as exc:
        return redirect(request, "/keys", flash=("error", exc.message))
    await gateway.key_changed(info.key_hash)
    return redirect(request, "/keys", flash=("ok", f"Limits of {info.name or info.id} saved."))


@router.post("/{key_id}/rotate")
async def rotate(request: Request, key_id: str, user: CsrfChecked, gateway: GatewayDep) -> Response:
    try:
        new, raw, old = await rotate_key(
            gateway.db,
            user.account.id,
            key_id[:KEY_ID_MAX],
            grace_seconds=gateway.settings.rotation_grace_seconds,
            bound=lambda limits, test: within(user.principal(), limits, test=test),
        )
    except PermissionDenied as exc:
        return await _refused(request, user, gateway, exc)
    except APIError as exc:
        return redirect(request, "/keys", flash=("error", exc.message))
    await gateway.key_changed(old.key_hash)
    return await _render(request, user, gateway, created=(new, raw))


@router.post("/{key_id}/revoke")
async def revoke(request: Request, key_id: str, user: CsrfChecked, gateway: GatewayDep) -> Response:
    try:
        info = await revoke_key(gateway.db, user.account.id, key_id[:KEY_ID_MAX])
    except APIError as exc:
        return redirect(request, "/keys", flash=("error", exc.message))
    await gateway.key_changed(info.key_hash)
    return redirect(request, "/keys", flash=("ok", f"Key {info.prefix}…{info.last4} revoked."))
