"""The model catalog: every model with its JSON Schema, prices and capabilities, and which
of its variants and modes this gateway serves now."""

from __future__ import annotations

from fastapi import APIRouter

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.shapes.catalog import ModelDetail, ModelList
from apiinone.api.shapes.envelope import enveloped
from apiinone.catalog import ModelSpec, list_item, public_model
from apiinone.catalog.routing import mode_axis, route_keys, variant_axis
from apiinone.errors import NotFound
from apiinone.gateway import Gateway

router = APIRouter(prefix="/api/v1/models", tags=["models"])


def _routes(gateway: Gateway, model: ModelSpec, *, test: bool) -> list[dict[str, object]]:
    """Each variant in each mode and its state here: ``live``, ``down`` (bound, every
    channel failing) or ``unbound`` (no channel binds it: refused with a 400)."""
    providers = gateway.providers
    return [
        {
            "variant": key.variant,
            "mode": key.mode,
            "route": str(key),
            "state": providers.state(model.slug, key, test=test),
        }
        for key in route_keys(model)
    ]


@router.get("", responses=enveloped(ModelList))
async def list_models(principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
    test = principal.is_test
    items = []
    for model in gateway.catalog.models:
        if principal.allows_model(model.slug):
            routes = _routes(gateway, model, test=test)
            live = [str(route["route"]) for route in routes if route["state"] == "live"]
            items.append({**list_item(model), "live": live})
    return envelope(
        {
            "items": items,
            "count": len(items),
            "sandbox_mode": gateway.providers.sandbox_mode or test,
        }
    )


@router.get("/{slug:path}", responses=enveloped(ModelDetail))
async def get_model(slug: str, principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
    resolved = gateway.catalog.get(slug) if len(slug) <= 200 else None
    if resolved is None or not principal.allows_model(resolved.model.slug):
        raise NotFound(f"No model '{slug[:200]}'", param="model")
    model = resolved.model
    routing = {
        "variants": list(variant_axis(model)),
        "variant_param": model.routing.variant_param,
        "modes": list(mode_axis(model)),
        "routes": _routes(gateway, model, test=principal.is_test),
    }
    return envelope({**public_model(model), "routing": routing})
