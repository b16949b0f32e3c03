"""Secrets never leave the gateway: a whole session against a real server, then a search.

The gateway runs at debug level with its access log on, behind hostile upstreams that quote
the request's ``Authorization`` header back in their errors (and in a prediction's logs).
The session signs up and in on the dashboard, makes, rotates and misuses keys, rotates the
webhook secret, runs tasks (one fails once, one fails for good) with a signed callback,
chats, and sends keys where they do not belong (a query string, a path, a malformed
header, a body field). Then every captured log line, every error body, every webhook
delivery, /metrics, and every text cell of every table is searched for every secret:
API keys (old and new), the admin key, provider credentials, webhook secrets (stored only
sealed), the session cookies and the password. Hashes and prefixes are fine; whole values are not.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiohttp import web

from apiinone.auth.secrets import generate_key
from apiinone.redact import RedactingFilter, redact, register
from tests.dashboard.web import PASSWORD, token_of
from tests.fakes.openai_chat import FakeOpenAI
from tests.fakes.replicate import FakeReplicate, _problem
from tests.support.cells import stored_cells
from tests.support.server import Server, base_env, stored_bytes

REPLICATE_TOKEN = "r8_SECRETreplicateCREDENTIAL0001xyz"
OPENAI_KEY = "sk-SECRETopenaiCREDENTIAL0002xyz"
IMAGES = "/api/v1/images/generations"
KEY_IN_PAGE = re.compile(r"aio_[A-Za-z0-9_-]{43}")


class HostileReplicate(FakeReplicate):
    """``hostile:once`` — the first create answers 500 quoting the Authorization header;
    ``hostile:fail`` — every create answers 400 so; ``hostile`` prompts also get the header
    in the prediction's ``logs`` while it runs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._echoed: set[str] = set()

    async def _create(self, request: web.Request, model: str | None) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        prompt = str(body.get("input", {}).get("prompt", ""))
        auth = request.headers.get("Authorization", "")
        if "hostile:fail" in prompt:
            self.create_attempts += 1
            return _problem(400, "Bad Request", f"refused the request sent with {auth}")
        if "hostile:once" in prompt and prompt not in self._echoed:
            self.create_attempts += 1
            self._echoed.add(prompt)
            return _problem(500, "Internal Server Error", f"crashed on Authorization: {auth}")
        return await super()._create(request, model)

    def _view(self, p: Any) -> dict[str, Any]:
        view = super()._view(p)
        if "hostile" in p.prompt and view["status"] == "processing":
            view["logs"] = f"debug: header was Authorization: Bearer {self.token}\n" + (
                view["logs"] or ""
            )
        return view


class HostileOpenAI(FakeOpenAI):
    """``hostile:400`` / ``hostile:500`` in the last message: an OpenAI error body whose
    message quotes the Authorization header."""

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        last = str(body["messages"][-1].get("content", ""))
        for code in (400, 500):
            if f"hostile:{code}" in last:
                auth = request.headers.get("Authorization", "")
                return self._error(code, f"bad header {auth!r}", "invalid_request_error")
        return await super()._chat(request)


