"""What the admin API and the console do with channels: list the providers file's and the
database's together, change the database's (the file's are read-only), and test one."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from apiinone.audit import Actor
from apiinone.catalog.routing import RouteKey
from apiinone.errors import Conflict, InvalidRequest, NotFound
from apiinone.providers.channel_store import (
    StoredChannel,
    create_channel,
    delete_channel,
    get_channel,
    list_channels,
    open_credential,
    update_channel,
)
from apiinone.providers.channel_sync import ChannelHost, ChannelSync
from apiinone.providers.channels import (
    ChannelEntry,
    ChannelFileError,
    read_credential,
    read_entries,
)
from apiinone.providers.probe_call import run_probe


class ChannelAdminHost(ChannelHost, Protocol):
    """What channel management needs of the process it runs in (the gateway is one)."""

    channel_sync: ChannelSync

    async def channels_changed(self) -> None: ...


__all__ = [
    "FILE_PREFIX",
    "add_channel",
    "change_channel",
    "channel_listing",
    "find_channel",
    "remove_channel",
    "test_channel",
]

FILE_PREFIX = "file:"
PROBE_TIMEOUT = 15.0


def _file_public(entry: ChannelEntry) -> dict[str, Any]:
    raw = entry.raw
    return {
        "id": FILE_PREFIX + entry.name,
        "source": "file",
        "read_only": True,
        "name": entry.name,
        "adapter": entry.adapter,
        "base_url": entry.base_url,
        "models": raw.get("models", {}),
        "options": raw.get("options", {}),
        "priority": entry.priority,
        "weight": entry.weight,
        "enabled": raw.get("enabled", True) is not False,
        "credential_env": raw.get("credential_env"),
    }


def _units(gateway: ChannelAdminHost, name: str) -> list[dict[str, Any]]:
    prefix = name + "/"
    return [row for row in gateway.providers.channel_health() if row["name"].startswith(prefix)]


async def channel_listing(gateway: ChannelAdminHost) -> list[dict[str, Any]]:
    """Every configured channel, the file's first, each with its routable units' health."""
    out = [_file_public(entry) for entry in gateway.channel_sync.file_entries]
    out += [row.public() for row in await list_channels(gateway.db)]
    for item in out:
        item["units"] = _units(gateway, item["name"])
    return out


async def find_channel(gateway: ChannelAdminHost, channel_id: str) -> dict[str, Any]:
    if channel_id.startswith(FILE_PREFIX):
        entry = _file_entry(gateway, channel_id)
        found = _file_public(entry)
    else:
        found = (await get_channel(gateway.db, channel_id)).public()
    found["units"] = _units(gateway, found["name"])
    return found


def _file_entry(gateway: ChannelAdminHost, channel_id: str) -> ChannelEntry:
    name = channel_id.removeprefix(FILE_PREFIX)
    for entry in gateway.channel_sync.file_entries:
        if entry.name == name:
            return entry
    raise NotFound(f"No channel {channel_id[:60]}")


def _read_only(gateway: ChannelAdminHost, channel_id: str) -> None:
    if channel_id.startswith(FILE_PREFIX):
        _file_entry(gateway, channel_id)
        raise Conflict(
            "This channel comes from the providers file and is read-only here: change it in "
            "the file (APIINONE_PROVIDERS_FILE) and restart, or add a channel of your own"
        )


def _reserved(gateway: ChannelAdminHost) -> set[str]:
    return gateway.channel_sync.file_names


async def add_channel(
    gateway: ChannelAdminHost, body: Mapping[str, Any], actor: Actor
) -> dict[str, Any]:
    stored = await list_channels(gateway.db)
    reserved = _reserved(gateway) | {row.name for row in stored}
    row = await create_channel(gateway.db, gateway.sealer, gateway.catalog, body, actor, reserved)
    await gateway.channels_changed()
    return await find_channel(gateway, row.id)


async def change_channel(
    gateway: ChannelAdminHost, channel_id: str, body: Mapping[str, Any], actor: Actor
) -> dict[str, Any]:
    _read_only(gateway, channel_id)
    stored = await list_channels(gateway.db)
    reserved = _reserved(gateway) | {row.name for row in stored if row.id != channel_id}
    row = await update_channel(
        gateway.db, gateway.sealer, gateway.catalog, channel_id, body, actor, reserved
    )
    await gateway.channels_changed()
    return await find_channel(gateway, row.id)


async def remove_channel(gateway: ChannelAdminHost, channel_id: str, actor: Actor) -> StoredChannel:
    _read_only(gateway, channel_id)
    row = await delete_channel(gateway.db, channel_id, actor)
    await gateway.channels_changed()
    return row


async def test_channel(
    gateway: ChannelAdminHost,
    channel_id: str,
    model: str,
    variant: str | None = None,
    mode: str | None = None,
) -> dict[str, Any]:
    """One probe of the upstream id the channel binds for ``model`` (its variant and mode
    when given): status, latency and the upstream's own words."""
    if channel_id.startswith(FILE_PREFIX):
        entry = _file_entry(gateway, channel_id)
        try:
            credential = read_credential(entry.raw, entry.name)
        except ChannelFileError as exc:
            return {"ok": False, "status": None, "latency_ms": None, "detail": str(exc)}
    else:
        row = await get_channel(gateway.db, channel_id)
        (entry,) = read_entries({"channels": [dict(row.spec)]}, gateway.catalog)
        credential = open_credential(gateway.sealer, row)
    binding = entry.models.get(model)
    if binding is None:
        raise InvalidRequest(
            f"The channel binds no model {model[:120]!r} (it binds {', '.join(entry.models)})",
            param="model",
        )
    upstream = binding.ids[0]
    if variant is not None or mode is not None:
        key = RouteKey(variant, mode)
        found = binding.upstreams.get(key)
        if found is None:
            served = ", ".join(sorted(str(k) for k in binding.upstreams))
            raise InvalidRequest(
                f"The channel does not bind {key.describe(model)} (it binds {served})",
                param="variant" if variant is not None else "mode",
            )
        upstream = found
    outcome = await asyncio.to_thread(
        run_probe, entry.adapter, entry.base_url, credential, upstream, timeout=PROBE_TIMEOUT
    )
    return {
        "ok": outcome.ok,
        "status": outcome.http_status,
        "latency_ms": outcome.latency_ms,
        "detail": outcome.detail,
        "model": model,
        "upstream_model": upstream,
        "channel": entry.unit_name(model, upstream),
    }
