"""How long the synchronous /v1 routes (images, speech) wait for their tasks, and when a
client should come back for a task still running."""

from __future__ import annotations

from apiinone.settings import Settings

__all__ = ["POLL_AFTER_MS", "RETRY_AFTER_SECONDS", "wait_seconds"]

POLL_AFTER_MS = 1000
# The 503 of a wait that ran out: a retry attaches to the running task, so it may come soon.
RETRY_AFTER_SECONDS = 1


def wait_seconds(settings: Settings) -> float:
    return settings.openai_wait_seconds
