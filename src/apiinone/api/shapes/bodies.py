"""Request bodies that routes read raw (``JSONBody``) but the document types with a model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from apiinone.api.shapes.anthropic import AnthropicError, CountTokensRequest, MessageCreate
from apiinone.api.shapes.catalog import QuoteRequest
from apiinone.api.shapes.channels import ChannelBody, ChannelPatch, ChannelTestBody

__all__ = ["DOCUMENTED_MODELS", "read_as"]

# Models the document holds beside those FastAPI collects from the routes' ``responses``.
DOCUMENTED_MODELS: tuple[type[BaseModel], ...] = (
    QuoteRequest,
    MessageCreate,
    CountTokensRequest,
    AnthropicError,
    ChannelBody,
    ChannelPatch,
    ChannelTestBody,
)


def read_as(model: type[BaseModel]) -> dict[str, Any]:
    """An ``openapi_extra`` naming ``model`` as the JSON body (the route parses it itself)."""
    if model not in DOCUMENTED_MODELS:
        raise ValueError(f"{model.__name__} is not in DOCUMENTED_MODELS")
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
