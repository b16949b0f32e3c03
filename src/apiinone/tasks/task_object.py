"""The task object of DESIGN.md, as clients and webhooks see it."""

from __future__ import annotations

from typing import Any

import orjson

from apiinone.tasks.states import phase_of, public_status
from apiinone.wire import iso

__all__ = ["created_envelope_data", "ignored_params", "task_object", "warnings_of"]


def warnings_of(row: Any) -> list[str]:
    """The sentences naming what the submission ignored of the request."""
    found: list[str] = orjson.loads(row.warnings) if row.warnings else []
    return found


def ignored_params(row: Any) -> dict[str, str]:
    """The submission's ``X-Ignored-Params`` header: the ignored fields' names (each warning
    starts with its field's name, ``catalog/field_lists.py``); none when nothing was."""
    names = ", ".join(w.split(" ", 1)[0] for w in warnings_of(row))
    return {"X-Ignored-Params": names} if names else {}


def _absolute(base_url: str, paths: list[str]) -> list[str]:
    return [p if p.startswith("http") else base_url.rstrip("/") + p for p in paths]


def task_object(row: Any, base_url: str) -> dict[str, Any]:
    response = orjson.loads(row.response) if row.response else []
    result = orjson.loads(row.result) if row.result else None
    obj: dict[str, Any] = {
        "task_id": row.id,
        "model": row.model,
        "status": public_status(row.status),
        "phase": phase_of(row.status),
        "progress": row.progress,
        "consumed_credits": int(row.consumed_credits),
        "estimated_credits": int(row.price),
        "error_code": row.error_code,
        "error_message": row.error_message,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "completed_at": iso(row.completed_at),
        "request": orjson.loads(row.request),
        "response": _absolute(base_url, response),
        "warnings": warnings_of(row),
    }
    if result is not None:
        obj["result"] = _absolute_result(base_url, result)
    return obj


def _absolute_result(base_url: str, result: object) -> object:
    if isinstance(result, dict):
        return {k: _absolute_result(base_url, v) for k, v in result.items()}
    if isinstance(result, list):
        return [_absolute_result(base_url, v) for v in result]
    if isinstance(result, str) and result.startswith("/files/"):
        return base_url.rstrip("/") + result
    return result


def created_envelope_data(row: Any) -> dict[str, Any]:
    return {
        "task_id": row.id,
        "status": public_status(row.status),
        "phase": phase_of(row.status),
        "model": row.model,
        "created_at": iso(row.created_at),
        "estimated_credits": int(row.price),
        "warnings": warnings_of(row),
    }
