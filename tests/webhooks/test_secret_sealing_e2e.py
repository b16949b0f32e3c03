"""Webhook secrets sealed at rest, end to end: a database from before sealing is migrated
when the gateway starts (the old secret still signs), and ``apiinone secrets rotate`` moves
every secret to a new ``APIINONE_SECRET_KEY``."""

from __future__ import annotations

import asyncio
import re
import secrets as random
from pathlib import Path

import httpx
from alembic.script import ScriptDirectory
from sqlalchemy import update
from standardwebhooks import Webhook

from apiinone.auth.accounts import create_account
from apiinone.auth.keys import create_key
from apiinone.auth.secrets import generate_key
from apiinone.db.engine import Database
from apiinone.db.migrate import alembic_config, upgrade
from apiinone.db.tables import accounts
from apiinone.webhooks.secrets import new_secret
from tests.support.cells import stored_cells
from tests.support.server import Server, base_env, cli
from tests.webhooks.conftest import Receiver


def _before_sealing() -> str:
    """The revision just before the migration that seals the secrets (found by its name, so
    a renumbering does not matter)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    (sealing,) = [
        r for r in scripts.walk_revisions() if r.path.endswith("_webhook_secrets_sealed.py")
    ]
    assert isinstance(sealing.down_revision, str)
    return sealing.down_revision


async def _secret(server: Server, key: str) -> httpx.Response:
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        return await c.get("/api/v1/account/webhook-secret")


async def _start(data_dir: Path, env: dict[str, str]) -> Server:
    return await asyncio.to_thread(Server(data_dir=data_dir, env=env).start)


async def test_a_clear_secret_from_before_is_sealed_at_start_and_still_signs(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "gw"
    data_dir.mkdir()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=generate_key(),
        APIINONE_SECRET_KEY=random.token_urlsafe(32),
        APIINONE_ALLOWED_URL_HOSTS='["127.0.0.1"]',
        APIINONE_SANDBOX_SPEED="20",
    )
    # The database as the version before sealing left it: a secret in clear.
    db = Database(env.get("APIINONE_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir}/apiinone.db")
    try:
        await upgrade(db, _before_sealing())
        account = await create_account(db, email="old@example.com", signup_bonus=1000)
        _, key = await create_key(db, account_id=account.id, name="old")
        legacy = new_secret()
        async with db.write() as conn:
            await conn.execute(
                update(accounts).where(accounts.c.id == account.id).values(webhook_secret=legacy)
            )
    finally:
        await db.dispose()

    receiver = await Receiver([]).start()
    server = await _start(data_dir, env)
    try:
        cells = await stored_cells(data_dir, env.get("APIINONE_DATABASE_URL"))
        stored = [v for t, c, v in cells if (t, c) == ("accounts", "webhook_secret")]
        assert len(stored) == 1 and stored[0].startswith("sealed:v1:"), stored
        assert not [(t, c) for t, c, v in cells if legacy in v]
        r = await _secret(server, key)
        assert r.status_code == 200 and r.json()["data"]["secret"] == legacy
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as c:
            r = await c.post(
                "/api/v1/images/generations",
                json={"model": "flux-2", "prompt": "a signed cat", "callback_url": receiver.url},
            )
            assert r.status_code == 202, r.text
        for _ in range(300):
            if receiver.received:
                break
            await asyncio.sleep(0.1)
        assert receiver.received, "no delivery arrived"
        delivery = receiver.received[0]
        assert Webhook(legacy).verify(delivery.body, delivery.headers)["type"] == "task.succeeded"
    finally:
        await asyncio.to_thread(server.stop)
        await receiver.close()


async def test_secrets_rotate_moves_every_secret_to_the_new_secret_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "gw"
    admin_key = generate_key()
    old_key, new_key = random.token_urlsafe(32), random.token_urlsafe(32)
    env = base_env(data_dir, APIINONE_ADMIN_KEY=admin_key, APIINONE_SECRET_KEY=old_key)
    server = await _start(data_dir, env)
    try:
        secret = (await _secret(server, admin_key)).json()["data"]["secret"]
    finally:
        await asyncio.to_thread(server.stop)

    # The new key alone cannot open what the old one sealed: a clear 503, not a crash.
    env["APIINONE_SECRET_KEY"] = new_key
    server = await _start(data_dir, env)
    try:
        r = await _secret(server, admin_key)
        assert r.status_code == 503, r.text
        assert r.json()["error"]["type"] == "service_unavailable"
        assert "secret key" in r.json()["error"]["message"]
    finally:
        await asyncio.to_thread(server.stop)
    refused = await asyncio.to_thread(cli, ["secrets", "rotate"], env, check=False)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "APIINONE_PREVIOUS_SECRET_KEYS" in " ".join(refused.stderr.split())

    rotating = {**env, "APIINONE_PREVIOUS_SECRET_KEYS": f'["{old_key}"]'}
    done = await asyncio.to_thread(cli, ["secrets", "rotate"], rotating)
    found = re.search(r"(\d+) webhook secrets sealed again", done.stdout)
    assert found and int(found.group(1)) == 1, done.stdout
    again = await asyncio.to_thread(cli, ["secrets", "rotate"], rotating)
    assert "0 webhook secrets sealed again" in again.stdout

    server = await _start(data_dir, env)  # the new key only
    try:
        r = await _secret(server, admin_key)
        assert r.status_code == 200 and r.json()["data"]["secret"] == secret
    finally:
        await asyncio.to_thread(server.stop)
    cells = await stored_cells(data_dir, env.get("APIINONE_DATABASE_URL"))
    assert not [(t, c) for t, c, v in cells if secret in v or old_key in v or new_key in v]
