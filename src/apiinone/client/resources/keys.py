"""``/api/v1/keys``: the caller's API keys (needs an unrestricted live key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from apiinone.client.resources._common import AsyncResource, SyncResource, body, quoted
from apiinone.client.types import KeyInfo

__all__ = ["AsyncKeys", "Keys"]

BASE = "/api/v1/keys"


def key_body(
    name: str,
    test: bool,
    expires_at: str | None,
    allowed_models: Sequence[str] | None,
    rate_limit_per_minute: int | None,
    spend_cap: int | None,
) -> dict[str, Any]:
    return body(
        name=name,
        test=test,
        expires_at=expires_at,
        allowed_models=list(allowed_models) if allowed_models is not None else None,
        rate_limit_per_minute=rate_limit_per_minute,
        spend_cap=spend_cap,
    )


class Keys(SyncResource):
    def list(self) -> list[KeyInfo]:
        return cast(list[KeyInfo], self._client._request("GET", BASE)["items"])

    def create(
        self,
        name: str = "",
        *,
        test: bool = False,
        expires_at: str | None = None,
        allowed_models: Sequence[str] | None = None,
        rate_limit_per_minute: int | None = None,
        spend_cap: int | None = None,
    ) -> KeyInfo:
        """A new key; the answer's ``key`` is the full key, shown this once."""
        fields = key_body(name, test, expires_at, allowed_models, rate_limit_per_minute, spend_cap)
        return cast(KeyInfo, self._client._request("POST", BASE, json_body=fields))

    def update(self, key_id: str, **fields: Any) -> KeyInfo:
        """Change ``name``, ``expires_at``, ``allowed_models``, ``rate_limit_per_minute`` or
        ``spend_cap``; ``None`` clears a limit."""
        path = f"{BASE}/{quoted(key_id)}"
        return cast(KeyInfo, self._client._request("PATCH", path, json_body=fields))

    def rotate(self, key_id: str) -> KeyInfo:
        """A new key replacing ``key_id`` (``replaces`` describes the old one)."""
        return cast(KeyInfo, self._client._request("POST", f"{BASE}/{quoted(key_id)}/rotate"))

    def revoke(self, key_id: str) -> KeyInfo:
        return cast(KeyInfo, self._client._request("DELETE", f"{BASE}/{quoted(key_id)}"))


class AsyncKeys(AsyncResource):
    async def list(self) -> list[KeyInfo]:
        return cast(list[KeyInfo], (await self._client._request("GET", BASE))["items"])

    async def create(
        self,
        name: str = "",
        *,
        test: bool = False,
        expires_at: str | None = None,
        allowed_models: Sequence[str] | None = None,
        rate_limit_per_minute: int | None = None,
        spend_cap: int | None = None,
    ) -> KeyInfo:
        fields = key_body(name, test, expires_at, allowed_models, rate_limit_per_minute, spend_cap)
        return cast(KeyInfo, await self._client._request("POST", BASE, json_body=fields))

    async def update(self, key_id: str, **fields: Any) -> KeyInfo:
        path = f"{BASE}/{quoted(key_id)}"
        return cast(KeyInfo, await self._client._request("PATCH", path, json_body=fields))

    async def rotate(self, key_id: str) -> KeyInfo:
        path = f"{BASE}/{quoted(key_id)}/rotate"
        return cast(KeyInfo, await self._client._request("POST", path))

    async def revoke(self, key_id: str) -> KeyInfo:
        path = f"{BASE}/{quoted(key_id)}"
        return cast(KeyInfo, await self._client._request("DELETE", path))
