"""The OpenAPI document, made to say what the routes really answer.

Each route names the type of its success in its ``responses`` (the models of
``api/shapes``), and the type of a body it reads itself in ``openapi_extra``. FastAPI
documents those (and a 422 the gateway never sends: its validation errors are 400). This
adds the components the routes refer to without FastAPI seeing them (OpenAI's schemas, the
models of bodies read raw) and, from each route's dependencies: the bearer security scheme,
the catalog's request schemas for the JSON body a generation route reads (``JSONBody``),
and every error status it can answer with the error envelope of ``docs/errors.md``. The
fuzz test (``tests/security``) and ``tests/openapi`` check real answers against this
document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute

from apiinone.api.deps import authenticate, json_body, require_admin
from apiinone.api.shapes.bodies import DOCUMENTED_MODELS
from apiinone.api.shapes.openai import openai_schemas
from apiinone.catalog import Catalog, json_schema

__all__ = ["ERROR_SCHEMA", "install_openapi"]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "type", "param"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "integer", "description": "The HTTP status"},
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        }
    },
}

ERROR_DESCRIPTIONS = {
    400: "invalid_request: malformed JSON, a wrong type or range, an unknown field",
    401: "authentication_error: key missing, unknown, revoked or expired",
    402: "insufficient_credits: the balance cannot cover the request's hold",
    403: "permission_denied: a model outside the key's allow-list, a spend cap, a disabled "
    "account, an admin route",
    404: "not_found: unknown id, model or file",
    409: "idempotency_conflict: an Idempotency-Key reused with another body, or still running;"
    " conflict: an admin change that clashes with what exists",
    413: "payload_too_large: the body is over the limit",
    429: "rate_limit: over the key's requests per minute; wait Retry-After seconds",
    502: "upstream_error: the provider failed",
    503: "service_unavailable: no provider serves the model, or the database is down",
}

# Routes that price and run a model: they hold credits and call a provider.
_RUNS_MODEL = ("/generations", "/chat/completions", "/audio/", "/tools/", "/v1/videos")
# Routes whose JSON body is that of another, priced endpoint.
_BODY_OF = {"/v1/video/generations": "/api/v1/videos/generations"}

OpenAPIHook = Callable[[], dict[str, Any]]


def _api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)  # FastAPI's included routers
        if inner is not None:
            yield from _api_routes(inner.routes)


def _calls(route: APIRoute) -> set[Any]:
    found: set[Any] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        found.add(dep.call)
        stack.extend(dep.dependencies)
    return found


def _error(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _body_schema(catalog: Catalog | None, path: str) -> dict[str, Any]:
    """The models' own request schemas where the catalog prices ``path``, else any object."""
    path = _BODY_OF.get(path, path)
    models = catalog.for_endpoint(path) if catalog is not None else []
    schemas = [
        _generator_safe({k: v for k, v in json_schema(model).items() if k != "$schema"})
        for model in models
    ]
    if not schemas:
        return {"type": "object"}
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


def _generator_safe(schema: Any) -> Any:
    """The schema with each enum of non-integer numbers (ElevenLabs' stability 0.0, 0.5,
    1.0) written as its bounds and a description: client generators only take enums of
    strings and integers. ``GET /api/v1/models/{slug}`` keeps the exact enum."""
    if isinstance(schema, list):
        return [_generator_safe(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _generator_safe(value) for key, value in schema.items()}
    values = out.get("enum")
    fractional = isinstance(values, list) and any(
        isinstance(v, float) and not v.is_integer() for v in values
    )
    if out.get("type") == "number" and fractional and isinstance(values, list):
        del out["enum"]
        out["minimum"], out["maximum"] = min(values), max(values)
        allowed = ", ".join(str(v) for v in values)
        out["description"] = (f"{out.get('description', '')} One of {allowed}.").strip()
    return out


def _document(
    operation: dict[str, Any], method: str, path: str, calls: set[Any], catalog: Catalog | None
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)  # validation errors are 400s in the error envelope
    statuses: set[int] = set()
    params = operation.get("parameters", [])
    if params:
        statuses.add(400)
    if any(p.get("in") == "path" or p.get("name", "").endswith("id") for p in params):
        statuses.add(404)  # an id that names nothing of this account
    if any(p.get("name") == "after" for p in params):
        statuses.add(404)  # a cursor that names nothing of this account
    if authenticate in calls:
        operation["security"] = [{"bearerAuth": []}]
        statuses.update((401, 403, 429))
    if require_admin in calls:
        statuses.add(403)  # a user key
    if json_body in calls and "requestBody" not in operation:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _body_schema(catalog, path)}},
        }
    if "requestBody" in operation:
        statuses.update((400, 413))
    if method == "post" and authenticate in calls:
        statuses.add(409)  # Idempotency-Key
    if method == "post" and any(part in path for part in _RUNS_MODEL):
        statuses.update((400, 402, 403, 404, 502, 503))
    for status in sorted(statuses):
        responses.setdefault(str(status), _error(status))


def _components(schemas: dict[str, Any]) -> None:
    """Add OpenAI's schemas and the models of bodies read raw; a name taken twice is a bug."""
    _, documented = models_json_schema(
        [(model, "validation") for model in DOCUMENTED_MODELS],
        ref_template="#/components/schemas/{model}",
    )
    for name, schema in {**openai_schemas(), **documented.get("$defs", {})}.items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"Two schemas are named {name} in the OpenAPI document")
        schemas[name] = schema


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` by one that documents auth, bodies and errors."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        _components(components["schemas"])
        components["schemas"].pop("HTTPValidationError", None)
        components["schemas"].pop("ValidationError", None)
        components["securitySchemes"] = {
            "bearerAuth": {"type": "http", "scheme": "bearer", "description": "aio_... API key"}
        }
        gateway = getattr(app.state, "gateway", None)  # absent outside the server's lifespan
        catalog: Catalog | None = gateway.catalog if gateway is not None else None
        by_key = {
            (method.lower(), route.path_format): route
            for route in _api_routes(app.routes)
            for method in route.methods or ()
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                route = by_key.get((method, path))
                calls = _calls(route) if route else set()
                _document(operation, method, path, calls, catalog)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