class Receiver:
    """Takes every webhook delivery, keeps its headers and body."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.deliveries.append((dict(request.headers), await request.read()))
        return web.Response(text="ok")


async def _wait_task(c: httpx.AsyncClient, task_id: str, seen: list[httpx.Response]) -> Any:
    for _ in range(300):
        r = await c.get(f"/api/v1/tasks/{task_id}")
        seen.append(r)
        data = r.json()["data"]
        if data["status"] != "IN_PROGRESS":
            return data
        await asyncio.sleep(0.1)
    raise AssertionError(f"task {task_id} did not finish: {data}")


async def _form(
    browser: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    html = (await browser.get(page)).text
    return await browser.post(action, data={**data, "csrf_token": token_of(html)})


async def test_a_full_session_leaks_no_secret(tmp_path: Path) -> None:
    async with (
        HostileReplicate(token=REPLICATE_TOKEN, complete_after=0.6) as replicate,
        HostileOpenAI(token=OPENAI_KEY) as chat,
        Receiver() as receiver,
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
[channels.options.input_map]  # as examples/providers.toml maps it: the model's own inputs
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
        data_dir = tmp_path / "gw"
        env = base_env(
            data_dir,
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            APIINONE_LOG_LEVEL="debug",
            APIINONE_ACCESS_LOG="true",
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            APIINONE_ALLOWED_URL_HOSTS='["127.0.0.1"]',
            APIINONE_WEBHOOK_RETRY_SCHEDULE="[0, 0.3, 0.6]",
            REP_TOKEN=REPLICATE_TOKEN,
        )
        server = await asyncio.to_thread(Server(data_dir=data_dir, env=env).start)
        seen: list[httpx.Response] = []  # every answer the session got
        secrets: dict[str, str] = {
            "admin key": admin_key,
            "replicate credential": REPLICATE_TOKEN,
            "openai credential": OPENAI_KEY,
            "password": PASSWORD,
        }
        try:
            async with (
                httpx.AsyncClient(base_url=server.url, timeout=30) as browser,
                httpx.AsyncClient(base_url=server.url, timeout=30) as other_browser,
                httpx.AsyncClient(base_url=server.url, timeout=30) as anon,
            ):
                # -- the dashboard: sign up, sign in again (a new session), make a key.
                email = f"leak-{generate_key()[-8:].lower()}@example.com"
                r = await _form(
                    browser, "/signup", "/signup", {"email": email, "password": PASSWORD}
                )
                assert r.status_code == 303, r.text
                first_cookie = browser.cookies["aio_session"]
                secrets["first session cookie"] = first_cookie
                r = await _form(
                    other_browser, "/login", "/login", {"email": email, "password": "wrong " * 3}
                )
                seen.append(r)
                assert r.status_code == 401
                r = await _form(
                    other_browser, "/login", "/login", {"email": email, "password": PASSWORD}
                )
                assert r.status_code == 303, r.text
                secrets["second session cookie"] = other_browser.cookies["aio_session"]
                assert secrets["second session cookie"] != first_cookie
                html = (await browser.get("/keys")).text
                r = await browser.post(
                    "/keys", data={"name": "leak test", "csrf_token": token_of(html)}
                )
                assert r.status_code == 200, r.text
                found = KEY_IN_PAGE.search(r.text)
                assert found, "the new key is shown once on the page"
                first_key = found.group(0)
                secrets["first API key"] = first_key

                # -- the API: rotate the key, read and rotate the webhook secret.
                c = httpx.AsyncClient(
                    base_url=server.url,
                    headers={"Authorization": f"Bearer {first_key}"},
                    timeout=30,
                )
                async with c:
                    items = (await c.get("/api/v1/keys")).json()["data"]["items"]
                    key_id = next(k["id"] for k in items if k["name"] == "leak test")
                    r = await c.post(f"/api/v1/keys/{key_id}/rotate")
                    assert r.status_code == 201, r.text
                    key = r.json()["data"]["key"]
                    secrets["rotated API key"] = key
                    seen.append(await c.get("/api/v1/account"))  # the old key: refused
                    assert seen[-1].status_code == 401
                c = httpx.AsyncClient(
                    base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
                )
                async with c:
                    r = await c.get("/api/v1/account/webhook-secret")
                    secrets["first webhook secret"] = r.json()["data"]["secret"]
                    r = await c.post("/api/v1/account/webhook-secret/rotate")
                    secrets["webhook secret"] = r.json()["data"]["secret"]

                    # -- tasks: one fails once upstream then succeeds, one fails for good.
                    tasks: dict[str, Any] = {}
                    for prompt in ("a hostile:once cat", "a hostile:fail cat", "a plain cat"):
                        r = await c.post(
                            IMAGES,
                            json={
                                "model": "flux-2",
                                "prompt": prompt,
                                "callback_url": receiver.url,
                            },
                        )
                        assert r.status_code == 202, r.text
                        tasks[prompt] = r.json()["data"]["task_id"]
                    results = {p: await _wait_task(c, t, seen) for p, t in tasks.items()}
                    assert results["a hostile:once cat"]["status"] == "SUCCESS", results
                    assert results["a plain cat"]["status"] == "SUCCESS", results
                    failed = results["a hostile:fail cat"]
                    assert failed["status"] == "FAILED", failed
                    assert "[redacted]" in failed["error_message"]  # quoted, then scrubbed
                    for task_id in tasks.values():
                        seen.append(await c.get(f"/api/v1/tasks/{task_id}/webhooks"))

                    # -- chat: fine, and two upstream errors that quote our credential.
                    for content, stream in (
                        ("hello", False),
                        ("hostile:400", False),
                        ("hostile:500", False),
                        ("hostile:400", True),
                    ):
                        r = await c.post(
                            "/v1/chat/completions",
                            json={
                                "model": "gemini",
                                "messages": [{"role": "user", "content": content}],
                                "stream": stream,
                            },
                        )
                        seen.append(r)
                    assert seen[-4].status_code == 200, seen[-4].text
                    assert seen[-3].status_code >= 400, seen[-3].text

                    # -- keys where they do not belong.
                    for path, headers in (
                        (f"/api/v1/account?api_key={key}", {}),
                        (f"/api/v1/account?key={key}&token={secrets['webhook secret']}", {}),
                        ("/api/v1/account", {"Authorization": key}),
                        ("/api/v1/account", {"Authorization": f"Token {key}"}),
                        ("/api/v1/account", {"Authorization": f"Bearer {key} {key}"}),
                        ("/api/v1/account", {"Authorization": f"Bearer {first_key}"}),
                        ("/api/v1/account", {"X-API-Key": key}),
                        ("/api/v1/account", {"Authorization": f"Bearer {first_cookie}"}),
                        (f"/api/v1/no-such-route/{key}", {}),
                        (f"/api/v1/tasks/{key}", {"Authorization": f"Bearer {key}"}),
                        (f"/api/v1/files/{key}", {"Authorization": f"Bearer {key}"}),
                    ):
                        r = await anon.get(path, headers=headers)
                        seen.append(r)
                        assert r.status_code >= 400, (path, r.status_code)
                    for body in (
                        {"model": "flux-2", "prompt": "x", "api_key": key},
                        {"model": key, "prompt": "x"},
                        {"model": "flux-2", "prompt": "x", "callback_url": f"http://{key}@h/"},
                        {"model": "flux-2", "prompt": "x", "resolution": key},
                    ):
                        r = await c.post(IMAGES, json=body)
                        seen.append(r)
                        # A key sent as the model names no model: 404, as any unknown one.
                        assert r.status_code == (404 if body["model"] == key else 400), r.text
                    r = await c.post(IMAGES, content=f'{{"prompt": "{key}"'.encode())
                    seen.append(r)
                    r = await _form(anon, "/login", "/login/key", {"key": first_key})
                    seen.append(r)
                    assert r.status_code == 401
                    seen.append(await anon.get("/metrics"))
                    seen.append(
                        await anon.get(
                            "/api/v1/admin/channels",
                            headers={"Authorization": f"Bearer {admin_key}"},
                        )
                    )
                for _ in range(100):  # the three tasks' webhooks
                    if len(receiver.deliveries) >= 3:
                        break
                    await asyncio.sleep(0.1)
                deliveries = list(receiver.deliveries)
                assert len(deliveries) >= 3, deliveries
        finally:
            await asyncio.to_thread(server.stop)

    log = server.output()
    assert "gateway opening" in log  # the log really was at debug level
    assert "GET /api/v1/account" in log  # and the access log was on
    cells = await stored_cells(data_dir, env.get("APIINONE_DATABASE_URL"))
    assert any(t == "tasks" for t, _, _ in cells), "the dump found no task rows"
    raw = stored_bytes(data_dir)
    metrics = next(r.text for r in seen if r.url.path == "/metrics")
    leaks: list[str] = []
    for name, secret in secrets.items():
        if secret in log:
            leaks.append(f"{name} in the server log")
        if secret in metrics:
            leaks.append(f"{name} in /metrics")
        for r in seen:
            if r.status_code >= 400 and secret in r.text:
                leaks.append(f"{name} in the {r.status_code} body of {r.request.url.path}")
            if r.url.path.startswith("/api/v1/tasks") and secret in r.text:
                leaks.append(f"{name} in a task answer {r.request.url.path}")
        for headers, body in deliveries:
            if secret in body.decode() or secret in str(headers):
                leaks.append(f"{name} in a webhook delivery")
        for table, column, value in cells:
            if secret in value:
                leaks.append(f"{name} in {table}.{column}")
        if secret.encode() in raw:
            leaks.append(f"{name} in the database files")
    assert not leaks, leaks
    assert "?api_key=[redacted]" in log  # the key in the query string, redacted
    # The webhook secret is kept sealed, so the search did look at that table.
    sealed = [v for t, c, v in cells if (t, c) == ("accounts", "webhook_secret")]
    assert any(v.startswith("sealed:v1:") for v in sealed), sealed
    assert replicate.create_attempts >= 4  # the hostile answers were really given


def test_the_redaction_shapes_and_the_log_filter() -> None:
    key = generate_key()
    register("literal-provider-credential-123")
    cases = {
        f"GET /api/v1/account?api_key={key}&x=1": "GET /api/v1/account?api_key=[redacted]&x=1",
        f"No route for GET /a/{key}": "No route for GET /a/aio_[redacted]",
        f"test key {generate_key(test=True)}": "test key aio_test_[redacted]",
        "secret whsec_QUJDREVGR0hJSktMTU5PUA==": "secret whsec_[redacted]",
        "Authorization: Key abcdefghijklmnop1234": "Authorization: Key [redacted]",
        "/hooks/tasks/task_abc/0123456789abcdef": "/hooks/tasks/task_abc/[redacted]",
        "upstream said: literal-provider-credential-123!": "upstream said: [redacted]!",
        # Not secrets: left alone.
        "send 'Authorization: Bearer aio_...'": "send 'Authorization: Bearer aio_...'",
        "'quality' must be one of basic, high; basic resolution": (
            "'quality' must be one of basic, high; basic resolution"
        ),
        "cookie aio_session expired": "cookie aio_session expired",
    }
    for raw, expected in cases.items():
        assert redact(raw) == expected, raw

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s" %d', None, None
    )
    record.args = ("127.0.0.1", "GET", f"/x?token={key}", 200)
    try:
        raise ValueError(f"boom with {key}")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert record.args == ("127.0.0.1", "GET", "/x?token=[redacted]", 200)
    assert key not in (record.exc_text or "") and "aio_[redacted]" in (record.exc_text or "")
