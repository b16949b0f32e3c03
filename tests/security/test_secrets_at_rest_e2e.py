"""No secret at rest: every way of minting a secret, then a search of everything stored.

A real gateway (debug log, access log on) mints every kind of secret it has through every
route that mints one — the admin API (an account with its key, a key for an account, a
provider channel's credential), the API (a key, a rotated key, the webhook secret read and
rotated), the dashboard (sign-up, a key, a rotated key, a rotated webhook secret, a
provider channel's credential in the admin console) and the ``apiinone`` command (an account
with its key, a key) — once without and once with an ``Idempotency-Key`` on every POST
(each POST sent twice then, the second a replay). Every secret value seen is collected;
then every text and blob cell of every table, the database files (SQLite) or a dump
(PostgreSQL), and the server's log are searched for each: nothing may be found, whole or
without its ``aio_`` / ``whsec_`` prefix.
"""

from __future__ import annotations

import asyncio
import re
import secrets as random
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.dashboard.web import PASSWORD, login_with_key, token_of
from tests.support.cells import stored_cells
from tests.support.server import Server, base_env, cli, stored_bytes

KEY = re.compile(r"aio_(?:test_)?[A-Za-z0-9_-]{43}")
WHSEC = re.compile(r"whsec_[A-Za-z0-9+/]{43}=")


