"""The Idempotency-Key record is kept before the answer's last bytes reach the client, so
a client that sends the request again the moment it has the answer gets the replay, not a
409 for a request still in progress."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from starlette.types import Message, Receive, Scope, Send

from apiinone.auth.accounts import create_account
from apiinone.auth.keys import create_key
from apiinone.db.migrate import upgrade
from apiinone.db.tables import idempotency_keys
from apiinone.gateway import Gateway
from apiinone.idempotency.middleware import IdempotencyMiddleware
from apiinone.settings import Settings
from tests.support import pg


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b'{"id": ', "more_body": True})
    await send({"type": "http.response.body", "body": b'"task_1"}'})


async def test_the_record_is_kept_before_the_last_bytes_go_out(tmp_path: Path) -> None:
    url = pg.database_for(tmp_path) if pg.enabled() else None
    settings = Settings(
        data_dir=tmp_path, worker_enabled=False, **({"database_url": url} if url else {})
    )
    gateway = Gateway.open(settings)
    try:
        await upgrade(gateway.db)
        account = await create_account(gateway.db, email="order@example.com", signup_bonus=0)
        _, raw = await create_key(gateway.db, account_id=account.id)
        seen: list[tuple[bytes, str | None]] = []

        async def client(message: Message) -> None:
            if message["type"] == "http.response.body":
                async with gateway.db.read() as conn:
                    status = (
                        await conn.execute(
                            select(idempotency_keys.c.status).where(
                                idempotency_keys.c.account_id == account.id
                            )
                        )
                    ).scalar()
                seen.append((message.get("body", b""), status))

        async def request() -> Message:
            return {"type": "http.request", "body": b"{}", "more_body": False}

        scope: dict[str, Any] = {
            "type": "http",
            "method": "POST",
            "path": "/api/v1/images/generations",
            "query_string": b"",
            "headers": [(b"authorization", f"Bearer {raw}".encode()), (b"idempotency-key", b"k1")],
            "app": SimpleNamespace(state=SimpleNamespace(gateway=gateway)),
        }
        await IdempotencyMiddleware(_answer)(scope, request, client)
        # The first part goes out while the request is in flight; the last only once kept.
        assert seen == [(b'{"id": ', "in_flight"), (b'"task_1"}', "done")]
    finally:
        await gateway.close()
