"""Anthropic's Messages API: ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

Authenticated by ``x-api-key`` or ``Authorization: Bearer``; ``anthropic-version`` is
accepted with any value and ``anthropic-beta`` ignored. Errors leave in Anthropic's shape
(``messages/errors.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.envelope import FastJSON
from apiinone.messages.service import count_tokens, run_messages

router = APIRouter(prefix="/v1/messages", tags=["messages"])

ANTHROPIC_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["type", "error"],
    "properties": {
        "type": {"const": "error"},
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": "An error in Anthropic's shape",
        "content": {"application/json": {"schema": ANTHROPIC_ERROR}},
    }
    for status in (400, 401, 402, 403, 404, 408, 409, 413, 429, 500, 502, 503)
}
MESSAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A message object, or with `stream: true` Anthropic's Server-Sent Events "
        "(message_start ... message_stop)",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/event-stream": {"schema": {"type": "string"}},
        },
    },
    **ERRORS,
}
COUNT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The input tokens",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["input_tokens"],
                    "properties": {"input_tokens": {"type": "integer"}},
                }
            }
        },
    },
    **ERRORS,
}


@router.post("", summary="Create a message (Anthropic-compatible)", responses=MESSAGE_RESPONSES)
async def create_message(
    body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep
) -> Response:
    return await run_messages(gateway, principal, body)


@router.post(
    "/count_tokens",
    summary="Count a message's input tokens (Anthropic-compatible)",
    responses=COUNT_RESPONSES,
)
async def count_message_tokens(
    body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    return FastJSON(await count_tokens(gateway, principal, body))
