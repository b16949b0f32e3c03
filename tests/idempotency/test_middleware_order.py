"""The Idempotency-Key record is settled before the answer's last bytes reach the client:
kept, so a client that sends the request again the moment it has the answer gets the
replay, not a 409 for a request still in progress; or released (a 400 is not kept), so
the client can send the corrected request under the same key at once."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiinone.api.idempotency import IdempotencyMiddleware
from apiinone.auth.accounts import create_account
from apiinone.auth.keys import create_key
from apiinone.db.migrate import upgrade
from apiinone.db.tables import idempotency_keys
from apiinone.gateway import Gateway
from apiinone.settings import Settings
from tests.support import pg


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b'{"id": ', "more_body": True})
    await send({"type": "http.response.body", "body": b'"task_1"}'})


async def _refused(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 400, "headers": []})
    await send({"type": "http.response.body", "body": b'{"error": ', "more_body": True})
    await send({"type": "http.response.body", "body": b'"bad"}'})


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (_answer, [(b'{"id": ', "in_flight"), (b'"task_1"}', "done")]),
        (_refused, [(b'{"error": ', "in_flight"), (b'"bad"}', None)]),
    ],
    ids=["kept", "released"],
)
async def test_the_record_is_settled_before_the_last_bytes_go_out(
    tmp_path: Path, app: ASGIApp, expected: list[tuple[bytes, str | None]]
) -> None:
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
        await IdempotencyMiddleware(app)(scope, request, client)
        # The first part goes out while the request is in flight; the last once settled.
        assert seen == expected
    finally:
        await gateway.close()
