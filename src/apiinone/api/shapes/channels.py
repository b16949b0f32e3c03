"""``/api/v1/admin/channels``: channels as bodies and answers (a ``[[channels]]`` table of
the providers file, key for key, with ``credential`` for ``credential_env``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from apiinone.api.shapes.admin import Channel

__all__ = [
    "ChannelBody",
    "ChannelDeleted",
    "ChannelListing",
    "ChannelPatch",
    "ChannelTestBody",
    "ChannelTestResult",
    "StoredChannel",
]


class ChannelBody(BaseModel):
    """A new channel: the keys of a providers file's ``[[channels]]`` table."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=80)
    adapter: str = Field(description="openai, gemini, replicate, fal, wavespeed, minimax, …")
    base_url: str
    credential: str = Field(description="write-only: never returned, only its last 4 characters")
    models: dict[str, str | dict[str, Any]] = Field(
        description="catalog slug -> upstream id, or -> a table of variants and modes"
    )
    options: dict[str, Any] | None = None
    priority: int = 0
    weight: int = 1
    max_concurrency: int = 0
    enabled: bool = True


class ChannelPatch(BaseModel):
    """Any keys of a channel; a missing ``credential`` keeps the stored one."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    adapter: str | None = None
    base_url: str | None = None
    credential: str | None = None
    models: dict[str, str | dict[str, Any]] | None = None
    options: dict[str, Any] | None = None
    priority: int | None = None
    weight: int | None = None
    max_concurrency: int | None = None
    enabled: bool | None = None


class StoredChannel(BaseModel):
    """A channel as the admin sees it (never its credential)."""

    model_config = ConfigDict(extra="allow")

    id: str
    source: Literal["file", "database"]
    read_only: bool
    name: str
    adapter: str
    base_url: str
    models: dict[str, Any]
    options: dict[str, Any]
    priority: int
    weight: int
    enabled: bool


class ChannelListing(BaseModel):
    items: list[Channel] = Field(description="every routable unit with its circuit")
    sandbox_mode: bool
    channels: list[StoredChannel]


class ChannelDeleted(BaseModel):
    id: str
    name: str
    deleted: bool


class ChannelTestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(max_length=120)
    variant: str | None = Field(default=None, max_length=120)
    mode: str | None = Field(default=None, max_length=120)


class ChannelTestResult(BaseModel):
    ok: bool
    status: int | None = Field(description="the upstream's HTTP status")
    latency_ms: int | None
    detail: str = Field(description="the upstream's own text, or what went wrong")
    model: str
    upstream_model: str
    channel: str
