"""Helpers of the resource classes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiinone.client.async_client import AsyncClient
    from apiinone.client.client import Client

__all__ = ["AsyncResource", "SyncResource", "body", "quoted"]


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body without the fields left as ``None``."""
    return {k: v for k, v in fields.items() if v is not None}


def quoted(segment: str) -> str:
    """A path segment (a task id, a key id...) that cannot change the route."""
    from urllib.parse import quote

    return quote(segment, safe="")


class SyncResource:
    def __init__(self, client: Client) -> None:
        self._client = client


class AsyncResource:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client
