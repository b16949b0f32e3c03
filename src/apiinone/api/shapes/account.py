"""``/api/v1/account``, ``/api/v1/usage`` and the webhook secret."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["AccountData", "KeySummary", "LedgerEntry", "Wallet", "WebhookSecret"]

Mode = Literal["live", "test"]


class Wallet(BaseModel):
    balance: int = Field(description="Credits available")
    held: int = Field(description="Credits held by running tasks")


class KeySummary(BaseModel):
    """The key that made the request."""

    id: str
    name: str
    mode: Mode
    display: str = Field(description="The key's prefix and last four characters")
    allowed_models: list[str] | None
    rate_limit_per_minute: int
    spend_cap: int | None
    expires_at: str | None


class AccountData(BaseModel):
    account_id: str
    email: str
    name: str
    is_admin: bool
    mode: Mode = Field(description="The mode of the key: its balance is `balance`")
    balance: int
    held: int
    live: Wallet
    test: Wallet
    key: KeySummary
    webhook_secret: str | None = Field(description="null for restricted and test keys")
    created_at: str | None


class LedgerEntry(BaseModel):
    id: str
    kind: str = Field(description="grant, bonus, deduct, hold, capture, release, topup, redeem")
    amount: int
    held_delta: int
    balance_after: int
    mode: Mode
    model: str | None
    task_id: str | None
    hold_id: str | None
    key_id: str | None
    reason: str | None
    created_at: str | None


class WebhookSecret(BaseModel):
    secret: str | None = Field(description="null only in an idempotent replay")
    secret_withheld: bool | None = Field(default=None, description="true in a replay")
