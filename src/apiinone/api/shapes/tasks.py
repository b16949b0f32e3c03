"""Tasks: what a submission answers, the task object, and its webhook deliveries."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "Redelivery",
    "Task",
    "TaskCreated",
    "TimestampedLyrics",
]

PublicStatus = Literal["IN_PROGRESS", "SUCCESS", "FAILED", "CANCELED"]
Phase = Literal["queued", "processing", "completed", "failed", "canceled"]


class TaskCreated(BaseModel):
    task_id: str
    status: PublicStatus
    phase: Phase
    model: str
    created_at: str | None
    estimated_credits: int = Field(description="The credits held; charged only on success")
    warnings: list[str] = Field(description="The request's fields the model ignored")


class Task(BaseModel):
    task_id: str
    model: str
    status: PublicStatus
    phase: Phase
    progress: int | None = Field(description="0-100, or null when unknown")
    consumed_credits: int
    estimated_credits: int
    error_code: str | None
    error_message: str | None
    created_at: str | None
    updated_at: str | None
    completed_at: str | None
    request: dict[str, Any] = Field(description="The request as submitted")
    response: list[str] = Field(description="The result files' URLs, served by the gateway")
    warnings: list[str]
    result: dict[str, Any] | None = Field(
        default=None, description="Structured results (clips, lyrics, ...), when the model has"
    )


class TimestampedLyrics(BaseModel):
    """The lyrics task's result beside its id (the result's own fields follow)."""

    model_config = ConfigDict(extra="allow")

    task_id: str


class DeliveryAttempt(BaseModel):
    attempt: int
    at: str | None
    duration_ms: int
    status_code: int | None
    error: str | None
    success: bool


class Delivery(BaseModel):
    id: str
    event_type: str
    url: str
    status: str
    attempts: int
    next_attempt_at: str | None
    created_at: str | None
    completed_at: str | None
    last_status_code: int | None
    attempt_log: list[DeliveryAttempt]


class Redelivery(BaseModel):
    id: str
    status: str
