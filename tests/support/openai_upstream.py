"""A fake OpenAI-compatible upstream on loopback, and a gateway whose ``gemini`` goes to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from apiinone.auth.secrets import generate_key
from tests.fakes.openai_chat import FakeOpenAI
from tests.support.server import Server, base_env

__all__ = ["openai_upstream"]

PROVIDERS = """
[[channels]]
name = "fake-openai"
adapter = "openai"
base_url = "{url}"
credential_env = "FAKE_OPENAI_KEY"
[channels.models]
gemini = "gemini-3-flash"
"""


@asynccontextmanager
async def openai_upstream(
    tmp_path: Path, token: str, **env: str
) -> AsyncIterator[tuple[FakeOpenAI, Server, str]]:
    """The fake (expecting ``token``), a gateway routed to it, and the gateway's admin key.

    ``env`` adds the gateway settings a test module needs (``APIINONE_...="value"``).
    """
    async with FakeOpenAI(token=token) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(PROVIDERS.format(url=fake.url))
        admin_key = generate_key()
        server_env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            FAKE_OPENAI_KEY=token,
            **env,
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=server_env).start)
        try:
            yield fake, server, admin_key
        finally:
            await asyncio.to_thread(server.stop)
