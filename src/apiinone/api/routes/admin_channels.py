"""``/api/v1/admin/channels``: the provider channels, the providers file's (read-only) and
the database's (created, changed and deleted live), and a test of one. Admin keys only;
a credential goes in and never comes out (only its last four characters)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from apiinone.api.deps import AdminPrincipal, GatewayDep, JSONBody
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.shapes.bodies import read_as
from apiinone.api.shapes.channels import (
    ChannelBody,
    ChannelDeleted,
    ChannelListing,
    ChannelPatch,
    ChannelTestBody,
    ChannelTestResult,
    StoredChannel,
)
from apiinone.api.shapes.envelope import enveloped
from apiinone.audit import Actor
from apiinone.errors import InvalidRequest
from apiinone.providers.channel_admin import (
    add_channel,
    change_channel,
    channel_listing,
    find_channel,
    remove_channel,
    test_channel,
)

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

ChannelId = Annotated[str, Path(max_length=120)]


@router.get("/channels", responses=enveloped(ChannelListing))
async def admin_channels(_admin: AdminPrincipal, gateway: GatewayDep) -> FastJSON:
    """Every channel (file and database) with its routable units' circuits, and every
    routable unit (``items``) as before."""
    providers = gateway.providers
    return envelope(
        {
            "items": providers.channel_health(),
            "sandbox_mode": providers.sandbox_mode,
            "channels": await channel_listing(gateway),
        }
    )


@router.get("/channels/{channel_id}", responses=enveloped(StoredChannel))
async def admin_channel(
    channel_id: ChannelId, _admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    return envelope(await find_channel(gateway, channel_id))


@router.post(
    "/channels",
    status_code=201,
    responses=enveloped(StoredChannel, 201),
    openapi_extra=read_as(ChannelBody),
)
async def admin_create_channel(
    body: JSONBody, admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    created = await add_channel(gateway, body, Actor("api", admin.account_id))
    return envelope(created, status_code=201)


@router.patch(
    "/channels/{channel_id}",
    responses=enveloped(StoredChannel),
    openapi_extra=read_as(ChannelPatch),
)
async def admin_update_channel(
    channel_id: ChannelId, body: JSONBody, admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    changed = await change_channel(gateway, channel_id, body, Actor("api", admin.account_id))
    return envelope(changed)


@router.delete("/channels/{channel_id}", responses=enveloped(ChannelDeleted))
async def admin_delete_channel(
    channel_id: ChannelId, admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await remove_channel(gateway, channel_id, Actor("api", admin.account_id))
    return envelope({"id": row.id, "name": row.name, "deleted": True})


def _text(body: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 120:
        raise InvalidRequest(f"{field} must be a string of 1 to 120 characters", param=field)
    return value


@router.post(
    "/channels/{channel_id}/test",
    responses=enveloped(ChannelTestResult),
    openapi_extra=read_as(ChannelTestBody),
)
async def admin_test_channel(
    channel_id: ChannelId, body: JSONBody, _admin: AdminPrincipal, gateway: GatewayDep
) -> FastJSON:
    """One minimal request for a bound model through the channel."""
    model = _text(body, "model", required=True)
    assert model is not None
    result = await test_channel(
        gateway, channel_id, model, _text(body, "variant"), _text(body, "mode")
    )
    return envelope(result)
