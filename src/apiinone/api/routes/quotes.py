"""Quotes: the exact price of a request, or the error it would get, with nothing run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.render import FastJSON, envelope
from apiinone.api.shapes.bodies import read_as
from apiinone.api.shapes.catalog import Quote, QuoteRequest
from apiinone.api.shapes.envelope import enveloped
from apiinone.auth.principal import Principal
from apiinone.catalog import price_request, validate_request
from apiinone.catalog.routing import route_of
from apiinone.chat.billing import plan_hold
from apiinone.errors import InvalidRequest, PermissionDenied
from apiinone.gateway import Gateway
from apiinone.tasks.control import load_task
from apiinone.tasks.references import EXTEND
from apiinone.tasks.submit import by_source_tier

router = APIRouter(prefix="/api/v1", tags=["quotes"])

CHAT_PATHS = ("/api/v1/chat/completions", "/v1/chat/completions")


@router.post("/quotes", responses=enveloped(Quote), openapi_extra=read_as(QuoteRequest))
async def quote(body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
    path = body.get("path")
    request = body.get("body")
    extra = set(body) - {"path", "body"}
    if extra:
        raise InvalidRequest(
            f"Unknown field '{sorted(extra)[0]}'; send path and body", param=sorted(extra)[0]
        )
    if not isinstance(path, str) or not path:
        raise InvalidRequest("'path' is required: the endpoint to price", param="path")
    if not isinstance(request, dict):
        raise InvalidRequest("'body' is required: the JSON object you would send", param="body")
    if path in CHAT_PATHS:
        return _chat_quote(path, request, principal=principal, gateway=gateway)
    if not gateway.catalog.for_endpoint(path):
        raise InvalidRequest(f"'{path[:200]}' is not a priced endpoint", param="path")
    validated = validate_request(gateway.catalog, path, request)
    if not principal.allows_model(validated.model.slug):
        raise PermissionDenied(f"This API key may not use the model '{validated.model.slug}'")
    origin = validated.params.get("origin_task_id")
    if validated.model.endpoint == EXTEND and isinstance(origin, str):
        source = await load_task(gateway, principal.account_id, origin)
        validated = by_source_tier(validated, source.variant)
    key = route_of(validated.model, validated.variant, validated.params)
    gateway.providers.check_bound(validated.model.slug, key, test=principal.is_test)
    credits = price_request(validated.model, validated)
    return envelope(
        {
            "path": path,
            "model": validated.model.slug,
            "variant": validated.variant,
            "credits": credits,
            "pricing": "fixed",
            "params": validated.params,
        }
    )


def _chat_quote(
    path: str, request: dict[str, Any], *, principal: Principal, gateway: Gateway
) -> FastJSON:
    validated = validate_request(gateway.catalog, "/api/v1/chat/completions", request)
    if not principal.allows_model(validated.model.slug):
        raise PermissionDenied(f"This API key may not use the model '{validated.model.slug}'")
    plan = plan_hold(validated.model, validated.params)
    return envelope(
        {
            "path": path,
            "model": validated.model.slug,
            "variant": validated.variant,
            "credits": plan.amount,
            "minimum_credits": plan.minimum,
            "pricing": "tokens",
            "note": "Chat is billed by the tokens used; this is the most it can cost (the hold). "
            "Without max_tokens a smaller balance is held down to minimum_credits, and the "
            "output tokens it pays for are the request's maximum.",
        }
    )
