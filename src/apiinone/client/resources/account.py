"""The caller's account: balance and key, the ledger (usage), the webhook secret."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

from apiinone.client.resources._common import AsyncResource, SyncResource
from apiinone.client.types import Account as AccountInfo
from apiinone.client.types import LedgerRow, Page

__all__ = ["Account", "AsyncAccount"]


def _usage_params(
    cursor: str | None,
    limit: int,
    kind: str | None,
    model: str | None,
    task_id: str | None,
    mode: str | None,
    since: int | None,
    until: int | None,
) -> dict[str, Any]:
    return {
        "cursor": cursor,
        "limit": limit,
        "kind": kind,
        "model": model,
        "task_id": task_id,
        "mode": mode,
        "since": since,
        "until": until,
    }


class Account(SyncResource):
    def get(self) -> AccountInfo:
        """Balance, held credits, the key in use and the webhook secret."""
        return cast(AccountInfo, self._client._request("GET", "/api/v1/account"))

    def usage(
        self,
        *,
        cursor: str | None = None,
        limit: int = 50,
        kind: str | None = None,
        model: str | None = None,
        task_id: str | None = None,
        mode: str | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> Page[LedgerRow]:
        """Ledger rows, newest first (``since`` / ``until`` in ms since the epoch)."""
        params = _usage_params(cursor, limit, kind, model, task_id, mode, since, until)
        return cast(Page[LedgerRow], self._client._request("GET", "/api/v1/usage", params=params))

    def iter_usage(self, **filters: Any) -> Iterator[LedgerRow]:
        """Every ledger row matching ``filters``, page after page."""
        cursor: str | None = None
        while True:
            page = self.usage(cursor=cursor, **filters)
            yield from page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return

    def webhook_secret(self) -> str:
        """The secret that signs this account's webhooks."""
        return str(self._client._request("GET", "/api/v1/account/webhook-secret")["secret"])

    def rotate_webhook_secret(self) -> str:
        path = "/api/v1/account/webhook-secret/rotate"
        return str(self._client._request("POST", path)["secret"])


class AsyncAccount(AsyncResource):
    async def get(self) -> AccountInfo:
        return cast(AccountInfo, await self._client._request("GET", "/api/v1/account"))

    async def usage(
        self,
        *,
        cursor: str | None = None,
        limit: int = 50,
        kind: str | None = None,
        model: str | None = None,
        task_id: str | None = None,
        mode: str | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> Page[LedgerRow]:
        params = _usage_params(cursor, limit, kind, model, task_id, mode, since, until)
        data = await self._client._request("GET", "/api/v1/usage", params=params)
        return cast(Page[LedgerRow], data)

    async def iter_usage(self, **filters: Any) -> AsyncIterator[LedgerRow]:
        cursor: str | None = None
        while True:
            page = await self.usage(cursor=cursor, **filters)
            for row in page["items"]:
                yield row
            cursor = page["next_cursor"]
            if not cursor:
                return

    async def webhook_secret(self) -> str:
        data = await self._client._request("GET", "/api/v1/account/webhook-secret")
        return str(data["secret"])

    async def rotate_webhook_secret(self) -> str:
        data = await self._client._request("POST", "/api/v1/account/webhook-secret/rotate")
        return str(data["secret"])
