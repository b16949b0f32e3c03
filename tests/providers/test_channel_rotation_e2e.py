"""A stored channel's credential is sealed under ``APIINONE_SECRET_KEY``: ``apiinone secrets
rotate`` seals it again under a new key, after which the channel serves with the new key
alone, and no cell holds the credential or either key in clear."""

from __future__ import annotations

import asyncio
import re
import secrets as random
from pathlib import Path

import httpx

from apiinone.auth.secrets import generate_key
from tests.fakes.openai_chat import FakeOpenAI
from tests.support.cells import stored_cells
from tests.support.server import Server, base_env, cli

TOKEN = "sk-rotate-upstream-" + "r" * 20


async def _chat(server: Server, key: str) -> httpx.Response:
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        return await client.post(
            "/v1/chat/completions",
            json={"model": "gemini", "messages": [{"role": "user", "content": "hi"}]},
        )


async def test_secrets_rotate_reseals_channel_credentials(tmp_path: Path) -> None:
    data_dir = tmp_path / "gw"
    admin_key = generate_key()
    old_key, new_key = random.token_urlsafe(32), random.token_urlsafe(32)
    env = base_env(data_dir, APIINONE_ADMIN_KEY=admin_key, APIINONE_SECRET_KEY=old_key)
    async with FakeOpenAI(token=TOKEN) as fake:
        server = await asyncio.to_thread(Server(data_dir=data_dir, env=env).start)
        try:
            async with httpx.AsyncClient(
                base_url=server.url, headers={"Authorization": f"Bearer {admin_key}"}
            ) as admin:
                made = await admin.post(
                    "/api/v1/admin/accounts", json={"email": "rotate@example.com"}
                )
                customer = made.json()["data"]["key"]["key"]
                created = await admin.post(
                    "/api/v1/admin/channels",
                    json={
                        "name": "rotating",
                        "adapter": "openai",
                        "base_url": fake.url,
                        "credential": TOKEN,
                        "models": {"gemini": "gemini-3-flash"},
                    },
                )
                assert created.status_code == 201, created.text
            assert (await _chat(server, customer)).status_code == 200
        finally:
            await asyncio.to_thread(server.stop)

        env["APIINONE_SECRET_KEY"] = new_key
        rotating = {**env, "APIINONE_PREVIOUS_SECRET_KEYS": f'["{old_key}"]'}
        done = await asyncio.to_thread(cli, ["secrets", "rotate"], rotating)
        found = re.search(r"(\d+) channel credentials sealed again", done.stdout)
        assert found and int(found.group(1)) == 1, done.stdout
        again = await asyncio.to_thread(cli, ["secrets", "rotate"], rotating)
        assert "0 channel credentials sealed again" in again.stdout

        server = await asyncio.to_thread(Server(data_dir=data_dir, env=env).start)  # new key only
        try:
            seen = len(fake.requests)
            answered = await _chat(server, customer)
            assert answered.status_code == 200, answered.text
            assert len(fake.requests) == seen + 1  # the fake accepts only TOKEN
        finally:
            await asyncio.to_thread(server.stop)
    cells = await stored_cells(data_dir, env.get("APIINONE_DATABASE_URL"))
    assert not [(t, c) for t, c, v in cells if TOKEN in v or old_key in v or new_key in v]
