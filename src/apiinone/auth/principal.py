"""Who is calling: the key a request authenticated with, and its account's standing."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    account_id: str
    mode: str  # "live" or "test"
    key_name: str
    prefix: str
    last4: str
    is_admin: bool
    account_disabled: bool
    revoked: bool
    expires_at: int | None  # ms
    allowed_models: frozenset[str] | None
    rate_limit_per_minute: int | None
    spend_cap: int | None

    @property
    def is_test(self) -> bool:
        return self.mode == "test"

    @property
    def unrestricted(self) -> bool:
        return self.allowed_models is None and self.spend_cap is None and not self.is_test

    def allows_model(self, slug: str) -> bool:
        return self.allowed_models is None or slug in self.allowed_models
