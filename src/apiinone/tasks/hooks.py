"""Inbound provider webhooks: a per-task URL whose only effect is "poll this task now".

The URL carries an HMAC of the task id under the gateway's secret key, so only the
provider the task was handed to can know it. The body is not trusted: the poll that
follows asks the provider itself. Where the operator configured the provider's signing
secret (``webhook_secret`` in the channel options), the signature is verified as well.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import and_, update

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import tasks
from apiinone.settings import Settings
from apiinone.tasks.states import ACTIVE

__all__ = ["hook_token", "hook_url", "poll_now", "valid_token"]


def hook_token(settings: Settings, task_id: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"task-hook:" + task_id.encode(), hashlib.sha256).hexdigest()[:40]


def valid_token(settings: Settings, task_id: str, token: str) -> bool:
    return hmac.compare_digest(hook_token(settings, task_id), token)


def hook_url(settings: Settings, task_id: str) -> str | None:
    """Set only when the gateway has a public URL a provider can reach."""
    if not settings.public_base_url:
        return None
    return f"{settings.base_url}/hooks/tasks/{task_id}/{hook_token(settings, task_id)}"


async def poll_now(db: Database, task_id: str) -> bool:
    """Make an active, submitted task due at once; False if there is nothing to poll."""
    now = now_ms()
    async with db.write() as conn:
        result = await conn.execute(
            update(tasks)
            .where(
                and_(
                    tasks.c.id == task_id,
                    tasks.c.status.in_(ACTIVE),
                    tasks.c.upstream_id.is_not(None),
                )
            )
            .values(next_run_at=now, updated_at=now)
        )
    return result.rowcount == 1
