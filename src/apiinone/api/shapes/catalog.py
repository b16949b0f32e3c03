"""The model catalog (``/api/v1/models``) and quotes (``/api/v1/quotes``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ModelDetail",
    "ModelList",
    "ModelSummary",
    "PriceInfo",
    "PriceRow",
    "Quote",
    "QuoteRequest",
    "VariantInfo",
]

Kind = Literal["chat", "image", "video", "music", "speech", "tool"]


class ModelSummary(BaseModel):
    slug: str
    object: Literal["model"]
    display_name: str
    kind: Kind
    endpoint: str = Field(description="The path that runs the model")
    provider: str
    aliases: list[str]
    capabilities: list[str]
    price_summary: str


class ModelList(BaseModel):
    items: list[ModelSummary]
    count: int
    sandbox_mode: bool


class VariantInfo(BaseModel):
    default: str
    values: list[str]
    aliases: dict[str, str]


class PriceRow(BaseModel):
    when: dict[str, Any] = Field(description="The parameter values this price applies to")
    credits: int | float
    per: str | None


class PriceInfo(BaseModel):
    summary: str
    table: list[PriceRow]
    minimum: int
    range: list[int] | None = Field(description="[lowest, highest] of one request, if bounded")
    operator_set: bool
    note: str


class ModelDetail(ModelSummary):
    description: str
    model_field_required: bool
    timeout_seconds: int
    variants: VariantInfo | None
    price: PriceInfo
    parameters: dict[str, Any] = Field(description="The request body's JSON Schema")


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The endpoint to price, e.g. /api/v1/images/generations")
    body: dict[str, Any] = Field(description="The JSON object you would send to it")


class Quote(BaseModel):
    path: str
    model: str
    variant: str | None
    credits: int = Field(description="The exact price; for chat the most it can cost")
    pricing: Literal["fixed", "tokens"]
    params: dict[str, Any] | None = Field(default=None, description="fixed: the priced request")
    minimum_credits: int | None = Field(default=None, description="tokens: the smallest hold")
    note: str | None = Field(default=None, description="tokens: how chat is billed")
