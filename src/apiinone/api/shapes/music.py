"""Suno's polling routes, in the shapes its pages show."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from apiinone.api.shapes.tasks import PublicStatus

__all__ = ["Clip", "CoverStatus", "MusicFeed", "UploadCoverStatus"]


class Clip(BaseModel):
    id: str
    audio_url: str | None
    image_url: str | None
    status: str
    title: str | None
    duration: float | None
    model_name: str | None
    tags: str | None
    extra_message: str | None
    fail_message: str | None
    error_message: str | None


class MusicFeed(BaseModel):
    task_id: str
    type: str = Field(description="PENDING, SUCCESS or FAILED")
    status: PublicStatus
    request_body: dict[str, Any]
    response_data: list[Clip]
    error_message: str | None
    created_at: str | None


class CoverStatus(BaseModel):
    taskId: str
    status: PublicStatus
    images: list[str]
    error_message: str | None
    created_at: str | None


class UploadCoverStatus(BaseModel):
    task_id: str
    status: PublicStatus
    response_data: list[Clip]
    error_message: str | None
    created_at: str | None
