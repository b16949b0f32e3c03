"""The dashboard's JSON endpoints (``/dashboard/api``): the playground and the cost
calculator call the same services as the public API, as the signed-in account.

Authentication is the session cookie; every POST needs the ``X-CSRF-Token`` header.
Errors have the API's error JSON.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep, JSONBody
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.upload_intake import receive_upload
from apiinone.catalog import public_model
from apiinone.chat.service import run_chat
from apiinone.dashboard.deps import ApiUser, CsrfHeader, User
from apiinone.dashboard.examples import MAX_NESTING, example_body, nesting, snippets
from apiinone.errors import InvalidRequest, NotFound, RateLimited
from apiinone.gateway import Gateway
from apiinone.quotes import quote
from apiinone.tasks.control import cancel_task, load_task
from apiinone.tasks.submit import create_task
from apiinone.tasks.task_object import created_envelope_data, task_object

router = APIRouter(prefix="/dashboard/api", include_in_schema=False)

CHAT = "/api/v1/chat/completions"
TaskId = Annotated[str, Path(max_length=64)]


async def _limited(user: CsrfHeader, gateway: GatewayDep) -> User:
    """The account's POSTs count against the gateway's default per-key rate; a session
    opened with a key counts against that key's own rate, with the key's own requests."""
    key = user.key
    per_minute = (key and key.rate_limit_per_minute) or gateway.settings.rate_limit_per_minute
    bucket = key.key_id if key is not None else f"dashboard:{user.account.id}"
    decision = await gateway.limiter.hit(bucket, per_minute)
    if not decision.allowed:
        raise RateLimited(
            f"Rate limit exceeded: {per_minute} requests per minute", headers=decision.headers()
        )
    return user


Writer = Annotated[User, Depends(_limited)]


def mode_of(body: dict[str, Any]) -> str:
    mode = body.get("mode", "live")
    if mode not in ("live", "test"):
        raise InvalidRequest("'mode' must be live or test", param="mode")
    return str(mode)


@router.get("/models/{slug:path}")
async def model(slug: str, user: ApiUser, gateway: GatewayDep) -> FastJSON:
    resolved = gateway.catalog.get(slug[:200])
    if resolved is None:
        raise NotFound(f"No model '{slug[:200]}'", param="slug")
    spec = resolved.model
    return envelope({"model": public_model(spec), "example": example_body(spec)})


@router.post("/snippets")
async def code(body: JSONBody, request: Request, user: Writer, gateway: GatewayDep) -> FastJSON:
    """``{"model", "body"}``: the request as curl and Python, on each surface the model
    speaks (a chat model: Chat Completions, Responses, Anthropic Messages)."""
    slug, payload = body.get("model"), body.get("body")
    if not isinstance(slug, str):
        raise InvalidRequest("'model' must be a model's slug", param="model")
    resolved = gateway.catalog.get(slug[:200])
    if resolved is None:
        raise NotFound(f"No model '{slug[:200]}'", param="model")
    if not isinstance(payload, dict):
        raise InvalidRequest("'body' must be a JSON object", param="body")
    if nesting(payload) > MAX_NESTING:
        raise InvalidRequest(f"'body' nests deeper than {MAX_NESTING} levels", param="body")
    made = snippets(str(request.base_url), resolved.model, payload)
    return envelope({"snippets": [asdict(snippet) for snippet in made]})


@router.post("/quotes")
async def quotes(body: JSONBody, user: Writer, gateway: GatewayDep) -> FastJSON:
    mode = mode_of(body)
    request = {k: v for k, v in body.items() if k != "mode"}
    return envelope(await quote(gateway, user.principal(mode), request))


@router.post("/run")
async def run(body: JSONBody, user: Writer, gateway: GatewayDep) -> Response:
    """``{"path", "body", "mode"}``: start a task (202) or run a chat (200, no stream)."""
    path, request, mode = body.get("path"), body.get("body"), mode_of(body)
    if not isinstance(path, str) or path not in _endpoints(gateway):
        raise InvalidRequest("'path' must be one of the catalog's endpoints", param="path")
    if not isinstance(request, dict):
        raise InvalidRequest("'body' must be a JSON object", param="body")
    principal = user.principal(mode)
    if path == CHAT:
        return await run_chat(gateway, principal, {**request, "stream": False})
    row = await create_task(gateway, principal, path, request)
    return envelope(created_envelope_data(row), status_code=202)


def _endpoints(gateway: Gateway) -> set[str]:
    return set(gateway.catalog.endpoints())


@router.get("/tasks/{task_id}")
async def task(task_id: TaskId, request: Request, user: ApiUser, gateway: GatewayDep) -> FastJSON:
    row = await load_task(gateway, user.account.id, task_id)
    return envelope(task_object(row, str(request.base_url)))


@router.post("/tasks/{task_id}/cancel")
async def cancel(task_id: TaskId, request: Request, user: Writer, gateway: GatewayDep) -> FastJSON:
    row = await cancel_task(gateway, user.account.id, task_id)
    return envelope(task_object(row, str(request.base_url)))


@router.post("/uploads", status_code=201)
async def upload(request: Request, user: Writer, gateway: GatewayDep) -> FastJSON:
    """A file for an input URL parameter (the API's upload, as this account)."""
    return await receive_upload(request, user.principal(), gateway)