class Minted:
    """Every secret value seen, by where it was seen."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, name: str, value: str) -> str:
        assert value, name
        if value not in self.values.values():
            self.values.setdefault(name, value)
        return value

    def from_text(self, name: str, pattern: re.Pattern[str], text: str) -> str:
        found = pattern.findall(text)
        assert found, f"{name}: no secret on the page"
        for i, value in enumerate(dict.fromkeys(found)):
            self.add(f"{name} #{i}" if i else name, value)
        return str(found[0])


class Poster:
    """POSTs, each with its own Idempotency-Key and sent twice when ``idempotent``."""

    def __init__(self, idempotent: bool, minted: Minted) -> None:
        self.idempotent = idempotent
        self.minted = minted
        self.count = 0

    async def post(
        self, client: httpx.AsyncClient, path: str, what: str, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.idempotent:
            self.count += 1
            headers["Idempotency-Key"] = f"mint-{self.count}-{random.token_hex(4)}"
        first = await client.post(path, headers=headers, **kwargs)
        if self.idempotent:
            replay = await client.post(path, headers=headers, **kwargs)
            for pattern in (KEY, WHSEC):  # whatever a replay shows is a secret to look for
                for i, value in enumerate(pattern.findall(replay.text)):
                    self.minted.add(f"{what} (replay #{i})", value)
        return first


async def _form(
    poster: Poster, browser: httpx.AsyncClient, page: str, action: str, what: str, **data: str
) -> httpx.Response:
    html = (await browser.get(page)).text
    return await poster.post(browser, action, what, data={**data, "csrf_token": token_of(html)})


async def _api(server: Server, poster: Poster, minted: Minted, admin_key: str) -> None:
    admin = httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30
    )
    async with admin:
        email = f"api-{random.token_hex(4)}@example.com"
        r = await poster.post(
            admin, "/api/v1/admin/accounts", "admin: account key", json={"email": email}
        )
        assert r.status_code == 201, r.text
        account = r.json()["data"]
        first = minted.add("admin: account key", account["key"]["key"])
        r = await poster.post(
            admin,
            f"/api/v1/admin/accounts/{account['id']}/keys",
            "admin: key",
            json={"name": "by admin"},
        )
        assert r.status_code == 201, r.text
        minted.add("admin: key", r.json()["data"]["key"])
        credential = minted.add("admin: channel credential", "sk-" + random.token_urlsafe(24))
        r = await poster.post(
            admin,
            "/api/v1/admin/channels",
            "admin: channel",
            json={
                "name": f"api-{random.token_hex(4)}",
                "adapter": "openai",
                "base_url": "http://127.0.0.1:9/v1",
                "credential": credential,
                "models": {"gemini": "gemini-3-flash"},
            },
        )
        assert r.status_code == 201, r.text
    user = httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {first}"}, timeout=30
    )
    async with user:
        r = await poster.post(user, "/api/v1/keys", "api: key", json={"name": "minted"})
        assert r.status_code == 201, r.text
        made = r.json()["data"]
        minted.add("api: key", made["key"])
        r = await poster.post(user, f"/api/v1/keys/{made['id']}/rotate", "api: rotated key")
        assert r.status_code == 201, r.text
        minted.add("api: rotated key", r.json()["data"]["key"])
        r = await user.get("/api/v1/account/webhook-secret")
        minted.add("api: webhook secret", r.json()["data"]["secret"])
        r = await poster.post(
            user, "/api/v1/account/webhook-secret/rotate", "api: rotated webhook secret"
        )
        assert r.status_code == 200, r.text
        rotated = minted.add("api: rotated webhook secret", r.json()["data"]["secret"])
        r = await user.get("/api/v1/account")
        assert r.json()["data"]["webhook_secret"] == rotated  # readable, so usable


async def _dashboard(server: Server, poster: Poster, minted: Minted) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
        email = f"web-{random.token_hex(4)}@example.com"
        r = await _form(
            poster, browser, "/signup", "/signup", "dashboard: sign-up",
            email=email, password=PASSWORD,
        )  # fmt: skip
        assert r.status_code == 303, r.text
        minted.add("dashboard: session cookie", browser.cookies["aio_session"])
        r = await _form(poster, browser, "/keys", "/keys", "dashboard: key", name="web key")
        assert r.status_code == 200, r.text
        key = minted.from_text("dashboard: key", KEY, r.text)
        api = httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        async with api:
            items = (await api.get("/api/v1/keys")).json()["data"]["items"]
        key_id = next(k["id"] for k in items if k["name"] == "web key")
        r = await _form(
            poster, browser, "/keys", f"/keys/{key_id}/rotate", "dashboard: rotated key"
        )
        assert r.status_code == 200, r.text
        minted.from_text("dashboard: rotated key", KEY, r.text.replace(key, ""))
        minted.from_text("dashboard: webhook secret", WHSEC, (await browser.get("/webhooks")).text)
        r = await _form(
            poster, browser, "/webhooks", "/webhooks/secret/rotate", "dashboard: webhook rotate"
        )
        assert r.status_code == 303, r.text
        page = (await browser.get("/webhooks")).text
        rotated = minted.from_text("dashboard: rotated webhook secret", WHSEC, page)
        assert rotated != minted.values["dashboard: webhook secret"]


def _console_channel(server: Server, admin_key: str, minted: Minted) -> None:
    """A provider channel added in the admin console, with its credential."""
    browser = login_with_key(server.url, admin_key)
    credential = minted.add("console: channel credential", "sk-" + random.token_urlsafe(24))
    form = {
        "name": f"console-{random.token_hex(4)}",
        "adapter": "openai",
        "base_url": "http://127.0.0.1:9/v1",
        "credential": credential,
        "models": 'gemini = "gemini-3-flash"',
        "enabled": "on",
        "csrf_token": token_of(browser.get("/admin/channels").text),
    }
    r = browser.post("/admin/channels", data=form)
    assert r.status_code == 303, r.text


async def _cli(env: dict[str, str], minted: Minted) -> None:
    email = f"cli-{random.token_hex(4)}@example.com"
    made = await asyncio.to_thread(cli, ["accounts", "create", email], env)
    minted.from_text("cli: account key", KEY, made.stdout)
    made = await asyncio.to_thread(cli, ["keys", "create", email, "--name", "cli"], env)
    minted.from_text("cli: key", KEY, made.stdout)
    made = await asyncio.to_thread(cli, ["keys", "create", email, "--test"], env)
    minted.from_text("cli: test key", KEY, made.stdout)


def _forms(secret: str) -> list[str]:
    """The secret, and its random part alone (a store might drop the prefix)."""
    forms = [secret]
    for prefix in ("aio_test_", "aio_", "whsec_"):
        if secret.startswith(prefix):
            forms.append(secret.removeprefix(prefix))
            break
    return forms


@pytest.mark.parametrize("idempotent", [False, True], ids=["plain", "idempotency-key"])
async def test_no_minted_secret_is_stored_or_logged(tmp_path: Path, idempotent: bool) -> None:
    admin_key = generate_key()
    data_dir = tmp_path / "gw"
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_SECRET_KEY=random.token_urlsafe(32),
        APIINONE_LOG_LEVEL="debug",
        APIINONE_ACCESS_LOG="true",
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
    )
    server = await asyncio.to_thread(Server(data_dir=data_dir, env=env).start)
    minted = Minted()
    minted.add("admin key", admin_key)
    poster = Poster(idempotent, minted)
    try:
        await _api(server, poster, minted, admin_key)
        await _dashboard(server, poster, minted)
        await asyncio.to_thread(_console_channel, server, admin_key, minted)
        await _cli(env, minted)
    finally:
        await asyncio.to_thread(server.stop)

    assert len({v for v in minted.values.values()}) >= 15, minted.values
    assert poster.count == (10 if idempotent else 0)  # every minting POST went through it
    log = server.output()
    assert "POST /api/v1/keys" in log  # the access log was on
    cells = await stored_cells(data_dir, env.get("APIINONE_DATABASE_URL"))
    raw = stored_bytes(data_dir)
    leaks: list[str] = []
    for name, secret in minted.values.items():
        for form in _forms(secret):
            where = [f"{t}.{c}" for t, c, v in cells if form in v]
            if form.encode() in raw or form.encode().hex().encode() in raw:
                where.append("the database files (SQLite) or dump (PostgreSQL)")
            if form in log:
                where.append("the server log")
            leaks += [f"{name} ({form[:12]}...) in {w}" for w in where]
    assert not leaks, "\n".join(leaks)

    # The search saw the rows it had to: keys by their hash and display, the webhook
    # secret sealed, and (with Idempotency-Key) the idempotency records.
    tables = {t for t, _, _ in cells}
    assert {"accounts", "api_keys", "sessions"} <= tables, tables
    sealed = [v for t, c, v in cells if (t, c) == ("accounts", "webhook_secret")]
    assert len(sealed) >= 2 and all(v.startswith("sealed:v1:") for v in sealed), sealed
    stored = [v for t, c, v in cells if (t, c) == ("channels", "credential")]
    assert len(stored) == 2 and all(v.startswith("sealed:v1:") for v in stored), stored
    if idempotent:
        assert "idempotency_keys" in tables
