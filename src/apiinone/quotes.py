"""Quotes: the exact price of a request, or the error it would get, with nothing run.

One service for the API's ``POST /api/v1/quotes`` and the dashboard's calculator. It sits
beside the chat and task services rather than in ``billing``: a chat quote is the chat hold's
plan, and an extension is priced by the tier of the task it extends.
"""

from __future__ import annotations

from typing import Any

from apiinone.auth.models import admit
from apiinone.auth.principal import Principal
from apiinone.catalog import price_request
from apiinone.catalog.routing import route_of
from apiinone.chat.billing import plan_hold
from apiinone.errors import InvalidRequest
from apiinone.runtime import Runtime
from apiinone.tasks.control import load_task
from apiinone.tasks.references import EXTEND
from apiinone.tasks.submit import by_source_tier

__all__ = ["CHAT_PATHS", "quote"]

CHAT_PATHS = ("/api/v1/chat/completions", "/v1/chat/completions")


async def quote(gateway: Runtime, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """The quote for ``{"path", "body"}``: what ``body`` sent to ``path`` would cost."""
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
    validated = admit(principal, gateway.catalog, path, request)
    origin = validated.params.get("origin_task_id")
    if validated.model.endpoint == EXTEND and isinstance(origin, str):
        source = await load_task(gateway, principal.account_id, origin)
        validated = by_source_tier(validated, source.variant)
    key = route_of(validated.model, validated.variant, validated.params)
    gateway.providers.check_bound(validated.model.slug, key, test=principal.is_test)
    credits = price_request(validated.model, validated)
    return {
        "path": path,
        "model": validated.model.slug,
        "variant": validated.variant,
        "credits": credits,
        "pricing": "fixed",
        "params": validated.params,
    }


def _chat_quote(
    path: str, request: dict[str, Any], *, principal: Principal, gateway: Runtime
) -> dict[str, Any]:
    validated = admit(principal, gateway.catalog, "/api/v1/chat/completions", request)
    plan = plan_hold(validated.model, validated.params)
    return {
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
