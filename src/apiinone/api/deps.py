"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

import time
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request

from apiinone.api.json_guard import check_json_body
from apiinone.auth.powers import FULL_ACCESS, has_full_access
from apiinone.auth.principal import Principal
from apiinone.auth.secrets import hash_key
from apiinone.errors import AuthenticationFailed, InvalidRequest, PermissionDenied, RateLimited
from apiinone.gateway import Gateway

__all__ = [
    "AdminPrincipal",
    "CurrentPrincipal",
    "FullAccessPrincipal",
    "GatewayDep",
    "JSONBody",
    "authenticate",
    "get_gateway",
    "json_body",
    "parse_json_object",
]


async def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


ANTHROPIC_PATHS = ("/v1/messages", "/v1/models")  # where Anthropic's x-api-key header is a key


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header and str(request.scope.get("path", "")).startswith(ANTHROPIC_PATHS):
        api_key = request.headers.get("x-api-key", "").strip()
        if api_key:
            return api_key
    if not header:
        raise AuthenticationFailed(
            "Missing API key: send the header 'Authorization: Bearer aio_...'"
        )
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("Malformed Authorization header: expected 'Bearer <API key>'")
    return token


PRINCIPAL = "principal"  # the request's state: who it authenticated as, once


async def authenticate(request: Request, gateway: GatewayDep) -> Principal:
    """Find the key (cache first), check its standing, then count it against its rate limit.

    Once per request: a layer that authenticated it already (the Idempotency-Key layer)
    left the principal in the request's state, and every later call returns that one.
    """
    state = request.scope.setdefault("state", {})
    known: Principal | None = state.get(PRINCIPAL)
    if known is not None:
        return known
    principal = await gateway.keys.get(hash_key(_bearer(request)))
    if principal is None:
        raise AuthenticationFailed("Invalid API key")
    if principal.revoked:
        raise AuthenticationFailed("This API key has been revoked")
    if principal.expires_at is not None and principal.expires_at <= time.time() * 1000:
        raise AuthenticationFailed("This API key has expired")
    if principal.account_disabled:
        raise PermissionDenied("This account is disabled")
    per_minute = principal.rate_limit_per_minute or gateway.settings.rate_limit_per_minute
    decision = await gateway.limiter.hit(principal.key_id, per_minute)
    state["ratelimit"] = decision
    if not decision.allowed:
        raise RateLimited(
            f"Rate limit exceeded: {per_minute} requests per minute for this key",
            headers=decision.headers(),
        )
    state[PRINCIPAL] = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


async def require_full_access(principal: CurrentPrincipal) -> Principal:
    """Keys, the webhook secret, the live ledger: for keys without an allow-list or spend cap."""
    if not has_full_access(principal):
        raise PermissionDenied(f"This needs {FULL_ACCESS}; this key is restricted")
    return principal


FullAccessPrincipal = Annotated[Principal, Depends(require_full_access)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.is_admin or principal.is_test:
        raise PermissionDenied("This route needs an admin API key")
    if not has_full_access(principal):
        raise PermissionDenied(
            "This route needs an admin API key without a model allow-list or spend cap"
        )
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


def parse_json_object(raw: bytes, *, max_depth: int) -> dict[str, Any]:
    """Parse a request body that must be a JSON object, or raise a 400 saying why
    (``max_depth``: the ``max_json_depth`` setting; see ``json_guard``)."""
    if not raw:
        raise InvalidRequest("The request body is empty; send a JSON object")
    check_json_body(raw, max_depth)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc.msg}") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object")
    return body


async def json_body(request: Request) -> dict[str, Any]:
    """The body parsed once with orjson; it must be a JSON object."""
    settings = request.app.state.gateway.settings
    return parse_json_object(await request.body(), max_depth=settings.max_json_depth)


JSONBody = Annotated[dict[str, Any], Depends(json_body)]
