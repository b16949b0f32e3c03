"""OpenAI-compatible chat completions, on both ``/api/v1`` and ``/v1``.

``stream`` absent means a single JSON answer (what the OpenAI SDK expects), although the
product's first docs said streaming was the default.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.fastlane import fast_lane
from apiinone.api.shapes.openai import openai_body, openai_content
from apiinone.chat.service import run_chat

router = APIRouter(tags=["chat"])

CHAT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: openai_content(
        "CreateChatCompletionResponse",
        "A chat.completion object, or with `stream: true` Server-Sent Events of "
        "chat.completion.chunk objects ending with `data: [DONE]`",
        stream=True,
    )
}
CHAT_BODY = openai_body("CreateChatCompletionRequest")


@fast_lane
@router.post(
    "/api/v1/chat/completions",
    summary="Chat completion (OpenAI-compatible)",
    responses=CHAT_RESPONSES,
    openapi_extra=CHAT_BODY,
)
async def chat_native(body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep) -> Response:
    return await run_chat(gateway, principal, body, coalesce=True)


@fast_lane
@router.post(
    "/v1/chat/completions",
    summary="Chat completion (OpenAI-compatible)",
    responses=CHAT_RESPONSES,
    openapi_extra=CHAT_BODY,
)
async def chat_openai(body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep) -> Response:
    return await run_chat(gateway, principal, body, coalesce=True)
