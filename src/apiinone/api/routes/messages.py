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
from apiinone.api.shapes.anthropic import CountTokensRequest, Message, MessageCreate, TokenCount
from apiinone.api.shapes.bodies import read_as
from apiinone.api.shapes.envelope import answers
from apiinone.messages.service import count_tokens, run_messages

router = APIRouter(prefix="/v1/messages", tags=["messages"])

ANTHROPIC_ERROR: dict[str, Any] = {"$ref": "#/components/schemas/AnthropicError"}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": "An error in Anthropic's shape",
        "content": {"application/json": {"schema": ANTHROPIC_ERROR}},
    }
    for status in (400, 401, 402, 403, 404, 408, 409, 413, 429, 500, 502, 503)
}
MESSAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": Message,
        "description": "A message object, or with `stream: true` Anthropic's Server-Sent Events "
        "(message_start ... message_stop)",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    **ERRORS,
}
COUNT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **answers(TokenCount, 200, "The input tokens"),
    **ERRORS,
}


@router.post(
    "",
    summary="Create a message (Anthropic-compatible)",
    responses=MESSAGE_RESPONSES,
    openapi_extra=read_as(MessageCreate),
)
async def create_message(
    body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep
) -> Response:
    return await run_messages(gateway, principal, body)


@router.post(
    "/count_tokens",
    summary="Count a message's input tokens (Anthropic-compatible)",
    responses=COUNT_RESPONSES,
    openapi_extra=read_as(CountTokensRequest),
)
async def count_message_tokens(
    body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    return FastJSON(await count_tokens(gateway, principal, body))
