"""Request bodies of the account, key and admin routes (``XCreate`` / ``XUpdate``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AccountCreate", "AccountUpdate", "CreditAdjust", "KeyCreate", "KeyUpdate", "to_ms"]

Name = Annotated[str, Field(max_length=200)]
ModelSlug = Annotated[str, Field(min_length=1, max_length=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyCreate(_Strict):
    name: Name = ""
    test: bool = False
    expires_at: datetime | None = None
    allowed_models: Annotated[list[ModelSlug], Field(min_length=1, max_length=200)] | None = None
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    spend_cap: Annotated[int, Field(ge=0, le=10**15)] | None = None


class KeyUpdate(_Strict):
    name: Name | None = None
    expires_at: datetime | None = None
    allowed_models: Annotated[list[ModelSlug], Field(min_length=1, max_length=200)] | None = None
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    spend_cap: Annotated[int, Field(ge=0, le=10**15)] | None = None


class AccountCreate(_Strict):
    email: Annotated[str, Field(min_length=3, max_length=320)]
    name: Name = ""
    is_admin: bool = False
    create_key: bool = True


class AccountUpdate(_Strict):
    disabled: bool


class CreditAdjust(_Strict):
    amount: Annotated[int, Field(ge=-(10**15), le=10**15)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    mode: Annotated[str, Field(pattern="^(live|test)$")] = "live"


def to_ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)
