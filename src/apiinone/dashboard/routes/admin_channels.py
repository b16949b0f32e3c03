"""The admin console's channels: each one's circuit and counts, and a reachability probe
of its upstream (admin accounts only)."""

from __future__ import annotations

import time
import tomllib
from typing import Annotated, Any

import aiohttp
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.dashboard.deps import AdminUser, CsrfAdmin, PageError
from apiinone.dashboard.web import page
from apiinone.gateway import Gateway

router = APIRouter(prefix="/admin", include_in_schema=False)


def _base_urls(gateway: Gateway) -> dict[str, str]:
    """Channel prefix → base_url, from the operator's providers file (no credentials)."""
    path = gateway.settings.providers_file
    if path is None:
        return {}
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {
        str(entry.get("name")): str(entry.get("base_url", ""))
        for entry in document.get("channels", [])
        if isinstance(entry, dict)
    }


async def probe(gateway: Gateway, name: str) -> dict[str, Any]:
    """Can this gateway reach the channel's upstream? One GET of its base URL (no
    credential is sent, nothing is run or billed); the circuit is left as it is."""
    channel = gateway.providers.channel(name)
    if channel is None:
        raise PageError(404, "No such channel", f"There is no channel {name[:120]}.")
    base = _base_urls(gateway).get(name.split("/", 1)[0], "")
    if not base.startswith(("http://", "https://")):
        return {"name": name, "ok": False, "detail": "The channel has no http(s) base_url."}
    started = time.monotonic()
    try:
        async with gateway.session.get(
            base, timeout=aiohttp.ClientTimeout(total=5), allow_redirects=False
        ) as response:
            status = response.status
    except (TimeoutError, aiohttp.ClientError) as exc:
        return {"name": name, "ok": False, "detail": f"Unreachable: {type(exc).__name__}"}
    took = int((time.monotonic() - started) * 1000)
    return {
        "name": name,
        "ok": status < 500,
        "detail": f"{base} answered HTTP {status} in {took} ms",
    }


@router.get("/channels")
async def channels_page(request: Request, user: AdminUser, gateway: GatewayDep) -> Response:
    return page(
        request, "admin/channels.html", user=user, channels=gateway.providers.channel_health()
    )


@router.post("/channels/test")
async def test_channel(
    request: Request,
    user: CsrfAdmin,
    gateway: GatewayDep,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    result = await probe(gateway, name)
    return page(
        request,
        "admin/channels.html",
        user=user,
        channels=gateway.providers.channel_health(),
        result=result,
    )
