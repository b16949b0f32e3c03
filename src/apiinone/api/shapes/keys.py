"""API keys as ``/api/v1/keys`` and the admin routes show them (never the hash)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["KeyCreated", "KeyPublic", "KeyRevoked", "KeyRotated"]


class KeyPublic(BaseModel):
    id: str
    name: str
    mode: Literal["live", "test"]
    prefix: str
    last4: str
    display: str
    status: Literal["active", "expired", "revoked"]
    created_at: int = Field(description="Unix milliseconds")
    expires_at: int | None
    revoked_at: int | None
    rotated_to: str | None
    allowed_models: list[str] | None
    rate_limit_per_minute: int | None
    spend_cap: int | None
    spent: int


class KeyCreated(KeyPublic):
    key: str | None = Field(description="The whole key, shown once (null in a replay)")
    secret_withheld: bool | None = Field(default=None, description="true in a replay")


class KeyRotated(KeyCreated):
    replaces: KeyPublic


class KeyRevoked(KeyPublic):
    account_id: str
