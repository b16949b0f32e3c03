"""Writing the audit trail.

Every admin action — credits granted or deducted, an account created, disabled or enabled,
a key created or revoked for another account, a price set or reset, a batch of redemption
codes — is one row of ``audit_log``: who did it (an admin account, or the operator's CLI),
through which surface, what it touched, and the state before and after. Where the action
has a connection of its own (a ledger change), the row is written in the same transaction,
so one never commits without the other; elsewhere it is written as soon as the action has
committed. Secrets never enter the trail: a key's value, a redemption code, a webhook
secret or a channel credential is left out by the caller and refused here as a last guard.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import audit_log
from apiinone.ids import new_id

__all__ = ["ACTIONS", "Actor", "record"]

ACTIONS = (
    "account.create",
    "account.disable",
    "account.enable",
    "credits.grant",
    "credits.deduct",
    "key.create",
    "key.revoke",
    "price.set",
    "price.reset",
    "codes.create",
    "channel.create",
    "channel.update",
    "channel.delete",
)

# Field names that hold a secret: refused in a trail entry whatever the caller passes.
_SECRET_FIELDS = frozenset(
    {"key", "raw", "secret", "webhook_secret", "credential", "password", "code", "codes"}
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: an admin account (API key or console session) or the operator's CLI."""

    via: str  # "api" | "console" | "cli"
    account_id: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        return cls(via="cli")

    @property
    def label(self) -> str:
        if self.account_id is not None:
            return self.account_id
        try:
            return f"cli:{getpass.getuser()}"
        except (OSError, KeyError):
            return "cli"


def _json(state: Mapping[str, Any] | None) -> str | None:
    if state is None:
        return None
    leaked = _SECRET_FIELDS.intersection(state)
    if leaked:
        raise ValueError(f"audit entries never hold secrets: {sorted(leaked)}")
    return orjson.dumps(dict(state), option=orjson.OPT_SORT_KEYS).decode()


async def record(
    target_db: Database | AsyncConnection,
    actor: Actor,
    action: str,
    target: str,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> str:
    """Append one entry; inside ``target_db`` when it is a connection (same transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry_id = new_id("aud")
    values = {
        "id": entry_id,
        "created_at": now_ms(),
        "actor_id": actor.account_id,
        "actor": actor.label,
        "via": actor.via,
        "action": action,
        "target": target[:120],
        "before": _json(before),
        "after": _json(after),
    }
    if isinstance(target_db, AsyncConnection):
        await target_db.execute(insert(audit_log).values(**values))
    else:
        async with target_db.write() as conn:
            await conn.execute(insert(audit_log).values(**values))
    return entry_id
