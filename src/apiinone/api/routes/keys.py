"""The caller's own API keys. Managing keys needs a live key without an allow-list or spend
cap, and a key mints or changes keys only within its own limits (``auth/powers.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from apiinone.api.deps import FullAccessPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.schemas import KeyCreate, KeyUpdate, to_ms
from apiinone.api.shapes.envelope import Items, enveloped
from apiinone.api.shapes.keys import KeyCreated, KeyPublic, KeyRotated
from apiinone.audit import Actor, record
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
from apiinone.auth.principal import Principal
from apiinone.gateway import Gateway

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])

KeyId = Annotated[str, Path(max_length=40)]
Manager = FullAccessPrincipal


@router.get("", responses=enveloped(Items[KeyPublic]))
async def list_my_keys(principal: Manager, gateway: GatewayDep) -> FastJSON:
    keys = await list_keys(gateway.db, principal.account_id)
    return envelope({"items": [k.public() for k in keys]})


async def issue_key(
    gateway: Gateway,
    account_id: str,
    body: KeyCreate,
    minter: Principal,
    *,
    audit: Actor | None = None,
) -> FastJSON:
    """Create a key from a ``KeyCreate`` body, within ``minter``'s own limits; the answer
    holds the full key, once. ``audit``: an admin acting for an account (a trail entry)."""
    limits = KeyLimits(
        expires_at=to_ms(body.expires_at),
        allowed_models=resolve_allowed_models(gateway.catalog, body.allowed_models),
        rate_limit_per_minute=body.rate_limit_per_minute,
        spend_cap=body.spend_cap,
    )
    info, raw = await create_key(
        gateway.db,
        account_id=account_id,
        name=body.name,
        test=body.test,
        limits=within(minter, limits, test=body.test),
    )
    if audit is not None:
        await record(gateway.db, audit, "key.create", info.id, after=_key_state(info))
    return envelope({**info.public(), "key": raw}, status_code=201)


def _key_state(info: KeyInfo) -> dict[str, Any]:
    keep = ("name", "mode", "display", "expires_at", "allowed_models")
    public = info.public()
    return {"account_id": info.account_id, **{k: public[k] for k in keep}}


@router.post("", status_code=201, responses=enveloped(KeyCreated, 201))
async def create_my_key(body: KeyCreate, principal: Manager, gateway: GatewayDep) -> FastJSON:
    return await issue_key(gateway, principal.account_id, body, principal)


@router.patch("/{key_id}", responses=enveloped(KeyPublic))
async def update_my_key(
    key_id: KeyId, body: KeyUpdate, principal: Manager, gateway: GatewayDep
) -> FastJSON:
    fields = body.model_dump(exclude_unset=True)
    if "expires_at" in fields:
        fields["expires_at"] = to_ms(body.expires_at)
    if "allowed_models" in fields:
        fields["allowed_models"] = resolve_allowed_models(gateway.catalog, body.allowed_models)
    fields = bound_update(principal, fields)
    info = await update_key(gateway.db, principal.account_id, key_id, **fields)
    await gateway.key_changed(info.key_hash)
    return envelope(info.public())


@router.post("/{key_id}/rotate", status_code=201, responses=enveloped(KeyRotated, 201))
async def rotate_my_key(key_id: KeyId, principal: Manager, gateway: GatewayDep) -> FastJSON:
    new, raw, old = await rotate_key(
        gateway.db,
        principal.account_id,
        key_id,
        grace_seconds=gateway.settings.rotation_grace_seconds,
        bound=lambda limits, test: within(principal, limits, test=test),
    )
    await gateway.key_changed(old.key_hash)
    return envelope({**new.public(), "key": raw, "replaces": old.public()}, status_code=201)


@router.delete("/{key_id}", responses=enveloped(KeyPublic))
async def revoke_my_key(key_id: KeyId, principal: Manager, gateway: GatewayDep) -> FastJSON:
    info = await revoke_key(gateway.db, principal.account_id, key_id)
    await gateway.key_changed(info.key_hash)
    return envelope(info.public())
