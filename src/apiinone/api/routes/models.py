"""The model catalog: every model with its JSON Schema, prices and capabilities."""

from __future__ import annotations

from fastapi import APIRouter

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope
from apiinone.catalog import list_item, public_model
from apiinone.errors import NotFound

router = APIRouter(prefix="/api/v1/models", tags=["models"])


@router.get("")
async def list_models(principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
    items = [
        list_item(model) for model in gateway.catalog.models if principal.allows_model(model.slug)
    ]
    return envelope(
        {
            "items": items,
            "count": len(items),
            "sandbox_mode": gateway.providers.sandbox_mode or principal.is_test,
        }
    )


@router.get("/{slug:path}")
async def get_model(slug: str, principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
    resolved = gateway.catalog.get(slug) if len(slug) <= 200 else None
    if resolved is None or not principal.allows_model(resolved.model.slug):
        raise NotFound(f"No model '{slug[:200]}'", param="model")
    return envelope(public_model(resolved.model))
