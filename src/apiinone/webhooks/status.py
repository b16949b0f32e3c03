"""The states of a webhook delivery and the event types it can carry."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DUE", "EVENT_TYPES", "DeliveryStatus"]


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not attempted yet
    RETRYING = "retrying"  # attempted, another attempt is scheduled
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # the retry schedule ran out
    DISABLED = "disabled"  # the receiver answered 410 Gone


DUE = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)

EVENT_TYPES = frozenset({"task.succeeded", "task.failed", "task.canceled"})
