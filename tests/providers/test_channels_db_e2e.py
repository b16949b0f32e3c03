"""Channels in the database: created, changed, tested and deleted through the admin API, each
change serving customers' requests at once with no restart; the providers file's channels
listed next to them, read-only; the credential never given back and every change audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.fakes.openai_chat import FakeOpenAI
from tests.support.server import Server, base_env

TOKEN = "sk-fake-upstream-" + "7" * 20 + "k9Zq"

PROVIDERS = """
[[channels]]
name = "from-file"
adapter = "openai"
base_url = "{url}"
credential_env = "FAKE_OPENAI_KEY"
[channels.models]
deepseek-chat = "deepseek-chat"
"""


class Setup:
    def __init__(self, fake: FakeOpenAI, server: Server, admin: str, customer: str) -> None:
        self.fake, self.server = fake, server
        self.admin = httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {admin}"}, timeout=60
        )
        self.customer = httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {customer}"}, timeout=60
        )

    async def chat(self, model: str = "gemini") -> httpx.Response:
        return await self.customer.post(
            "/v1/chat/completions",
            json={"model": model, "messages": [{"role": "user", "content": "hello there"}]},
        )


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    async with FakeOpenAI(token=TOKEN) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(PROVIDERS.format(url=fake.url))
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            FAKE_OPENAI_KEY=TOKEN,
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
        try:
            async with httpx.AsyncClient(
                base_url=server.url, headers={"Authorization": f"Bearer {admin_key}"}
            ) as admin:
                made = await admin.post(
                    "/api/v1/admin/accounts", json={"email": "customer@example.com"}
                )
                assert made.status_code == 201, made.text
                customer = made.json()["data"]["key"]["key"]
            running = Setup(fake, server, admin_key, customer)
            yield running
            await running.admin.aclose()
            await running.customer.aclose()
        finally:
            await asyncio.to_thread(server.stop)


def channel_body(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "db-openai",
        "adapter": "openai",
        "base_url": url,
        "credential": TOKEN,
        "models": {"gemini": "gemini-3-flash-db"},
        "priority": 0,
        "weight": 1,
        **extra,
    }


async def test_a_stored_channel_serves_at_once_and_goes_when_disabled_or_deleted(
    setup: Setup,
) -> None:
    admin, fake = setup.admin, setup.fake
    listed = (await admin.get("/api/v1/admin/channels")).json()["data"]
    (from_file,) = listed["channels"]
    assert from_file["source"] == "file" and from_file["read_only"] is True
    assert [u["name"] for u in listed["items"]] == ["from-file/deepseek-chat"]
    assert (await setup.chat()).status_code == 503  # nothing serves gemini yet

    created = await admin.post("/api/v1/admin/channels", json=channel_body(fake.url))
    assert created.status_code == 201, created.text
    channel = created.json()["data"]
    assert channel["credential_last4"] == TOKEN[-4:]
    assert TOKEN not in created.text and "credential" not in channel
    assert [u["name"] for u in channel["units"]] == ["db-openai/gemini"]

    answered = await setup.chat()
    assert answered.status_code == 200, answered.text
    assert fake.requests[-1]["model"] == "gemini-3-flash-db"

    one = await admin.get(f"/api/v1/admin/channels/{channel['id']}")
    assert one.status_code == 200 and TOKEN not in one.text
    assert one.json()["data"]["models"] == {"gemini": "gemini-3-flash-db"}
    everything = await admin.get("/api/v1/admin/channels")
    assert TOKEN not in everything.text
    assert [c["source"] for c in everything.json()["data"]["channels"]] == ["file", "database"]

    off = await admin.patch(f"/api/v1/admin/channels/{channel['id']}", json={"enabled": False})
    assert off.status_code == 200, off.text
    seen = len(fake.requests)
    assert (await setup.chat()).status_code == 503
    assert len(fake.requests) == seen  # not routed there any more

    on = await admin.patch(f"/api/v1/admin/channels/{channel['id']}", json={"enabled": True})
    assert on.status_code == 200 and on.json()["data"]["credential_last4"] == TOKEN[-4:]
    assert (await setup.chat()).status_code == 200  # the credential was kept

    gone = await admin.delete(f"/api/v1/admin/channels/{channel['id']}")
    assert gone.status_code == 200, gone.text
    assert (await setup.chat()).status_code == 503
    assert (await admin.get(f"/api/v1/admin/channels/{channel['id']}")).status_code == 404
    assert (await setup.chat("deepseek-chat")).status_code == 200  # the file's still serves

    audit = await admin.get("/api/v1/admin/audit", params={"action": "channel", "limit": 50})
    actions = [row["action"] for row in audit.json()["data"]["items"]]
    assert actions == ["channel.delete", "channel.update", "channel.update", "channel.create"]
    assert TOKEN not in audit.text and TOKEN[-12:] not in audit.text
    assert TOKEN not in setup.server.output()


async def test_bad_bodies_are_400s_naming_the_field_and_names_are_unique(setup: Setup) -> None:
    admin, url = setup.admin, setup.fake.url
    cases: list[tuple[dict[str, Any], str]] = [
        (channel_body(url, adapter="nope"), "adapter"),
        (channel_body(url, models={"no-such-model": "x"}), "models"),
        (channel_body(url, models={"gemini": {"turbo": "x"}}), "models"),
        (channel_body(url, credential="short"), "credential"),
        (channel_body(url, priority="high"), "priority"),
        (channel_body(url, credential_env="X"), "credential_env"),
        (channel_body(url, base_url="ftp://example.com"), "base_url"),
        (channel_body(url, name="a/b"), "name"),
    ]
    for body, field in cases:
        refused = await admin.post("/api/v1/admin/channels", json=body)
        assert refused.status_code == 400, (field, refused.text)
        assert refused.json()["error"]["param"] == field, refused.text
    assert (await admin.post("/api/v1/admin/channels", json=channel_body(url))).status_code == 201
    again = await admin.post("/api/v1/admin/channels", json=channel_body(url))
    assert again.status_code == 409, again.text
    clash = await admin.post("/api/v1/admin/channels", json=channel_body(url, name="from-file"))
    assert clash.status_code == 409, clash.text
    for method in ("PATCH", "DELETE"):
        read_only = await admin.request(
            method, "/api/v1/admin/channels/file:from-file", json={"weight": 2}
        )
        assert read_only.status_code == 409, read_only.text
        assert "providers file" in read_only.json()["error"]["message"]
    assert (await admin.get("/api/v1/admin/channels/ch_nothing")).status_code == 404


async def test_testing_a_channel_shows_status_latency_and_the_upstreams_words(
    setup: Setup,
) -> None:
    admin, url = setup.admin, setup.fake.url
    good = (await admin.post("/api/v1/admin/channels", json=channel_body(url))).json()["data"]
    bad_key = channel_body(url, name="db-bad-key", credential="sk-wrong-" + "x" * 16)
    bad = (await admin.post("/api/v1/admin/channels", json=bad_key)).json()["data"]
    missing = channel_body(url, name="db-missing", models={"gemini": "missing-model"})
    absent = (await admin.post("/api/v1/admin/channels", json=missing)).json()["data"]

    ok = await admin.post(f"/api/v1/admin/channels/{good['id']}/test", json={"model": "gemini"})
    assert ok.status_code == 200, ok.text
    result = ok.json()["data"]
    assert result["ok"] is True and result["status"] == 200
    assert isinstance(result["latency_ms"], int) and result["latency_ms"] >= 0

    refused = await admin.post(f"/api/v1/admin/channels/{bad['id']}/test", json={"model": "gemini"})
    said = refused.json()["data"]
    assert said["ok"] is False and said["status"] == 401
    assert "Incorrect API key provided" in said["detail"]
    assert "sk-wrong" not in refused.text

    unknown = await admin.post(
        f"/api/v1/admin/channels/{absent['id']}/test", json={"model": "gemini"}
    )
    assert unknown.json()["data"]["status"] == 404
    assert "The model missing-model does not exist" in unknown.json()["data"]["detail"]

    from_file = await admin.post(
        "/api/v1/admin/channels/file:from-file/test", json={"model": "deepseek-chat"}
    )
    assert from_file.json()["data"]["ok"] is True, from_file.text
    unbound = await admin.post(f"/api/v1/admin/channels/{good['id']}/test", json={"model": "x"})
    assert unbound.status_code == 400 and unbound.json()["error"]["param"] == "model"
