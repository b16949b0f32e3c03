"""The shapes of the gateway's answers, as ``TypedDict``s (plain dicts at run time)."""

from __future__ import annotations

from typing import Any, Generic, Literal, NotRequired, TypedDict, TypeVar

__all__ = [
    "Account",
    "ChatCompletion",
    "ChatCompletionChunk",
    "CreatedTask",
    "KeyInfo",
    "LedgerRow",
    "Model",
    "ModelSummary",
    "Page",
    "Quote",
    "TaskObject",
    "TaskStatus",
    "Upload",
    "Wallet",
    "WebhookDelivery",
]

T = TypeVar("T")
TaskStatus = Literal["IN_PROGRESS", "SUCCESS", "FAILED", "CANCELED"]
ChatCompletion = dict[str, Any]
ChatCompletionChunk = dict[str, Any]


class Page(TypedDict, Generic[T]):
    items: list[T]
    next_cursor: str | None
    has_more: bool


class CreatedTask(TypedDict):
    """The 202 answer of every generation and tool endpoint."""

    task_id: str
    status: TaskStatus
    phase: str
    model: str
    created_at: str
    estimated_credits: int
    warnings: list[str]


class TaskObject(TypedDict):
    task_id: str
    model: str
    status: TaskStatus
    phase: str
    progress: int
    consumed_credits: int
    estimated_credits: int
    error_code: str | None
    error_message: str | None
    created_at: str
    updated_at: str
    completed_at: str | None
    request: dict[str, Any]
    response: list[str]
    warnings: list[str]
    result: NotRequired[dict[str, Any]]


class Wallet(TypedDict):
    balance: int
    held: int


class KeyInfo(TypedDict, total=False):
    id: str
    name: str
    mode: str
    display: str
    prefix: str
    last4: str
    status: str
    allowed_models: list[str] | None
    rate_limit_per_minute: int | None
    spend_cap: int | None
    created_at: int
    expires_at: int | str | None
    revoked_at: int | None
    rotated_to: str | None
    spent: int
    key: str
    replaces: dict[str, Any]


class Account(TypedDict):
    account_id: str
    email: str
    name: str
    is_admin: bool
    mode: str
    balance: int
    held: int
    live: Wallet
    test: Wallet
    key: KeyInfo
    webhook_secret: str | None  # None for restricted and test keys
    created_at: str


class LedgerRow(TypedDict):
    id: str
    kind: str
    amount: int
    held_delta: int
    balance_after: int
    mode: str
    model: str | None
    task_id: str | None
    hold_id: str | None
    key_id: str | None
    reason: str | None
    created_at: str


class ModelSummary(TypedDict):
    slug: str
    object: str
    display_name: str
    kind: str
    endpoint: str
    provider: str
    aliases: list[str]
    capabilities: list[str]
    price_summary: str


class Model(ModelSummary):
    description: str
    model_field_required: bool
    timeout_seconds: float
    variants: Any
    price: dict[str, Any]
    parameters: dict[str, Any]


class Quote(TypedDict):
    path: str
    model: str
    variant: str | None
    credits: int
    pricing: str
    params: NotRequired[dict[str, Any]]
    note: NotRequired[str]


class Upload(TypedDict):
    id: str
    url: str
    name: str
    content_type: str
    size: int
    created_at: str
    expires_at: str


class WebhookDelivery(TypedDict):
    id: str
    event_type: str
    url: str
    status: str
    attempts: int
    next_attempt_at: str | None
    created_at: str
    completed_at: str | None
    last_status_code: int | None
    attempt_log: list[dict[str, Any]]
