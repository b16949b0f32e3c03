"""The admin console's channels: the providers file's (read-only) and the database's (added,
edited and deleted here, live on every replica), each one's circuits and counts, a test of
a bound model through it, and a reachability probe of its upstream (admin accounts only).
A credential is a write-only field: left blank on an edit, the old one is kept."""

from __future__ import annotations

import json
import time
import tomllib
from typing import Annotated, Any

import aiohttp
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.audit import Actor
from apiinone.dashboard.deps import AdminUser, CsrfAdmin, PageError
from apiinone.dashboard.web import page, redirect
from apiinone.errors import APIError
from apiinone.gateway import Gateway
from apiinone.providers.channel_admin import (
    add_channel,
    change_channel,
    channel_listing,
    find_channel,
    remove_channel,
    test_channel,
)
from apiinone.providers.channels import ADAPTERS

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


Text = Annotated[str, Form(max_length=20_000)]


def _table(text: str, field: str) -> dict[str, Any]:
    """A textarea of ``key = value`` lines (the TOML of ``[channels.models]`` or
    ``[channels.options]``) as a table."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _FormError(f"{field}: not TOML lines (key = value): {exc}", field) from None


class _FormError(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _inline(value: Any) -> str:
    """A TOML value on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() else json.dumps(name)


def _toml_lines(table: Any) -> str:
    """A table as the ``key = value`` lines of its TOML (what the form's textareas hold)."""
    if not isinstance(table, dict):
        return ""
    return "".join(f"{_key(k)} = {_inline(v)}\n" for k, v in table.items())


async def _render(
    request: Request,
    user: Any,
    gateway: Gateway,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    listing = await channel_listing(gateway)
    for item in listing:
        item["models_text"] = _toml_lines(item.get("models"))
        item["options_text"] = _toml_lines(item.get("options"))
        item["route_choices"] = _route_choices(item.get("models") or {})
    return page(
        request,
        "admin/channels.html",
        user=user,
        status=status,
        listing=listing,
        channels=gateway.providers.channel_health(),
        adapters=sorted(ADAPTERS),
        **context,
    )


def _route_choices(models: dict[str, Any]) -> list[str]:
    """What the Test button can pick: ``slug`` or ``slug variant/mode`` for each binding key."""
    out: list[str] = []
    for slug, value in models.items():
        out.append(slug)
        if isinstance(value, dict):
            out.extend(f"{slug} {key}" for key in value)
    return out


@router.get("/channels")
async def channels_page(request: Request, user: AdminUser, gateway: GatewayDep) -> Response:
    return await _render(request, user, gateway)


def _body(
    name: str,
    adapter: str,
    base_url: str,
    credential: str,
    models: str,
    options: str,
    priority: str,
    weight: str,
    enabled: str,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name.strip(),
        "adapter": adapter.strip(),
        "base_url": base_url.strip(),
        "models": _table(models, "models"),
        "options": _table(options, "options"),
        "enabled": enabled == "on",
    }
    for field, value in (("priority", priority), ("weight", weight)):
        try:
            body[field] = int(value or ("0" if field == "priority" else "1"))
        except ValueError:
            raise _FormError(f"{field} must be a whole number", field) from None
    if credential.strip():
        body["credential"] = credential.strip()
    return body


@router.post("/channels")
async def save_channel(
    request: Request,
    user: CsrfAdmin,
    gateway: GatewayDep,
    channel_id: Annotated[str, Form(alias="id", max_length=120)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    adapter: Annotated[str, Form(max_length=40)] = "",
    base_url: Annotated[str, Form(max_length=2000)] = "",
    credential: Annotated[str, Form(max_length=4000)] = "",
    models: Text = "",
    options: Text = "",
    priority: Annotated[str, Form(max_length=12)] = "",
    weight: Annotated[str, Form(max_length=12)] = "",
    enabled: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Add a channel (no ``id``) or edit one (a blank credential keeps the old one)."""
    actor = Actor("console", user.account.id)
    try:
        body = _body(
            name, adapter, base_url, credential, models, options, priority, weight, enabled
        )
        if channel_id:
            saved = await change_channel(gateway, channel_id, body, actor)
        else:
            saved = await add_channel(gateway, body, actor)
    except (_FormError, APIError) as exc:
        message = exc.message if isinstance(exc, APIError) else str(exc)
        form = {"id": channel_id, "name": name, "adapter": adapter, "base_url": base_url,
                "models_text": models, "options_text": options, "priority": priority,
                "weight": weight, "enabled": enabled == "on"}  # fmt: skip
        status = exc.status if isinstance(exc, APIError) else 400
        return await _render(request, user, gateway, status=status, error=message, form=form)
    verb = "saved" if channel_id else "added"
    return redirect(request, "/admin/channels", flash=("ok", f"Channel {saved['name']} {verb}."))


@router.get("/channels/{channel_id}/edit")
async def edit_page(
    channel_id: str, request: Request, user: AdminUser, gateway: GatewayDep
) -> Response:
    try:
        found = await find_channel(gateway, channel_id[:120])
    except APIError as exc:
        raise PageError(exc.status, "No such channel", exc.message) from None
    form = {**found, "models_text": _toml_lines(found.get("models")),
            "options_text": _toml_lines(found.get("options"))}  # fmt: skip
    return await _render(request, user, gateway, form=form)


@router.post("/channels/{channel_id}/delete")
async def delete_channel_form(
    channel_id: str, request: Request, user: CsrfAdmin, gateway: GatewayDep
) -> Response:
    try:
        row = await remove_channel(gateway, channel_id[:120], Actor("console", user.account.id))
    except APIError as exc:
        return await _render(request, user, gateway, status=exc.status, error=exc.message)
    return redirect(request, "/admin/channels", flash=("ok", f"Channel {row.name} deleted."))


@router.post("/channels/{channel_id}/test")
async def test_channel_form(
    channel_id: str,
    request: Request,
    user: CsrfAdmin,
    gateway: GatewayDep,
    route: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Test one bound model (``slug`` or ``slug variant/mode``) through the channel."""
    slug, _, key = route.strip().partition(" ")
    variant, _, mode = key.partition("/")
    try:
        tested = await test_channel(gateway, channel_id[:120], slug, variant or None, mode or None)
    except APIError as exc:
        return await _render(request, user, gateway, status=exc.status, error=exc.message)
    return await _render(request, user, gateway, tested={**tested, "id": channel_id})


@router.post("/channels/test")
async def test_reachability(
    request: Request,
    user: CsrfAdmin,
    gateway: GatewayDep,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    result = await probe(gateway, name)
    return await _render(request, user, gateway, result=result)
