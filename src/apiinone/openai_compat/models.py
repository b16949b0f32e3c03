"""``GET /v1/models`` and ``GET /v1/models/{id}``: the catalog in OpenAI's list shape.

Every catalog model this key may use, chat and media alike, as
``{"id": slug, "object": "model", "created": unix, "owned_by": provider}``. The catalog keeps
no per-model dates, so ``created`` is :data:`CATALOG_CREATED` for all. ``{id}`` may be a
slug, an alias or a variant name; the answer always carries the slug.

Asked with an ``anthropic-version`` header (as Anthropic's SDK and tools ask), both answer
in Anthropic's shape instead (``anthropic_models.py``): chat models only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.shapes.openai import openai_content
from apiinone.catalog import ModelSpec
from apiinone.errors import NotFound
from apiinone.openai_compat.anthropic_models import (
    ANTHROPIC_VERSION,
    anthropic_list,
    anthropic_model,
)
from apiinone.wire import FastJSON

__all__ = ["CATALOG_CREATED", "model_object", "router"]

router = APIRouter(prefix="/v1/models", tags=["openai"])

CATALOG_CREATED = 1_767_225_600  # 2026-01-01T00:00:00Z
_SHOWN = 200


def model_object(model: ModelSpec) -> dict[str, Any]:
    return {
        "id": model.slug,
        "object": "model",
        "created": CATALOG_CREATED,
        "owned_by": model.provider,
    }


@router.get(
    "",
    summary="List models (OpenAI shape)",
    responses={200: openai_content("ListModelsResponse", "The models this key may use")},
)
async def list_models(
    request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    if ANTHROPIC_VERSION in request.headers:
        return anthropic_list(request, principal, gateway.catalog.models)
    data = [
        model_object(model)
        for model in gateway.catalog.models
        if principal.allows_model(model.slug)
    ]
    return FastJSON({"object": "list", "data": data})


@router.get(
    "/{model_id:path}",
    summary="Retrieve a model (OpenAI shape)",
    responses={200: openai_content("Model", "The model")},
)
async def retrieve_model(
    model_id: str, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    resolved = gateway.catalog.get(model_id) if len(model_id) <= _SHOWN else None
    anthropic = ANTHROPIC_VERSION in request.headers
    chat = resolved is not None and resolved.model.kind == "chat"
    if (
        resolved is None
        or not principal.allows_model(resolved.model.slug)
        or (anthropic and not chat)
    ):
        raise NotFound(f"No model '{model_id[:_SHOWN]}'", param="model")
    if anthropic:
        return FastJSON(anthropic_model(resolved.model))
    return FastJSON(model_object(resolved.model))
