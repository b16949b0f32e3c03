"""Quotes: the exact price of a request, or the error it would get, with nothing run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.render import FastJSON, envelope
from apiinone.catalog import chat_hold, price_request, validate_request
from apiinone.errors import InvalidRequest, PermissionDenied

router = APIRouter(prefix="/api/v1", tags=["quotes"])

CHAT_PATHS = ("/api/v1/chat/completions", "/v1/chat/completions")


def _estimate_prompt_tokens(body: dict[str, Any]) -> int:
    """A generous estimate: one token per 3 bytes of the messages' JSON."""
    import orjson

    return len(orjson.dumps(body.get("messages", []))) // 3 + 1


@router.post("/quotes")
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
        return _chat_quote(path, request, principal_allows=principal.allows_model, gateway=gateway)
    if not gateway.catalog.for_endpoint(path):
        raise InvalidRequest(f"'{path[:200]}' is not a priced endpoint", param="path")
    validated = validate_request(gateway.catalog, path, request)
    if not principal.allows_model(validated.model.slug):
        raise PermissionDenied(f"This API key may not use the model '{validated.model.slug}'")
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
    path: str, request: dict[str, Any], *, principal_allows: Any, gateway: Any
) -> FastJSON:
    name = request.get("model")
    if not isinstance(name, str):
        raise InvalidRequest("'model' is required", param="model")
    resolved = gateway.catalog.get(name)
    if resolved is None or resolved.model.kind != "chat":
        raise InvalidRequest(f"Unknown chat model '{name[:120]}'", param="model")
    if not principal_allows(resolved.model.slug):
        raise PermissionDenied(f"This API key may not use the model '{resolved.model.slug}'")
    max_tokens = request.get("max_completion_tokens", request.get("max_tokens"))
    if max_tokens is not None and (
        not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1
    ):
        raise InvalidRequest("'max_tokens' must be a positive integer", param="max_tokens")
    credits = chat_hold(resolved.model, _estimate_prompt_tokens(request), max_tokens)
    return envelope(
        {
            "path": path,
            "model": resolved.model.slug,
            "variant": resolved.variant,
            "credits": credits,
            "pricing": "tokens",
            "note": "Chat is billed by tokens used; this is the most it can cost (the hold).",
        }
    )
