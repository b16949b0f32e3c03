"""A retried synchronous /v1 request attaches to the tasks of its first attempt.

The OpenAI SDKs retry a 5xx (and a timeout) with the same body, and send no
``Idempotency-Key`` unless told to; a synchronous route that answers 503 while its task is
still running would make, and charge, a new task on each retry. So every task of such a
request carries the request's fingerprint — a hash of the key, the path and the body — in
``tasks.request_fingerprint`` (indexed, so every replica finds it). A request with the same
fingerprint is answered from those tasks, and holds nothing, while they run or, once they
ended, until their answer has been given (for ``UNCLAIMED_SECONDS`` at most): a 200 or
502 clears the fingerprint, and the next request with the same body makes new tasks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson

from apiinone.auth.principal import Principal
from apiinone.db.engine import now_ms
from apiinone.db.steps import Steps
from apiinone.runtime import Runtime

__all__ = ["UNCLAIMED_SECONDS", "ended_since_ms", "fingerprint", "forget"]

# How long the result of tasks whose answer was never given (a 503, a dropped connection)
# still answers a retry; the OpenAI SDKs retry within seconds.
UNCLAIMED_SECONDS = 300


def fingerprint(principal: Principal, path: str, body: Any) -> str:
    """sha-256 of the key, the path and the JSON body (keys sorted): one per request."""
    digest = hashlib.sha256()
    digest.update(f"{principal.key_id}\n{path}\n".encode())
    digest.update(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


def ended_since_ms() -> int:
    """Ended tasks still carrying a fingerprint attach a retry if they ended after this."""
    return now_ms() - UNCLAIMED_SECONDS * 1000


def _forget_steps(digest: str, task_ids: Sequence[str]) -> Steps:
    marks = ", ".join("?" for _ in task_ids)
    yield (
        f"UPDATE tasks SET request_fingerprint = NULL "  # noqa: S608 (only ? marks)
        f"WHERE request_fingerprint = ? AND id IN ({marks})",
        (digest, *task_ids),
    )


async def forget(gateway: Runtime, digest: str, task_ids: Sequence[str]) -> None:
    """The answer of these tasks was given: a request with the same body is a new one."""
    await gateway.db.run_steps(partial(_forget_steps, digest, list(task_ids)))
