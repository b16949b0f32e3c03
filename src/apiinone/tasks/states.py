"""Task states. Internally ``queued → processing → completed | failed | canceled``;
clients also see the native ``status`` and the normalized ``phase``."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIVE", "PUBLIC_TO_INTERNAL", "TERMINAL", "Status", "phase_of", "public_status"]


class Status(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


ACTIVE = (Status.QUEUED.value, Status.PROCESSING.value)
TERMINAL = (Status.COMPLETED.value, Status.FAILED.value, Status.CANCELED.value)

_PUBLIC = {
    Status.QUEUED: "IN_PROGRESS",
    Status.PROCESSING: "IN_PROGRESS",
    Status.COMPLETED: "SUCCESS",
    Status.FAILED: "FAILED",
    Status.CANCELED: "CANCELED",
}

# A ``status`` filter as clients write it (public or internal) → the internal states it means.
PUBLIC_TO_INTERNAL = {
    "IN_PROGRESS": ("queued", "processing"),
    "SUCCESS": ("completed",),
    "FAILED": ("failed",),
    "CANCELED": ("canceled",),
    "queued": ("queued",),
    "processing": ("processing",),
    "completed": ("completed",),
    "failed": ("failed",),
    "canceled": ("canceled",),
}

EVENT_TYPES = {
    Status.COMPLETED: "task.succeeded",
    Status.FAILED: "task.failed",
    Status.CANCELED: "task.canceled",
}


def public_status(status: str) -> str:
    return _PUBLIC[Status(status)]


def phase_of(status: str) -> str:
    return Status(status).value
