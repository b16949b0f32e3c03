"""``/api/v1/models``: the catalog, with parameters as JSON Schema and prices."""

from __future__ import annotations

from typing import cast

from apiinone.client.resources._common import AsyncResource, SyncResource, quoted
from apiinone.client.types import Model, ModelSummary

__all__ = ["AsyncModels", "Models"]

BASE = "/api/v1/models"


def _of_kind(items: list[ModelSummary], kind: str | None) -> list[ModelSummary]:
    return [m for m in items if kind is None or m["kind"] == kind]


class Models(SyncResource):
    def list(self, *, kind: str | None = None) -> list[ModelSummary]:
        """Every model the key may use; ``kind`` is chat, image, video, music, speech or tool."""
        items = cast(list[ModelSummary], self._client._request("GET", BASE)["items"])
        return _of_kind(items, kind)

    def get(self, model: str) -> Model:
        """One model by slug, alias or variant name."""
        return cast(Model, self._client._request("GET", f"{BASE}/{quoted(model)}"))


class AsyncModels(AsyncResource):
    async def list(self, *, kind: str | None = None) -> list[ModelSummary]:
        items = cast(list[ModelSummary], (await self._client._request("GET", BASE))["items"])
        return _of_kind(items, kind)

    async def get(self, model: str) -> Model:
        return cast(Model, await self._client._request("GET", f"{BASE}/{quoted(model)}"))
