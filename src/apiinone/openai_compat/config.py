"""How long the synchronous /v1 routes (images, speech) wait for their tasks."""

from __future__ import annotations

from apiinone.settings import Settings

__all__ = ["POLL_AFTER_MS", "wait_seconds"]

POLL_AFTER_MS = 1000


def wait_seconds(settings: Settings) -> float:
    return settings.openai_wait_seconds
