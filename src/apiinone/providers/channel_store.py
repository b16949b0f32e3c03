"""Provider channels kept in the database (``channels``), managed through the admin API and
console.

A stored channel is a ``[[channels]]`` table of the providers file, key for key, with its
``credential`` itself in place of ``credential_env``: it is checked by the file's own
loader (:func:`apiinone.providers.channels.read_entries`) and each adapter's builder, so a
body the file would refuse is refused here with the same words. The credential is sealed
at rest (:mod:`apiinone.sealing`, bound to the channel's id), never returned (only its last
four characters) and never written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from apiinone import redact
from apiinone.audit import Actor, record
from apiinone.catalog import Catalog
from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import channels
from apiinone.errors import Conflict, InvalidRequest, NotFound
from apiinone.ids import new_id
from apiinone.providers.channels import (
    MAX_CHANNEL_NAME,
    MIN_CREDENTIAL_LENGTH,
    ChannelEntry,
    ChannelFileError,
    build_provider,
    read_entries,
)
from apiinone.sealing import Sealer

__all__ = [
    "FIELDS",
    "StoredChannel",
    "check_spec",
    "create_channel",
    "delete_channel",
    "get_channel",
    "list_channels",
    "marker",
    "open_credential",
    "reseal_channels",
    "update_channel",
]

# The keys of a channel's body: a [[channels]] table's, with ``credential``.
FIELDS = ("name", "adapter", "base_url", "models", "options", "priority", "weight", "enabled")
_PLACEHOLDER = "x" * MIN_CREDENTIAL_LENGTH


@dataclass(frozen=True, slots=True)
class StoredChannel:
    id: str
    name: str
    spec: Mapping[str, Any]  # the [[channels]] table, without its credential
    sealed: str
    last4: str
    created_at: int
    updated_at: int
    updated_by: str

    @property
    def enabled(self) -> bool:
        return self.spec.get("enabled", True) is not False

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": "database",
            "read_only": False,
            **{key: self.spec[key] for key in FIELDS if key in self.spec},
            "enabled": self.enabled,
            "credential_last4": self.last4,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _context(channel_id: str) -> str:
    return f"channel:{channel_id}"


def open_credential(sealer: Sealer, row: StoredChannel) -> str:
    credential = sealer.open(row.sealed, _context(row.id)).decode("utf-8")
    redact.register(credential)
    return credential


def _field_of(message: str) -> str:
    """The body field a loader message is about (``models`` unless it names another)."""
    for field in ("adapter", "options", "name", "base_url"):
        if field in message or (field == "name" and "needs a name" in message):
            return field
    return "models"


def _typed(spec: Mapping[str, Any]) -> None:
    checks: dict[str, tuple[type | tuple[type, ...], str]] = {
        "name": (str, "a string"),
        "adapter": (str, "a string"),
        "base_url": (str, "a string"),
        "models": (dict, "an object"),
        "options": (dict, "an object"),
        "priority": (int, "an integer"),
        "weight": (int, "an integer"),
        "enabled": (bool, "true or false"),
    }
    for field, (kind, what) in checks.items():
        value = spec.get(field)
        if value is None:
            continue
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if wrong:
            raise InvalidRequest(f"{field} must be {what}", param=field)
    name = spec.get("name")
    if not name:
        raise InvalidRequest("name is required", param="name")
    if len(str(name)) > MAX_CHANNEL_NAME or "/" in str(name) or "@" in str(name):
        raise InvalidRequest(
            f"name must be at most {MAX_CHANNEL_NAME} characters, without '/' or '@'",
            param="name",
        )
    if not spec.get("models"):
        raise InvalidRequest("models must bind at least one catalog model", param="models")
    base = spec.get("base_url")
    if not isinstance(base, str) or not base.startswith(("http://", "https://")):
        raise InvalidRequest("base_url must be an http(s) URL", param="base_url")


def check_spec(spec: Mapping[str, Any], catalog: Catalog) -> ChannelEntry:
    """The channel a body describes, checked as the providers file is (400 naming the field)."""
    unknown = sorted(set(spec) - set(FIELDS))
    if unknown:
        raise InvalidRequest(
            f"unknown field {unknown[0]!r} (a channel has {', '.join(FIELDS)}, credential)",
            param=unknown[0],
        )
    _typed(spec)
    try:
        (entry,) = read_entries({"channels": [dict(spec)]}, catalog)
    except ChannelFileError as exc:
        message = str(exc)
        raise InvalidRequest(message, param=_field_of(message.split(":", 1)[-1])) from None
    from apiinone.providers.http import ChannelConfig

    for model, binding in entry.models.items():
        for upstream in binding.ids:
            config = ChannelConfig(
                name=entry.unit_name(model, upstream),
                base_url=entry.base_url,
                credential=_PLACEHOLDER,
                upstream_model=upstream,
                options=entry.options,
            )
            try:
                build_provider(entry.adapter, config)
            except (ValueError, TypeError) as exc:
                raise InvalidRequest(
                    f"channel {entry.name}: {model} -> {upstream}: {exc}", param="models"
                ) from None
    return entry


def _credential(value: object) -> str:
    if not isinstance(value, str) or len(value.strip()) < MIN_CREDENTIAL_LENGTH:
        raise InvalidRequest(
            f"credential must be a string of at least {MIN_CREDENTIAL_LENGTH} characters",
            param="credential",
        )
    return value.strip()


def _row(row: Any) -> StoredChannel:
    return StoredChannel(
        id=row.id,
        name=row.name,
        spec=orjson.loads(row.spec),
        sealed=row.credential,
        last4=row.credential_last4,
        created_at=row.created_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


async def list_channels(db: Database) -> list[StoredChannel]:
    async with db.read() as conn:
        rows = (await conn.execute(select(channels).order_by(channels.c.name))).all()
    return [_row(row) for row in rows]


async def get_channel(db: Database, channel_id: str) -> StoredChannel:
    async with db.read() as conn:
        row = (await conn.execute(select(channels).where(channels.c.id == channel_id))).first()
    if row is None:
        raise NotFound(f"No channel {channel_id[:60]}")
    return _row(row)


async def marker(db: Database) -> tuple[int, int]:
    """(count, latest change): what tells a process the table changed."""
    async with db.read() as conn:
        count, latest = (
            await conn.execute(select(func.count(), func.max(channels.c.updated_at)))
        ).one()
    return int(count), int(latest or 0)


def _taken(name: str, reserved: set[str]) -> None:
    if name in reserved:
        raise Conflict(f"A channel named {name!r} already exists", param="name")


async def create_channel(
    db: Database,
    sealer: Sealer,
    catalog: Catalog,
    body: Mapping[str, Any],
    actor: Actor,
    reserved: set[str],
) -> StoredChannel:
    spec = {key: value for key, value in body.items() if key != "credential"}
    spec.setdefault("enabled", True)
    credential = _credential(body.get("credential"))
    check_spec(spec, catalog)
    _taken(spec["name"], reserved)
    channel_id = new_id("ch")
    at = now_ms()
    values = {
        "id": channel_id,
        "name": spec["name"],
        "spec": orjson.dumps(spec).decode(),
        "credential": sealer.seal(credential.encode("utf-8"), _context(channel_id)),
        "credential_last4": credential[-4:],
        "created_at": at,
        "updated_at": at,
        "updated_by": actor.label,
    }
    try:
        async with db.write() as conn:
            await conn.execute(insert(channels).values(**values))
            await record(conn, actor, "channel.create", channel_id, after=_audited(spec))
    except IntegrityError:
        raise Conflict(f"A channel named {spec['name']!r} already exists", param="name") from None
    return await get_channel(db, channel_id)


def _audited(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {key: spec[key] for key in FIELDS if key in spec}


async def update_channel(
    db: Database,
    sealer: Sealer,
    catalog: Catalog,
    channel_id: str,
    body: Mapping[str, Any],
    actor: Actor,
    reserved: set[str],
) -> StoredChannel:
    """Change the fields the body names; a missing or blank ``credential`` keeps the old one."""
    old = await get_channel(db, channel_id)
    spec = {**old.spec, **{k: v for k, v in body.items() if k != "credential"}}
    check_spec(spec, catalog)
    if spec["name"] != old.name:
        _taken(spec["name"], reserved)
    values: dict[str, Any] = {
        "name": spec["name"],
        "spec": orjson.dumps(spec).decode(),
        "updated_at": max(now_ms(), old.updated_at + 1),
        "updated_by": actor.label,
    }
    given = body.get("credential")
    if given not in (None, ""):
        credential = _credential(given)
        values["credential"] = sealer.seal(credential.encode("utf-8"), _context(channel_id))
        values["credential_last4"] = credential[-4:]
    after = _audited(spec)
    if "credential" in values:
        after["credential_changed"] = True
    try:
        async with db.write() as conn:
            await conn.execute(update(channels).where(channels.c.id == channel_id).values(values))
            await record(
                conn, actor, "channel.update", channel_id, before=_audited(old.spec), after=after
            )
    except IntegrityError:
        raise Conflict(f"A channel named {spec['name']!r} already exists", param="name") from None
    return await get_channel(db, channel_id)


async def delete_channel(db: Database, channel_id: str, actor: Actor) -> StoredChannel:
    old = await get_channel(db, channel_id)
    async with db.write() as conn:
        await conn.execute(delete(channels).where(channels.c.id == channel_id))
        await record(conn, actor, "channel.delete", channel_id, before=_audited(old.spec))
    return old


async def reseal_channels(db: Database, sealer: Sealer) -> int:
    """Seal every stored credential again under the current key (``apiinone secrets
    rotate``); how many changed."""
    changed = 0
    for row in await list_channels(db):
        if sealer.is_current(row.sealed):
            continue
        sealed = sealer.seal(sealer.open(row.sealed, _context(row.id)), _context(row.id))
        async with db.write() as conn:
            await conn.execute(
                update(channels).where(channels.c.id == row.id).values(credential=sealed)
            )
        changed += 1
    return changed
