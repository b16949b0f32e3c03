"""The audit trail (``/api/v1/admin/audit``) and the chat request log (``/api/v1/requests``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["CSV_ANSWER", "AuditEntry", "ChatRequestRow"]

# The ``format=csv`` form of both lists, documented beside their JSON.
CSV_ANSWER: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}


class AuditEntry(BaseModel):
    id: str
    created_at: str = Field(description="ISO 8601, UTC")
    actor: str = Field(description="the admin's email, or cli:<user>")
    actor_id: str | None = Field(description="the admin account; null for the CLI")
    via: Literal["api", "console", "cli"]
    action: str = Field(description="e.g. credits.grant, account.disable, price.set")
    target: str = Field(description="an account id, key id, model slug, batch or channel")
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ChatRequestRow(BaseModel):
    id: str = Field(description="the completion id")
    created_at: str = Field(description="ISO 8601, UTC")
    key_id: str | None
    mode: Literal["live", "test"]
    model: str
    stream: bool
    status: Literal["succeeded", "failed", "canceled"]
    prompt_tokens: int | None
    completion_tokens: int | None
    tokens_estimated: bool = Field(description="counted from what was delivered")
    latency_ms: int
    first_token_ms: int | None = Field(description="time to the first streamed token")
    credits: int = Field(description="what the ledger captured")
    error: str | None
