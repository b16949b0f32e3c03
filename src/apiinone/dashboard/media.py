"""How a result URL is previewed: an image, a video, audio, or a plain link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from apiinone.api.params import ascii_int

__all__ = ["media_items", "split_cursor"]

_KINDS = {
    "image": (".png", ".jpg", ".jpeg", ".webp", ".gif"),
    "video": (".mp4", ".webm", ".mov"),
    "audio": (".mp3", ".wav", ".ogg", ".m4a", ".aac", ".flac"),
}


def _kind(url: str) -> str:
    path = urlsplit(url).path.lower()
    for kind, endings in _KINDS.items():
        if path.endswith(endings):
            return kind
    return "file"


def media_items(task: dict[str, Any]) -> list[dict[str, str]]:
    """The task's result URLs, each with how to show it."""
    items = []
    for url in task.get("response") or []:
        if isinstance(url, str):
            items.append({"url": url, "kind": _kind(url), "name": url.rsplit("/", 1)[-1]})
    return items


def split_cursor(value: str | None) -> tuple[int, str] | None:
    """``<created_at>:<task id>`` (the last row of a page) → a ``list_tasks`` cursor."""
    if not value:
        return None
    created, _, task_id = value.partition(":")
    at = ascii_int(created)
    if at is None or not task_id or len(task_id) > 40:
        return None
    return at, task_id
