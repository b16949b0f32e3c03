"""How long the synchronous /v1 routes (images, speech) wait for their tasks, when a client
should come back for a task still running, and the model of an image request that names none."""

from __future__ import annotations

from apiinone.settings import Settings

__all__ = ["POLL_AFTER_MS", "RETRY_AFTER_SECONDS", "default_image_model", "wait_seconds"]

POLL_AFTER_MS = 1000
# The 503 of a wait that ran out: a retry attaches to the running task, so it may come soon.
RETRY_AFTER_SECONDS = 1


def wait_seconds(settings: Settings) -> float:
    return settings.openai_wait_seconds


def default_image_model(settings: Settings) -> str | None:
    """``openai_default_image_model``, or ``None`` when the operator left it empty."""
    return settings.openai_default_image_model.strip() or None
