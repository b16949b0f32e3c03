"""Where providers call back about a task (fal, Replicate, WaveSpeed, MiniMax, Suno ...).

No API key: the path carries the task's HMAC token. A valid call makes the engine poll the
task at once; an invalid one is a 404 that reveals nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.api.envelope import FastJSON
from apiinone.errors import AuthenticationFailed, NotFound
from apiinone.tasks.control import load_task_any
from apiinone.tasks.hooks import poll_now, valid_token

router = APIRouter(tags=["provider webhooks"], include_in_schema=False)

# adapter -> "module:function(secret, headers, body)" that raises on a bad signature
VERIFIERS: Mapping[str, str] = {
    "replicate": "apiinone.providers.replicate:verify_replicate_webhook",
}


def _verifier(adapter: str) -> Callable[[str, Mapping[str, str], bytes], Any] | None:
    target = VERIFIERS.get(adapter)
    if target is None:
        return None
    module, _, function = target.partition(":")
    verify: Callable[[str, Mapping[str, str], bytes], Any] = getattr(
        importlib.import_module(module), function
    )
    return verify


def _challenge(body: bytes) -> str | None:
    if not body.startswith(b"{") or b"challenge" not in body:
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    value = parsed.get("challenge") if isinstance(parsed, dict) else None
    return value if isinstance(value, str) and len(parsed) == 1 else None


@router.post("/hooks/tasks/{task_id}/{token}", status_code=204)
async def provider_hook(
    task_id: Annotated[str, Path(max_length=64)],
    token: Annotated[str, Path(max_length=64)],
    request: Request,
    gateway: GatewayDep,
) -> Response:
    if not valid_token(gateway.settings, task_id, token):
        raise NotFound("No such hook")
    body = await request.body()
    challenge = _challenge(body)
    if challenge is not None:  # MiniMax checks a callback URL by asking it to echo this
        return FastJSON({"challenge": challenge})
    row = await load_task_any(gateway, task_id)
    channel = gateway.providers.channel(row.channel)
    if channel is not None:
        secret = channel.options.get("webhook_secret")
        verify = _verifier(channel.adapter)
        if isinstance(secret, str) and verify is not None:
            try:
                verify(secret, dict(request.headers), body)
            except Exception as exc:
                raise AuthenticationFailed("The webhook signature does not verify") from exc
    if await poll_now(gateway.db, task_id):
        await gateway.work_queued()
    return Response(status_code=204)
