"""``POST /api/v1/quotes``: what a request would cost, with nothing run or charged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from apiinone.client.resources._common import AsyncResource, SyncResource
from apiinone.client.types import Quote

__all__ = ["AsyncQuotes", "Quotes"]

PATH = "/api/v1/quotes"


class Quotes(SyncResource):
    def create(self, path: str, body: Mapping[str, Any]) -> Quote:
        """The exact credits of ``body`` sent to ``path`` (or the error it would get)."""
        fields = {"path": path, "body": dict(body)}
        return cast(Quote, self._client._request("POST", PATH, json_body=fields))


class AsyncQuotes(AsyncResource):
    async def create(self, path: str, body: Mapping[str, Any]) -> Quote:
        fields = {"path": path, "body": dict(body)}
        return cast(Quote, await self._client._request("POST", PATH, json_body=fields))
