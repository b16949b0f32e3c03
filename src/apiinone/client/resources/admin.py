"""``/api/v1/admin``: operators' routes (admin keys only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from apiinone.client.resources._common import AsyncResource, SyncResource, quoted
from apiinone.client.resources.keys import key_body
from apiinone.client.types import KeyInfo, Page

__all__ = ["Admin", "AsyncAdmin"]

BASE = "/api/v1/admin"


class Admin(SyncResource):
    def create_account(
        self, email: str, *, name: str = "", is_admin: bool = False, create_key: bool = True
    ) -> dict[str, Any]:
        """A new account (with the sign-up bonus) and, unless told not to, a key (``key.key``)."""
        fields = {"email": email, "name": name, "is_admin": is_admin, "create_key": create_key}
        data: dict[str, Any] = self._client._request("POST", f"{BASE}/accounts", json_body=fields)
        return data

    def list_accounts(
        self, *, search: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page[dict[str, Any]]:
        params = {"search": search, "cursor": cursor, "limit": limit}
        data = self._client._request("GET", f"{BASE}/accounts", params=params)
        return cast(Page[dict[str, Any]], data)

    def get_account(self, account_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._client._request("GET", f"{BASE}/accounts/{quoted(account_id)}")
        return data

    def set_disabled(self, account_id: str, disabled: bool) -> dict[str, Any]:
        data: dict[str, Any] = self._client._request(
            "PATCH", f"{BASE}/accounts/{quoted(account_id)}", json_body={"disabled": disabled}
        )
        return data

    def adjust_credits(
        self, account_id: str, amount: int, *, reason: str, mode: str = "live"
    ) -> dict[str, Any]:
        """Grant (or, negative, deduct) credits: one ledger row."""
        fields = {"amount": amount, "reason": reason, "mode": mode}
        data: dict[str, Any] = self._client._request(
            "POST", f"{BASE}/accounts/{quoted(account_id)}/credits", json_body=fields
        )
        return data

    def list_keys(self, account_id: str) -> list[KeyInfo]:
        data = self._client._request("GET", f"{BASE}/accounts/{quoted(account_id)}/keys")
        return cast(list[KeyInfo], data["items"])

    def create_key(
        self,
        account_id: str,
        name: str = "",
        *,
        test: bool = False,
        expires_at: str | None = None,
        allowed_models: Sequence[str] | None = None,
        rate_limit_per_minute: int | None = None,
        spend_cap: int | None = None,
    ) -> KeyInfo:
        fields = key_body(name, test, expires_at, allowed_models, rate_limit_per_minute, spend_cap)
        path = f"{BASE}/accounts/{quoted(account_id)}/keys"
        return cast(KeyInfo, self._client._request("POST", path, json_body=fields))

    def revoke_key(self, key_id: str) -> KeyInfo:
        return cast(KeyInfo, self._client._request("DELETE", f"{BASE}/keys/{quoted(key_id)}"))

    def channels(self) -> dict[str, Any]:
        """Provider channels with their circuit state (never their credentials)."""
        data: dict[str, Any] = self._client._request("GET", f"{BASE}/channels")
        return data


class AsyncAdmin(AsyncResource):
    async def create_account(
        self, email: str, *, name: str = "", is_admin: bool = False, create_key: bool = True
    ) -> dict[str, Any]:
        fields = {"email": email, "name": name, "is_admin": is_admin, "create_key": create_key}
        data: dict[str, Any] = await self._client._request(
            "POST", f"{BASE}/accounts", json_body=fields
        )
        return data

    async def list_accounts(
        self, *, search: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page[dict[str, Any]]:
        params = {"search": search, "cursor": cursor, "limit": limit}
        data = await self._client._request("GET", f"{BASE}/accounts", params=params)
        return cast(Page[dict[str, Any]], data)

    async def get_account(self, account_id: str) -> dict[str, Any]:
        data: dict[str, Any] = await self._client._request(
            "GET", f"{BASE}/accounts/{quoted(account_id)}"
        )
        return data

    async def set_disabled(self, account_id: str, disabled: bool) -> dict[str, Any]:
        data: dict[str, Any] = await self._client._request(
            "PATCH", f"{BASE}/accounts/{quoted(account_id)}", json_body={"disabled": disabled}
        )
        return data

    async def adjust_credits(
        self, account_id: str, amount: int, *, reason: str, mode: str = "live"
    ) -> dict[str, Any]:
        fields = {"amount": amount, "reason": reason, "mode": mode}
        data: dict[str, Any] = await self._client._request(
            "POST", f"{BASE}/accounts/{quoted(account_id)}/credits", json_body=fields
        )
        return data

    async def list_keys(self, account_id: str) -> list[KeyInfo]:
        data = await self._client._request("GET", f"{BASE}/accounts/{quoted(account_id)}/keys")
        return cast(list[KeyInfo], data["items"])

    async def create_key(
        self,
        account_id: str,
        name: str = "",
        *,
        test: bool = False,
        expires_at: str | None = None,
        allowed_models: Sequence[str] | None = None,
        rate_limit_per_minute: int | None = None,
        spend_cap: int | None = None,
    ) -> KeyInfo:
        fields = key_body(name, test, expires_at, allowed_models, rate_limit_per_minute, spend_cap)
        path = f"{BASE}/accounts/{quoted(account_id)}/keys"
        return cast(KeyInfo, await self._client._request("POST", path, json_body=fields))

    async def revoke_key(self, key_id: str) -> KeyInfo:
        path = f"{BASE}/keys/{quoted(key_id)}"
        return cast(KeyInfo, await self._client._request("DELETE", path))

    async def channels(self) -> dict[str, Any]:
        data: dict[str, Any] = await self._client._request("GET", f"{BASE}/channels")
        return data
