"""OpenAI's Responses API on both ``/api/v1`` and ``/v1``: create, retrieve, delete, and a
response's input items (docs/api/responses.md)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from starlette.responses import Response

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.shapes.envelope import answers
from apiinone.api.shapes.openai import ResponseDeleted, openai_body, openai_content
from apiinone.responses.saved import delete_response, load_response
from apiinone.responses.service import run_responses

router = APIRouter(tags=["responses"])

CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: openai_content(
        "Response",
        "A response object, or with `stream: true` Server-Sent Events of the typed Responses "
        "stream events",
        stream=True,
    )
}


for prefix in ("/v1", "/api/v1"):

    @router.post(
        f"{prefix}/responses",
        summary="Create a response (OpenAI Responses API)",
        responses=CREATE_RESPONSES,
        openapi_extra=openai_body("CreateResponse"),
    )
    async def create(body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep) -> Response:
        return await run_responses(gateway, principal, body)

    @router.get(
        f"{prefix}/responses/{{response_id}}",
        summary="Retrieve a stored response",
        response_model=None,
        responses={200: openai_content("Response", "The stored response object")},
    )
    async def retrieve(
        response_id: str, principal: CurrentPrincipal, gateway: GatewayDep
    ) -> dict[str, Any]:
        return (await load_response(gateway, principal.account_id, response_id)).body

    @router.delete(
        f"{prefix}/responses/{{response_id}}",
        summary="Delete a stored response",
        response_model=None,
        responses=answers(ResponseDeleted),
    )
    async def remove(
        response_id: str, principal: CurrentPrincipal, gateway: GatewayDep
    ) -> dict[str, Any]:
        await delete_response(gateway, principal.account_id, response_id)
        return {"id": response_id, "object": "response.deleted", "deleted": True}

    @router.get(
        f"{prefix}/responses/{{response_id}}/input_items",
        summary="The input items of a stored response",
        response_model=None,
        responses={200: openai_content("ResponseItemList", "The response's input items")},
    )
    async def input_items(
        response_id: str,
        principal: CurrentPrincipal,
        gateway: GatewayDep,
        order: Literal["asc", "desc"] = "desc",
    ) -> dict[str, Any]:
        stored = await load_response(gateway, principal.account_id, response_id)
        data = [
            {"id": item.get("id") or f"{kind}_{response_id[5:]}_{index}", **item}
            for index, item in enumerate(stored.input_items)
            for kind in ["msg" if item.get("type", "message") == "message" else "item"]
        ]
        for item in data:
            item.setdefault("type", "message")
            if item["type"] == "message":
                item.setdefault("status", "completed")
                if isinstance(item.get("content"), str):
                    item["content"] = [{"type": "input_text", "text": item["content"]}]
        if order == "desc":
            data.reverse()
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": False,
        }
