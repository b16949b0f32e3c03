"""Provider credentials never appear in logs, responses or task rows, even at debug level."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from apiinone.auth.secrets import generate_key
from tests.fakes.openai_chat import FakeOpenAI
from tests.fakes.replicate import FakeReplicate
from tests.support.server import Server, base_env, stored_bytes

REPLICATE_TOKEN = "r8_SECRETreplicateCREDENTIAL0001"
OPENAI_KEY = "sk-SECRETopenaiCREDENTIAL0002"


async def test_a_full_session_leaks_no_credential(tmp_path: Path) -> None:
    async with (
        FakeReplicate(token=REPLICATE_TOKEN, complete_after=0.3) as replicate,
        FakeOpenAI(token=OPENAI_KEY) as chat,
    ):
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "rep"
adapter = "replicate"
base_url = "{replicate.url}"
credential_env = "REP_TOKEN"
[channels.models]
"flux-2" = "black-forest-labs/flux-2-pro"
[channels.options.input_map]
input_urls = "input_images"
type = ""
resolution = ""

[[channels]]
name = "chat"
adapter = "openai"
base_url = "{chat.url}"
credential_file = "{tmp_path / "openai.key"}"
[channels.models]
gemini = "gemini-3-flash"
"""
        )
        (tmp_path / "openai.key").write_text(OPENAI_KEY + "\n")
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            APIINONE_LOG_LEVEL="debug",
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            REP_TOKEN=REPLICATE_TOKEN,
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
        bodies: list[str] = []
        try:
            async with httpx.AsyncClient(
                base_url=server.url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30
            ) as c:
                for prompt in ("fine", "replicate:fail", "replicate:500", "replicate:malformed"):
                    r = await c.post(
                        "/api/v1/images/generations",
                        json={"model": "flux-2", "prompt": f"a {prompt} cat"},
                    )
                    bodies.append(r.text)
                    if r.status_code == 202 and prompt in ("fine", "replicate:fail"):
                        task_id = r.json()["data"]["task_id"]
                        for _ in range(200):
                            t = await c.get(f"/api/v1/tasks/{task_id}")
                            if t.json()["data"]["status"] != "IN_PROGRESS":
                                break
                            await asyncio.sleep(0.1)
                        bodies.append(t.text)
                for content in ("hello", "fake:500", "fake:400", "fake:429"):
                    r = await c.post(
                        "/v1/chat/completions",
                        json={
                            "model": "gemini",
                            "messages": [{"role": "user", "content": content}],
                        },
                    )
                    bodies.append(r.text)
                bodies.append((await c.get("/api/v1/admin/channels")).text)
                bodies.append((await c.get("/metrics")).text)
                bodies.append((await c.get("/api/v1/tasks")).text)
        finally:
            await asyncio.to_thread(server.stop)
    log = server.output()
    assert "gateway opening" in log  # the log really was at debug level
    stored = stored_bytes(tmp_path / "gw")
    for secret in (REPLICATE_TOKEN, OPENAI_KEY):
        assert secret not in log
        assert all(secret not in body for body in bodies)
        assert secret.encode() not in stored
    assert admin_key not in log
