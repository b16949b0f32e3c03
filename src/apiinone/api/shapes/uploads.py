"""Uploads (``/api/v1/uploads``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["Upload"]


class Upload(BaseModel):
    id: str = Field(description="Also the audio_id that Suno's upload-cover takes")
    url: str = Field(description="An input URL for any image, video or audio parameter")
    name: str
    content_type: str
    size: int
    created_at: str | None
    expires_at: str | None
