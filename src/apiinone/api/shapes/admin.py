"""The operator's routes under ``/api/v1/admin``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from apiinone.api.shapes.account import Wallet
from apiinone.api.shapes.keys import KeyCreated

__all__ = ["AccountCreated", "AccountDetail", "AccountPublic", "Channel", "ChannelList", "Credits"]


class AccountPublic(BaseModel):
    id: str
    email: str
    name: str
    is_admin: bool
    disabled: bool
    created_at: int = Field(description="Unix milliseconds")


class AccountCreated(AccountPublic):
    key: KeyCreated | None = Field(default=None, description="Absent with create_key false")


class AccountDetail(AccountPublic):
    live: Wallet
    test: Wallet


class Credits(BaseModel):
    account_id: str
    mode: Literal["live", "test"]
    balance: int


class Channel(BaseModel):
    name: str
    adapter: str
    priority: int
    weight: int
    circuit: str
    consecutive_failures: int
    failures: int
    successes: int
    last_error: str | None


class ChannelList(BaseModel):
    items: list[Channel]
    sandbox_mode: bool
