"""The authorization matrix: every route of the app, called as four roles.

- ``anon``:  no credentials (no API key, no session cookie);
- ``other``: another ordinary account (its own key / its own dashboard session);
- ``owner``: the account that owns the task, upload, key, webhook delivery and ledger rows
  named in the URL or body;
- ``admin``: the operator's admin account.

``MATRIX`` says what each role gets from each route. The routes are read from the app
itself (API, dashboard, mounts), and ``test_the_matrix_covers_every_route`` fails when a
route has no row, so a new route cannot ship without an authorization decision.

Decisions the table encodes (DESIGN.md section 9, docs/errors.md):

- Another account's task, upload, key or webhook delivery is a 404, the same answer as an
  id that does not exist (never a 403 that would reveal it exists). The admin is an account
  like any other on the user routes: it sees only its own resources there (404), and every
  account through the admin routes and pages.
- Admin routes (``/api/v1/admin/...``) answer 403 to ordinary keys; admin pages (``/admin``)
  answer a 403 page to ordinary sessions.
- Without credentials: API routes 401; dashboard pages redirect to ``/login`` (``LOGIN``);
  the dashboard's JSON endpoints 401.
- Public on purpose: ``/healthz``, ``/readyz``, ``/metrics``, ``/openapi.json``, ``/docs``,
  ``/static/...``, the login and sign-up pages; ``/files/{id}/{name}`` (the 24-random-byte id
  is the capability, like a presigned URL); the provider callbacks ``/hooks/tasks/...`` (an
  HMAC token in the path; a wrong one is 404) and Stripe's webhook (signature; 404 while
  Stripe is not configured, as on the test server).
- Dashboard forms (POST) answer with a redirect and a flash message, also when refused for
  an id the account does not own; for those the table says 303 and the guard (a snapshot of
  the owner's resource before and after) proves nothing happened.

Destructive calls by anyone but the owner are followed by that guard. The owner (and the
admin on admin routes) runs destructive routes on throwaway resources. Lists (tasks, keys,
usage, webhooks) as another account never contain the owner's items.

Every key and session here has an account's whole powers; which *kind* of key (allow-list,
spend cap, expiry, rate limit, test) or session (password, or opened with such a key) may
mint keys, read the secret or the ledger, change settings, grant or deduct is the powers
matrix, ``test_authz_powers.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from apiinone.media import make_audio
from tests.conftest import Account
from tests.dashboard.web import PASSWORD, browser, token_of
from tests.security.authz_support import Receiver, app_routes, fill, session
from tests.support.server import Server
from tests.support.tasks import create, png, upload, wait

ROLES = ("anon", "other", "admin", "owner")  # the owner last: guards see its state untouched
LOGIN = "login"  # a 303 redirect to /login?next=...

Expect = int | str

# fmt: off
#  method    path template                                              anon   other  owner  admin
MATRIX: list[tuple[str, str, Expect, Expect, Expect, Expect]] = [
    # ── public: ops, docs, static, files by capability, signed callbacks ───────────────────
    ("GET",    "/healthz",                                                200,   200,   200,   200),
    ("GET",    "/readyz",                                                 200,   200,   200,   200),
    ("GET",    "/metrics",                                                200,   200,   200,   200),
    ("GET",    "/openapi.json",                                           200,   200,   200,   200),
    ("HEAD",   "/openapi.json",                                           200,   200,   200,   200),
    ("GET",    "/docs",                                                   200,   200,   200,   200),
    ("HEAD",   "/docs",                                                   200,   200,   200,   200),
    ("GET",    "/docs/oauth2-redirect",                                   200,   200,   200,   200),
    ("HEAD",   "/docs/oauth2-redirect",                                   200,   200,   200,   200),
    ("GET",    "/static/{path}",                                          200,   200,   200,   200),
    ("GET",    "/files/{file_id}/{name}",                                 200,   200,   200,   200),
    ("HEAD",   "/files/{file_id}/{name}",                                 200,   200,   200,   200),
    ("POST",   "/hooks/tasks/{task_id}/{token}",                          404,   404,   404,   404),
    ("POST",   "/billing/stripe/webhook",                                 404,   404,   404,   404),
    # ── the caller's own account ───────────────────────────────────────────────────────────
    ("GET",    "/api/v1/account",                                         401,   200,   200,   200),
    ("GET",    "/api/v1/usage",                                           401,   200,   200,   200),
    ("GET",    "/api/v1/requests",                                        401,   200,   200,   200),
    ("GET",    "/api/v1/account/webhook-secret",                          401,   200,   200,   200),
    ("POST",   "/api/v1/account/webhook-secret/rotate",                   401,   200,   200,   200),
    ("GET",    "/api/v1/models",                                          401,   200,   200,   200),
    ("GET",    "/api/v1/models/{slug:path}",                              401,   200,   200,   200),
    ("GET",    "/v1/models",                                              401,   200,   200,   200),
    ("GET",    "/v1/models/{model_id:path}",                              401,   200,   200,   200),
    ("POST",   "/api/v1/quotes",                                          401,   200,   200,   200),
    # ── keys ───────────────────────────────────────────────────────────────────────────────
    ("GET",    "/api/v1/keys",                                            401,   200,   200,   200),
    ("POST",   "/api/v1/keys",                                            401,   201,   201,   201),
    ("PATCH",  "/api/v1/keys/{key_id}",                                   401,   404,   200,   404),
    ("POST",   "/api/v1/keys/{key_id}/rotate",                            401,   404,   201,   404),
    ("DELETE", "/api/v1/keys/{key_id}",                                   401,   404,   200,   404),
    # ── work: chat, tasks, and requests that refer to the owner's tasks or uploads ─────────
    ("POST",   "/api/v1/chat/completions",                                401,   200,   200,   200),
    ("POST",   "/v1/chat/completions",                                    401,   200,   200,   200),
    ("POST",   "/api/v1/responses",                                       401,   200,   200,   200),
    ("GET",    "/api/v1/responses/{response_id}",                         401,   404,   200,   404),
    ("DELETE", "/api/v1/responses/{response_id}",                         401,   404,   200,   404),
    ("GET",    "/api/v1/responses/{response_id}/input_items",             401,   404,   200,   404),
    ("POST",   "/v1/responses",                                           401,   200,   200,   200),
    ("GET",    "/v1/responses/{response_id}",                             401,   404,   200,   404),
    ("DELETE", "/v1/responses/{response_id}",                             401,   404,   200,   404),
    ("GET",    "/v1/responses/{response_id}/input_items",                 401,   404,   200,   404),
    ("POST",   "/v1/messages",                                            401,   200,   200,   200),
    ("POST",   "/v1/messages/count_tokens",                               401,   200,   200,   200),
    ("POST",   "/api/v1/images/generations",                              401,   202,   202,   202),
    ("POST",   "/api/v1/videos/generations",                              401,   202,   202,   202),
    ("POST",   "/api/v1/audio/music",                                     401,   202,   202,   202),
    ("POST",   "/api/v1/audio/music/extend",                              401,   404,   202,   404),
    ("POST",   "/api/v1/audio/music/cover/generate",                      401,   404,   202,   404),
    ("POST",   "/api/v1/audio/music/upload-cover/generate",               401,   404,   202,   404),
    ("POST",   "/api/v1/audio/music/timestamped-lyrics",                  401,   404,   200,   404),
    ("POST",   "/api/v1/audio/speech",                                    401,   202,   202,   202),
    ("POST",   "/api/v1/images/tools/remove-bg",                          401,   202,   202,   202),
    ("POST",   "/api/v1/images/tools/face-swap",                          401,   202,   202,   202),
    ("POST",   "/api/v1/images/tools/upscale",                            401,   202,   202,   202),
    ("POST",   "/api/v1/videos/tools/bg-remover",                         401,   202,   202,   202),
    ("POST",   "/api/v1/videos/tools/upscale",                            401,   202,   202,   202),
    ("GET",    "/api/v1/tasks",                                           401,   200,   200,   200),
    ("GET",    "/api/v1/tasks/{task_id}",                                 401,   404,   200,   404),
    ("POST",   "/api/v1/tasks/{task_id}/cancel",                          401,   404,   200,   404),
    ("GET",    "/api/v1/tasks/{task_id}/events",                          401,   404,   200,   404),
    ("GET",    "/api/v1/audio/music/feed",                                401,   404,   200,   404),
    ("GET",    "/api/v1/audio/music/cover/status",                        401,   404,   200,   404),
    ("GET",    "/api/v1/audio/music/upload-cover/status",                 401,   404,   200,   404),
    ("POST",   "/api/v1/uploads",                                         401,   201,   201,   201),
    ("GET",    "/api/v1/uploads/{upload_id}",                             401,   404,   200,   404),
    ("GET",    "/api/v1/tasks/{task_id}/webhooks",                        401,   404,   200,   404),
    ("POST",   "/api/v1/tasks/{task_id}/webhooks/{delivery_id}/redeliver", 401,  404,   202,   404),
    ("POST",   "/v1/images/generations",                                  401,   200,   200,   200),
    ("POST",   "/v1/images/edits",                                        401,   200,   200,   200),
    ("POST",   "/v1/videos",                                              401,   200,   200,   200),
    ("GET",    "/v1/videos",                                              401,   200,   200,   200),
    ("GET",    "/v1/videos/{video_id}",                                   401,   404,   200,   404),
    ("GET",    "/v1/videos/{video_id}/content",                           401,   404,   200,   404),
    ("DELETE", "/v1/videos/{video_id}",                                   401,   404,   200,   404),
    ("POST",   "/v1/videos/{video_id}/remix",                             401,   404,   200,   404),
    ("POST",   "/v1/videos/{action}",                                     401,   400,   400,   400),
    ("POST",   "/v1/video/generations",                                   401,   200,   200,   200),
    ("GET",    "/v1/video/generations/{task_id}",                         401,   404,   200,   404),
    ("POST",   "/v1/audio/speech",                                        401,   200,   200,   200),
    # ── admin API ──────────────────────────────────────────────────────────────────────────
    ("POST",   "/api/v1/admin/accounts",                                  401,   403,   403,   201),
    ("GET",    "/api/v1/admin/accounts",                                  401,   403,   403,   200),
    ("GET",    "/api/v1/admin/accounts/{account_id}",                     401,   403,   403,   200),
    ("PATCH",  "/api/v1/admin/accounts/{account_id}",                     401,   403,   403,   200),
    ("POST",   "/api/v1/admin/accounts/{account_id}/credits",             401,   403,   403,   200),
    ("GET",    "/api/v1/admin/accounts/{account_id}/keys",                401,   403,   403,   200),
    ("POST",   "/api/v1/admin/accounts/{account_id}/keys",                401,   403,   403,   201),
    ("DELETE", "/api/v1/admin/keys/{key_id}",                             401,   403,   403,   200),
    ("GET",    "/api/v1/admin/channels",                                  401,   403,   403,   200),
    ("GET",    "/api/v1/admin/audit",                                     401,   403,   403,   200),
    # the matrix's gateway stays in sandbox mode: the admin's channel bodies are refused, and
    # the ids are no channel's
    ("POST",   "/api/v1/admin/channels",                                  401,   403,   403,   400),
    ("GET",    "/api/v1/admin/channels/{channel_id}",                     401,   403,   403,   404),
    ("PATCH",  "/api/v1/admin/channels/{channel_id}",                     401,   403,   403,   404),
    ("DELETE", "/api/v1/admin/channels/{channel_id}",                     401,   403,   403,   404),
    ("POST",   "/api/v1/admin/channels/{channel_id}/test",                401,   403,   403,   404),
    # ── dashboard: signing in and out (signed-in browsers have no sign-in form token) ──────
    ("GET",    "/login",                                                  200,   303,   303,   303),
    ("POST",   "/login",                                                  303,   403,   403,   403),
    ("POST",   "/login/key",                                              303,   403,   403,   403),
    ("GET",    "/signup",                                                 200,   303,   303,   303),
    ("POST",   "/signup",                                                 303,   403,   403,   403),
    ("POST",   "/logout",                                                 LOGIN, 303,   303,   303),
    ("GET",    "/account",                                                LOGIN, 200,   200,   200),
    ("POST",   "/account/password",                                       LOGIN, 303,   303,   303),
    ("POST",   "/account/sessions/end",                                   LOGIN, 303,   303,   303),
    # ── dashboard: the account's pages ─────────────────────────────────────────────────────
    ("GET",    "/",                                                       LOGIN, 200,   200,   200),
    ("GET",    "/keys",                                                   LOGIN, 200,   200,   200),
    ("POST",   "/keys",                                                   LOGIN, 200,   200,   200),
    ("POST",   "/keys/{key_id}/rename",                                   LOGIN, 303,   303,   303),
    ("POST",   "/keys/{key_id}/limits",                                   LOGIN, 303,   303,   303),
    ("POST",   "/keys/{key_id}/rotate",                                   LOGIN, 303,   200,   303),
    ("POST",   "/keys/{key_id}/revoke",                                   LOGIN, 303,   303,   303),
    ("GET",    "/tasks",                                                  LOGIN, 200,   200,   200),
    ("GET",    "/tasks/{task_id}",                                        LOGIN, 404,   200,   404),
    ("POST",   "/tasks/{task_id}/cancel",                                 LOGIN, 303,   303,   303),
    ("GET",    "/usage",                                                  LOGIN, 200,   200,   200),
    ("GET",    "/usage.csv",                                              LOGIN, 200,   200,   200),
    ("GET",    "/webhooks",                                               LOGIN, 200,   200,   200),
    ("POST",   "/webhooks/secret/rotate",                                 LOGIN, 303,   303,   303),
    ("POST",   "/webhooks/{delivery_id}/replay",                          LOGIN, 303,   303,   303),
    ("GET",    "/models",                                                 200,   200,   200,   200),
    ("GET",    "/models/{slug:path}",                                     200,   200,   200,   200),
    ("GET",    "/requests",                                               LOGIN, 200,   200,   200),
    ("GET",    "/requests.csv",                                           LOGIN, 200,   200,   200),
    ("GET",    "/playground",                                             LOGIN, 200,   200,   200),
    ("GET",    "/billing",                                                LOGIN, 200,   200,   200),
    ("POST",   "/billing/redeem",                                         LOGIN, 303,   303,   303),
    ("POST",   "/billing/checkout",                                       LOGIN, 303,   303,   303),
    # ── dashboard: JSON endpoints of the playground ────────────────────────────────────────
    ("GET",    "/dashboard/api/models/{slug:path}",                       401,   200,   200,   200),
    ("POST",   "/dashboard/api/quotes",                                   401,   200,   200,   200),
    ("POST",   "/dashboard/api/run",                                      401,   202,   202,   202),
    ("POST",   "/dashboard/api/chat",                                     401,   200,   200,   200),
    ("POST",   "/dashboard/api/snippets",                                 401,   200,   200,   200),
    ("GET",    "/dashboard/api/tasks/{task_id}",                          401,   404,   200,   404),
    ("POST",   "/dashboard/api/tasks/{task_id}/cancel",                   401,   404,   200,   404),
    ("POST",   "/dashboard/api/uploads",                                  401,   201,   201,   201),
    ("POST",   "/dashboard/api/admin/prices/{slug:path}/preview",         401,   403,   403,   200),
    # ── dashboard: admin console ───────────────────────────────────────────────────────────
    ("GET",    "/admin",                                                  LOGIN, 403,   403,   303),
    ("GET",    "/admin/users",                                            LOGIN, 403,   403,   200),
    ("GET",    "/admin/users/{account_id}",                               LOGIN, 403,   403,   200),
    ("POST",   "/admin/users/{account_id}/credits",                       LOGIN, 403,   403,   303),
    ("POST",   "/admin/users/{account_id}/disable",                       LOGIN, 403,   403,   303),
    ("GET",    "/admin/models",                                           LOGIN, 403,   403,   200),
    ("GET",    "/admin/models/{slug:path}",                               LOGIN, 403,   403,   200),
    ("POST",   "/admin/models/{slug:path}",                               LOGIN, 403,   403,   303),
    ("GET",    "/admin/channels",                                         LOGIN, 403,   403,   200),
    # the test server runs the sandbox, without channels: the admin's probe is a 404 page
    ("POST",   "/admin/channels/test",                                    LOGIN, 403,   403,   404),
    ("POST",   "/admin/channels",                                         LOGIN, 403,   403,   400),
    ("GET",    "/admin/channels/{channel_id}/edit",                       LOGIN, 403,   403,   404),
    ("POST",   "/admin/channels/{channel_id}/delete",                     LOGIN, 403,   403,   404),
    ("POST",   "/admin/channels/{channel_id}/test",                       LOGIN, 403,   403,   404),
    ("GET",    "/admin/tasks",                                            LOGIN, 403,   403,   200),
    ("GET",    "/admin/tasks/{task_id}",                                  LOGIN, 403,   403,   200),
    ("GET",    "/admin/codes",                                            LOGIN, 403,   403,   200),
    ("POST",   "/admin/codes",                                            LOGIN, 403,   403,   200),
    ("GET",    "/admin/codes/{batch_id}",                                 LOGIN, 403,   403,   200),
    ("GET",    "/admin/audit",                                            LOGIN, 403,   403,   200),
    ("GET",    "/admin/audit.csv",                                        LOGIN, 403,   403,   200),
]
# fmt: on

# Routes answered as the API (key or nothing); every other route is the dashboard (session).
API_PREFIXES = (
    *("/api/", "/v1/", "/hooks/", "/files/"),
    *("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"),
)

IMAGE = {"model": "flux-2", "prompt": "a lighthouse"}
VIDEO = {"model": "kling-3", "prompt": "waves", "duration": 3, "aspect_ratio": "1:1"}
SONG = {"model": "chirp-v4-5", "prompt": "Verse: one short tune", "style": "pop", "title": "T"}
SLOW = {"model": "flux-2", "prompt": "a slow lighthouse sandbox:delay=3600"}
CHAT = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}
RESPONSE = {"model": "deepseek-chat", "input": "hi"}
MESSAGE = {**CHAT, "max_tokens": 20}


# ── the world: accounts, sessions, and the owner's resources ───────────────────────────────


@dataclass
class World:
    server: Server
    keys: dict[str, str | None]  # role -> API key (anon: None)
    api: dict[str, httpx.Client]  # role -> API client
    web: dict[str, httpx.Client]  # role -> dashboard browser (its session)
    csrf: dict[str, str]  # role -> the session's CSRF token
    ids: dict[str, str]  # placeholder -> the owner's resource
    owner_id: str
    password_email: str  # the other account signs in with it and PASSWORD
    receiver: Receiver

    @property
    def owner(self) -> httpx.Client:
        return self.api["owner"]

    @property
    def admin(self) -> httpx.Client:
        return self.api["admin"]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text[:500])
    return response.json()["data"]


def _account(admin: httpx.Client, prefix: str, credits: int) -> Account:
    email = f"authz-{prefix}-{generate_key()[-10:].lower()}@example.com"
    data = _ok(admin.post("/api/v1/admin/accounts", json={"email": email}), 201)
    grant = {"amount": credits, "reason": "authz matrix"}
    _ok(admin.post(f"/api/v1/admin/accounts/{data['id']}/credits", json=grant))
    return Account(id=data["id"], key=data["key"]["key"], email=email)


def _password_session(server: Server, key: str, email: str) -> tuple[httpx.Client, str]:
    """Give the account a password, then sign in with email and password (a real form login)."""
    keyed, token = session(server.url, key)
    changed = keyed.post("/account/password", data={"new_password": PASSWORD, "csrf_token": token})
    assert changed.status_code == 303, changed.text
    keyed.close()
    client = browser(server.url)
    page = client.get("/login").text
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token_of(page)}
    )
    assert response.status_code == 303, response.text
    return client, token_of(client.get("/account").text)


def _batch_id(admin_web: httpx.Client, csrf: str) -> str:
    page = admin_web.post(
        "/admin/codes", data={"credits": "5", "count": "1", "name": "authz", "csrf_token": csrf}
    )
    assert page.status_code == 200, page.text[:500]
    marker = 'href="/admin/codes/'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


@pytest.fixture(scope="module")
def world(server: Server, admin: httpx.Client) -> Iterator[World]:
    admin_key: str = server.admin_key  # type: ignore[attr-defined]
    owner = _account(admin, "owner", 100_000)
    other = _account(admin, "other", 100_000)
    me = _ok(admin.get("/api/v1/account"))
    if me["balance"] < 20_000:  # the admin account runs the work routes too
        top_up = {"amount": 20_000, "reason": "authz matrix"}
        _ok(admin.post(f"/api/v1/admin/accounts/{me['account_id']}/credits", json=top_up))
    keys: dict[str, str | None] = {
        "anon": None,
        "other": other.key,
        "owner": owner.key,
        "admin": admin_key,
    }
    api = {role: server.client(key) for role, key in keys.items()}
    web: dict[str, httpx.Client] = {"anon": browser(server.url)}
    csrf: dict[str, str] = {"anon": ""}
    web["owner"], csrf["owner"] = session(server.url, owner.key)
    web["admin"], csrf["admin"] = session(server.url, admin_key)
    web["other"], csrf["other"] = _password_session(server, other.key, other.email)

    with Receiver() as receiver:
        c = api["owner"]
        image = upload(c, "scene.png", png(64, 48), "image/png")
        face = upload(c, "face.png", png(40, 40, (200, 150, 120)), "image/png")
        audio = upload(
            c, "hum.wav", make_audio("hum", seed=1, duration=8.0, fmt="wav"), "audio/wav"
        )
        started = {
            "task_id": create(
                c, "/api/v1/images/generations", {**IMAGE, "callback_url": receiver.url}
            ),
            "video_id": create(c, "/api/v1/videos/generations", VIDEO),
            "song_id": create(c, "/api/v1/audio/music", SONG),
            "song2_id": create(c, "/api/v1/audio/music", SONG),
            "upload_cover_id": create(
                c,
                "/api/v1/audio/music/upload-cover/generate",
                {"audio_id": audio["id"], "custom_mode": True, "prompt": "la", "style": "jazz"},
            ),
        }
        slow_id = create(c, "/api/v1/images/generations", SLOW)
        done = {name: wait(c, task_id) for name, task_id in started.items()}
        for name, task in done.items():
            assert task["status"] == "SUCCESS", (name, task)
        cover_id = create(c, "/api/v1/audio/music/cover/generate", {"task_id": started["song_id"]})
        assert wait(c, cover_id)["status"] == "SUCCESS"
        feed = _ok(c.get("/api/v1/audio/music/feed", params={"task_id": started["song_id"]}))
        video_bytes = httpx.get(done["video_id"]["response"][0], timeout=30).content
        video = upload(c, "clip.mp4", video_bytes, "video/mp4")
        spare = _ok(c.post("/api/v1/keys", json={"name": "spare"}), 201)
        deadline = time.monotonic() + 20
        while (
            not (hooks := _ok(c.get(f"/api/v1/tasks/{started['task_id']}/webhooks"))["items"])
            or hooks[0]["status"] != "delivered"
        ):
            assert time.monotonic() < deadline, hooks
            time.sleep(0.05)
        result_path = httpx.URL(done["task_id"]["response"][0]).path.split("/")
        ids = {
            **{name: str(value) for name, value in started.items()},
            "slow_task_id": slow_id,
            "cover_id": cover_id,
            "clip_id": feed["response_data"][0]["id"],
            "upload_id": image["id"],
            "image_url": image["url"],
            "face_url": face["url"],
            "audio_upload_id": audio["id"],
            "video_url": video["url"],
            "key_id": spare["id"],
            "owner_key": owner.key,
            "delivery_id": hooks[0]["id"],
            "file_id": result_path[2],
            "name": result_path[3],
            "slug": "flux-2",
            "model_id": "flux-2",
            "account_id": owner.id,
            "token": "0" * 43,
            "path": "app.css",
            "channel": "sandbox-has-none",
            "batch_id": _batch_id(web["admin"], csrf["admin"]),
            "response_id": _ok_raw(c.post("/v1/responses", json=RESPONSE))["id"],
        }
        world = World(
            server=server,
            keys=keys,
            api=api,
            web=web,
            csrf=csrf,
            ids=ids,
            owner_id=owner.id,
            password_email=other.email,
            receiver=receiver,
        )
        yield world
        c.post(f"/api/v1/tasks/{slow_id}/cancel")
    for client in (*api.values(), *web.values()):
        client.close()


# ── throwaway resources, and guards that prove a refused call changed nothing ──────────────


def fresh_key(w: World, role: str) -> dict[str, str]:
    return {"key_id": _ok(w.owner.post("/api/v1/keys", json={"name": "throwaway"}), 201)["id"]}


def fresh_task(w: World, role: str) -> dict[str, str]:
    return {"task_id": create(w.owner, "/api/v1/images/generations", SLOW)}


def fresh_video(w: World, role: str) -> dict[str, str]:
    """A video of the owner's that has ended (failed: quick, and deletable)."""
    video_id = create(w.owner, "/api/v1/videos/generations", {**VIDEO, "prompt": "sandbox:fail"})
    assert wait(w.owner, video_id)["status"] == "FAILED"
    return {"video_id": video_id}


def fresh_account(w: World, role: str) -> dict[str, str]:
    return {"account_id": _account(w.admin, "throwaway", 10).id}


def fresh_session(w: World, role: str) -> tuple[httpx.Client, str]:
    key = w.keys[role]
    assert key is not None
    return session(w.server.url, key)


def spare_key(w: World) -> Any:
    keys = _ok(w.owner.get("/api/v1/keys"))["items"]
    return next(k for k in keys if k["id"] == w.ids["key_id"])


def fresh_response(w: World, role: str) -> dict[str, str]:
    return {"response_id": _ok_raw(w.owner.post("/v1/responses", json=RESPONSE))["id"]}


def owner_response(w: World) -> Any:
    """Whether the owner's stored response is still there."""
    return w.owner.get(f"/v1/responses/{w.ids['response_id']}").status_code


def _ok_raw(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def owner_video(w: World) -> Any:
    """Whether the owner's video and its file are still there."""
    task = _ok(w.owner.get(f"/api/v1/tasks/{w.ids['video_id']}"))
    shown = w.owner.get(f"/v1/videos/{w.ids['video_id']}").status_code
    return shown, [httpx.get(url, timeout=30).status_code for url in task["response"]]


def slow_task(w: World) -> Any:
    task = _ok(w.owner.get(f"/api/v1/tasks/{w.ids['slow_task_id']}"))
    return task["status"], task["phase"]


def deliveries(w: World) -> Any:
    """The owner's deliveries once settled (a redelivery the owner asked for has ended)."""
    deadline = time.monotonic() + 10
    while True:
        items = _ok(w.owner.get(f"/api/v1/tasks/{w.ids['task_id']}/webhooks"))["items"]
        if all(d["status"] in ("delivered", "failed") for d in items):
            return items, w.receiver.hits
        assert time.monotonic() < deadline, items
        time.sleep(0.05)


def owner_standing(w: World) -> Any:
    account = _ok(w.admin.get(f"/api/v1/admin/accounts/{w.owner_id}"))
    return account["disabled"], w.owner.get("/api/v1/account").status_code


def owner_grants(w: World) -> Any:
    return [
        row["id"] for row in _ok(w.owner.get("/api/v1/usage", params={"kind": "grant"}))["items"]
    ]


def owner_key_ids(w: World) -> Any:
    return sorted(k["id"] for k in _ok(w.owner.get("/api/v1/keys"))["items"])


def owner_secret(w: World) -> Any:
    return _ok(w.owner.get("/api/v1/account/webhook-secret"))["secret"]


def no_account_made(w: World, role: str, sent: dict[str, Any], _: httpx.Response) -> None:
    found = _ok(w.admin.get("/api/v1/admin/accounts", params={"search": sent["email"]}))
    assert found["items"] == [], found


def no_codes_made(w: World, role: str, sent: dict[str, Any], _: httpx.Response) -> None:
    assert sent["name"] not in w.web["admin"].get("/admin/codes").text


def input_refused(w: World, role: str, sent: dict[str, Any], response: httpx.Response) -> None:
    """A task whose input is another account's upload is taken (like one naming a file that
    does not exist) and then fails: the upload is never read for it, nothing is charged."""
    if response.status_code != 202:
        return
    task = wait(w.api[role], response.json()["data"]["task_id"])
    assert task["status"] == "FAILED", task
    assert "file not found" in task["error_message"] and task["response"] == [], task
    assert task["consumed_credits"] == 0, task


# ── how each route is called ───────────────────────────────────────────────────────────────

Body = dict[str, Any] | Callable[[World, str], dict[str, Any]]
Verify = Callable[[World, str, dict[str, Any], httpx.Response], None]


@dataclass(frozen=True)
class Spec:
    params: dict[str, Any] = field(default_factory=dict)
    json: Body | None = None
    form: Body | None = None
    upload: bool = False  # a multipart PNG in the field ``upload_field``
    upload_field: str = "file"
    alias: dict[str, str] = field(default_factory=dict)  # placeholder -> another id of ids
    fresh: Callable[[World, str], dict[str, str]] | None = None  # throwaway ids ...
    fresh_for: frozenset[str] = frozenset({"owner"})  # ... for these roles
    own_session: bool = False  # the call ends sessions: every role uses a throwaway one
    signed_out_form: bool = False  # a sign-in form: the anonymous browser gets its token first
    guard: Callable[[World], Any] | None = None  # a snapshot that the call must not change
    verify: Verify | None = None  # a check of the answer and of what was sent
    guarded: frozenset[str] | None = None  # roles checked by both; default: not fresh_for

    def guarded_roles(self) -> frozenset[str]:
        return self.guarded if self.guarded is not None else frozenset(ROLES) - self.fresh_for


ADMIN_FRESH = frozenset({"admin"})
NOT_MINE: dict[str, Any] = {"verify": input_refused, "guarded": frozenset({"other", "admin"})}


def probe_email(w: World, role: str) -> dict[str, Any]:
    return {"email": f"authz-probe-{role}-{generate_key()[-8:].lower()}@example.com"}


def signup_form(w: World, role: str) -> dict[str, Any]:
    return {**probe_email(w, role), "password": PASSWORD}


def codes_form(w: World, role: str) -> dict[str, Any]:
    return {"credits": "5", "count": "1", "name": f"authz-{role}-{generate_key()[-8:]}"}


SPECS: dict[tuple[str, str], Spec] = {
    ("POST", "/hooks/tasks/{task_id}/{token}"): Spec(json={"status": "succeeded"}),
    ("POST", "/billing/stripe/webhook"): Spec(json={"type": "checkout.session.completed"}),
    ("POST", "/api/v1/account/webhook-secret/rotate"): Spec(guard=owner_secret),
    ("POST", "/api/v1/quotes"): Spec(json={"path": "/api/v1/images/generations", "body": IMAGE}),
    ("POST", "/api/v1/keys"): Spec(json={"name": "made by the matrix"}),
    ("PATCH", "/api/v1/keys/{key_id}"): Spec(
        json={"name": "renamed"}, fresh=fresh_key, guard=spare_key
    ),
    ("POST", "/api/v1/keys/{key_id}/rotate"): Spec(fresh=fresh_key, guard=spare_key),
    ("DELETE", "/api/v1/keys/{key_id}"): Spec(fresh=fresh_key, guard=spare_key),
    ("POST", "/api/v1/chat/completions"): Spec(json=CHAT),
    ("POST", "/v1/chat/completions"): Spec(json=CHAT),
    ("POST", "/api/v1/responses"): Spec(json=RESPONSE),
    ("DELETE", "/api/v1/responses/{response_id}"): Spec(fresh=fresh_response, guard=owner_response),
    ("POST", "/v1/responses"): Spec(json=RESPONSE),
    ("DELETE", "/v1/responses/{response_id}"): Spec(fresh=fresh_response, guard=owner_response),
    ("POST", "/v1/messages"): Spec(json=MESSAGE),
    ("POST", "/v1/messages/count_tokens"): Spec(json=CHAT),
    ("POST", "/api/v1/images/generations"): Spec(json=IMAGE),
    ("POST", "/api/v1/videos/generations"): Spec(json=VIDEO),
    ("POST", "/api/v1/audio/music"): Spec(json=SONG),
    ("POST", "/api/v1/audio/music/extend"): Spec(
        json={"origin_task_id": "{song_id}", "extend_audio_index": 0}
    ),
    ("POST", "/api/v1/audio/music/cover/generate"): Spec(json={"task_id": "{song2_id}"}),
    ("POST", "/api/v1/audio/music/upload-cover/generate"): Spec(
        json={"audio_id": "{audio_upload_id}", "custom_mode": True, "prompt": "la", "style": "x"}
    ),
    ("POST", "/api/v1/audio/music/timestamped-lyrics"): Spec(
        json={"task_id": "{song_id}", "audio_id": "{clip_id}"}
    ),
    ("POST", "/api/v1/audio/speech"): Spec(
        json={"model": "elevenlabs-v3", "dialogue": [{"text": "Hi."}]}
    ),
    ("POST", "/api/v1/images/tools/remove-bg"): Spec(json={"image": "{image_url}"}, **NOT_MINE),
    ("POST", "/api/v1/images/tools/face-swap"): Spec(
        json={"image": "{image_url}", "face_image": "{face_url}"}, **NOT_MINE
    ),
    ("POST", "/api/v1/images/tools/upscale"): Spec(json={"image": "{image_url}"}, **NOT_MINE),
    ("POST", "/api/v1/videos/tools/bg-remover"): Spec(json={"video": "{video_url}"}, **NOT_MINE),
    ("POST", "/api/v1/videos/tools/upscale"): Spec(json={"video": "{video_url}"}, **NOT_MINE),
    ("POST", "/api/v1/tasks/{task_id}/cancel"): Spec(
        alias={"task_id": "slow_task_id"}, fresh=fresh_task, guard=slow_task
    ),
    ("GET", "/api/v1/audio/music/feed"): Spec(params={"task_id": "{song_id}"}),
    ("GET", "/api/v1/audio/music/cover/status"): Spec(params={"task_id": "{cover_id}"}),
    ("GET", "/api/v1/audio/music/upload-cover/status"): Spec(
        params={"task_id": "{upload_cover_id}"}
    ),
    ("POST", "/api/v1/uploads"): Spec(upload=True),
    ("POST", "/api/v1/tasks/{task_id}/webhooks/{delivery_id}/redeliver"): Spec(guard=deliveries),
    ("POST", "/v1/images/generations"): Spec(json=IMAGE),
    ("POST", "/v1/images/edits"): Spec(
        form={"model": "flux-2", "prompt": "a red square"}, upload=True, upload_field="image"
    ),
    ("POST", "/v1/videos"): Spec(json={"model": "kling-3", "prompt": "waves", "seconds": "4"}),
    ("GET", "/v1/videos/{video_id}"): Spec(),
    ("DELETE", "/v1/videos/{video_id}"): Spec(fresh=fresh_video, guard=owner_video),
    ("POST", "/v1/videos/{video_id}/remix"): Spec(json={"prompt": "waves again"}),
    ("POST", "/v1/videos/{action}"): Spec(
        json={}, fresh=lambda w, role: {"action": "edits"}, fresh_for=frozenset(ROLES)
    ),
    ("POST", "/v1/video/generations"): Spec(json={"model": "kling-3", "prompt": "waves"}),
    ("GET", "/v1/video/generations/{task_id}"): Spec(alias={"task_id": "video_id"}),
    ("POST", "/v1/audio/speech"): Spec(
        json={"model": "elevenlabs-v3", "voice": "narrator", "input": "Hi."}
    ),
    # admin API: the admin acts on throwaway accounts; everyone else aims at the owner
    ("POST", "/api/v1/admin/accounts"): Spec(
        json=probe_email, verify=no_account_made, guarded=frozenset({"anon", "other", "owner"})
    ),
    ("PATCH", "/api/v1/admin/accounts/{account_id}"): Spec(
        json={"disabled": True}, fresh=fresh_account, fresh_for=ADMIN_FRESH, guard=owner_standing
    ),
    ("POST", "/api/v1/admin/accounts/{account_id}/credits"): Spec(
        json={"amount": 7, "reason": "authz probe"},
        fresh=fresh_account,
        fresh_for=ADMIN_FRESH,
        guard=owner_grants,
    ),
    ("POST", "/api/v1/admin/accounts/{account_id}/keys"): Spec(
        json={"name": "planted"}, fresh=fresh_account, fresh_for=ADMIN_FRESH, guard=owner_key_ids
    ),
    ("DELETE", "/api/v1/admin/keys/{key_id}"): Spec(
        fresh=fresh_key, fresh_for=ADMIN_FRESH, guard=spare_key
    ),
    # dashboard
    ("POST", "/login"): Spec(
        form=lambda w, role: {"email": w.password_email, "password": PASSWORD},
        signed_out_form=True,
    ),
    ("POST", "/login/key"): Spec(form={"key": "{owner_key}"}, signed_out_form=True),
    ("POST", "/signup"): Spec(form=signup_form, signed_out_form=True),
    ("POST", "/logout"): Spec(form={}, own_session=True),
    ("POST", "/account/password"): Spec(
        form=lambda w, role: {"new_password": "short" if role == "admin" else PASSWORD},
        own_session=True,
    ),
    ("POST", "/account/sessions/end"): Spec(form={}, own_session=True),
    ("POST", "/keys"): Spec(form={"name": "made by the matrix"}),
    ("POST", "/keys/{key_id}/rename"): Spec(
        form={"name": "renamed"}, fresh=fresh_key, guard=spare_key
    ),
    ("POST", "/keys/{key_id}/limits"): Spec(
        form={"rate_limit": "1"}, fresh=fresh_key, guard=spare_key
    ),
    ("POST", "/keys/{key_id}/rotate"): Spec(form={}, fresh=fresh_key, guard=spare_key),
    ("POST", "/keys/{key_id}/revoke"): Spec(form={}, fresh=fresh_key, guard=spare_key),
    ("POST", "/tasks/{task_id}/cancel"): Spec(
        form={}, alias={"task_id": "slow_task_id"}, fresh=fresh_task, guard=slow_task
    ),
    ("POST", "/webhooks/secret/rotate"): Spec(form={}, guard=owner_secret),
    ("POST", "/webhooks/{delivery_id}/replay"): Spec(form={}, guard=deliveries),
    ("POST", "/billing/redeem"): Spec(form={"code": "NOT-A-CODE"}),
    ("POST", "/billing/checkout"): Spec(form={"package": "starter"}),
    ("POST", "/dashboard/api/quotes"): Spec(
        json={"path": "/api/v1/images/generations", "body": IMAGE}
    ),
    ("POST", "/dashboard/api/run"): Spec(
        json={"path": "/api/v1/images/generations", "body": IMAGE}
    ),
    ("POST", "/dashboard/api/snippets"): Spec(json={"model": "flux-2", "body": IMAGE}),
    ("POST", "/dashboard/api/chat"): Spec(json={"body": CHAT}),
    ("POST", "/dashboard/api/tasks/{task_id}/cancel"): Spec(
        json={}, alias={"task_id": "slow_task_id"}, fresh=fresh_task, guard=slow_task
    ),
    ("POST", "/dashboard/api/uploads"): Spec(upload=True),
    ("POST", "/dashboard/api/admin/prices/{slug:path}/preview"): Spec(
        json={"fields": {"kind": "table", "table_keys": ["type"], "row:pro": "5", "row:flex": "9"}}
    ),
    ("POST", "/admin/users/{account_id}/credits"): Spec(
        form={"direction": "grant", "amount": "7", "mode": "live", "reason": "authz probe"},
        fresh=fresh_account,
        fresh_for=ADMIN_FRESH,
        guard=owner_grants,
    ),
    ("POST", "/admin/users/{account_id}/disable"): Spec(
        form={"disabled": "1"}, fresh=fresh_account, fresh_for=ADMIN_FRESH, guard=owner_standing
    ),
    ("POST", "/admin/models/{slug:path}"): Spec(form={"action": "reset"}),
    ("POST", "/admin/channels/test"): Spec(form={"name": "{channel}"}),
    ("POST", "/api/v1/admin/channels"): Spec(json={"name": "matrix"}),
    ("GET", "/api/v1/admin/channels/{channel_id}"): Spec(alias={"channel_id": "key_id"}),
    ("PATCH", "/api/v1/admin/channels/{channel_id}"): Spec(
        json={"weight": 2}, alias={"channel_id": "key_id"}
    ),
    ("DELETE", "/api/v1/admin/channels/{channel_id}"): Spec(alias={"channel_id": "key_id"}),
    ("POST", "/api/v1/admin/channels/{channel_id}/test"): Spec(
        json={"model": "gemini"}, alias={"channel_id": "key_id"}
    ),
    ("POST", "/admin/channels"): Spec(form={"name": "matrix"}),
    ("GET", "/admin/channels/{channel_id}/edit"): Spec(alias={"channel_id": "key_id"}),
    ("POST", "/admin/channels/{channel_id}/delete"): Spec(form={}, alias={"channel_id": "key_id"}),
    ("POST", "/admin/channels/{channel_id}/test"): Spec(
        form={"route": "gemini"}, alias={"channel_id": "key_id"}
    ),
    ("POST", "/admin/codes"): Spec(
        form=codes_form, verify=no_codes_made, guarded=frozenset({"anon", "other", "owner"})
    ),
}


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def _body(body: Body | None, w: World, role: str, ids: dict[str, str]) -> dict[str, Any] | None:
    if body is None:
        return None
    filled: dict[str, Any] = fill(body(w, role) if callable(body) else body, ids)
    return filled


def call(w: World, method: str, path: str, role: str) -> tuple[httpx.Response, dict[str, Any]]:
    """Make the request of ``(method, path)`` as ``role``; returns the answer and the body."""
    spec = SPECS.get((method, path), Spec())
    ids = dict(w.ids)
    ids.update({name: w.ids[source] for name, source in spec.alias.items()})
    if spec.fresh is not None and role in spec.fresh_for:
        ids.update(spec.fresh(w, role))
    url = fill(path, ids)
    json_body = _body(spec.json, w, role, ids)
    form = _body(spec.form, w, role, ids)
    headers: dict[str, str] = {}
    files = {spec.upload_field: ("pic.png", png(32, 24), "image/png")} if spec.upload else None
    if is_api(path):
        return w.api[role].request(
            method, url, params=fill(spec.params, ids), json=json_body, data=form, files=files
        ), json_body or form or {}
    client, token = w.web[role], w.csrf[role]
    if spec.own_session and role != "anon":
        client, token = fresh_session(w, role)
    if spec.signed_out_form and role == "anon":
        client = browser(w.server.url)
        token = token_of(client.get("/login").text)
    if path.startswith("/dashboard/api/"):
        headers["X-CSRF-Token"] = token
    elif form is not None:
        form = {**form, "csrf_token": token}
    response = client.request(
        method,
        url,
        params=fill(spec.params, ids),
        json=json_body,
        data=form,
        files=files,
        headers=headers,
    )
    if spec.own_session and role != "anon":  # it ended the role's other sessions
        client.close()
        w.web[role], w.csrf[role] = fresh_session(w, role)
    return response, json_body or form or {}


def expectation(row: tuple[str, str, Expect, Expect, Expect, Expect], role: str) -> Expect:
    return row[2 + ("anon", "other", "owner", "admin").index(role)]


CASES = [
    pytest.param(row, role, id=f"{row[0]} {row[1]} as {role}") for row in MATRIX for role in ROLES
]


@pytest.mark.parametrize(("row", "role"), CASES)
def test_route_as_role(
    world: World, row: tuple[str, str, Expect, Expect, Expect, Expect], role: str
) -> None:
    method, path = row[0], row[1]
    spec = SPECS.get((method, path), Spec())
    guarded = role in spec.guarded_roles()
    before = spec.guard(world) if guarded and spec.guard else None
    response, sent = call(world, method, path, role)
    expected = expectation(row, role)
    shown = f"{method} {path} as {role}: {response.status_code} {response.text[:300]!r}"
    if expected == LOGIN:
        assert response.status_code == 303, shown
        assert response.headers["location"].startswith("/login"), shown
    else:
        assert response.status_code == expected, shown
    if path.startswith("/v1/messages") and response.status_code >= 400:
        assert response.json()["type"] == "error", shown  # Anthropic's error shape
    elif is_api(path) and response.status_code >= 400 and method != "HEAD":
        error = response.json()["error"]
        assert error["code"] == response.status_code, shown
    if guarded and spec.guard:
        assert spec.guard(world) == before, f"{shown}: it changed the owner's resource"
    if guarded and spec.verify:
        spec.verify(world, role, sent, response)


# ── the table is complete ──────────────────────────────────────────────────────────────────


def test_the_matrix_covers_every_route(tmp_path: Path) -> None:
    served = app_routes(tmp_path)
    table = {(row[0], row[1]) for row in MATRIX}
    assert len(table) == len(MATRIX), "a route appears twice in MATRIX"
    missing = sorted(served - table)
    assert not missing, f"routes without an authorization decision in MATRIX: {missing}"
    stale = sorted(table - served)
    assert not stale, f"MATRIX rows for routes the app no longer has: {stale}"
    assert set(SPECS) <= table, sorted(set(SPECS) - table)


def test_openapi_lists_only_routes_of_the_matrix(world: World) -> None:
    document = world.api["anon"].get("/openapi.json").json()
    table = {(row[0], row[1].replace(":path", "")) for row in MATRIX}
    for path, operations in document["paths"].items():
        for method in operations:
            assert (method.upper(), path) in table, (method, path)


# ── lists never show another account's items ──────────────────────────────────────────────


def owner_items(w: World) -> dict[str, set[str]]:
    c = w.owner
    tasks = {t["task_id"] for t in _ok(c.get("/api/v1/tasks", params={"limit": 100}))["items"]}
    keys = {k["id"] for k in _ok(c.get("/api/v1/keys"))["items"]}
    ledger = {r["id"] for r in _ok(c.get("/api/v1/usage", params={"limit": 200}))["items"]}
    assert {w.ids["task_id"], w.ids["slow_task_id"], w.ids["video_id"]} <= tasks
    assert w.ids["key_id"] in keys and ledger
    return {"tasks": tasks, "keys": keys, "ledger": ledger}


@pytest.mark.parametrize("role", ["other", "admin"])
def test_api_lists_hold_no_item_of_the_owner(world: World, role: str) -> None:
    mine = owner_items(world)
    c = world.api[role]
    tasks = {t["task_id"] for t in _ok(c.get("/api/v1/tasks", params={"limit": 100}))["items"]}
    assert tasks and not tasks & mine["tasks"]
    keys = {k["id"] for k in _ok(c.get("/api/v1/keys"))["items"]}
    assert keys and not keys & mine["keys"]
    for mode in ("live", "test"):
        rows = _ok(c.get("/api/v1/usage", params={"limit": 200, "mode": mode}))["items"]
        assert not {r["id"] for r in rows} & mine["ledger"]
    by_task = _ok(c.get("/api/v1/usage", params={"task_id": world.ids["task_id"]}))
    assert by_task["items"] == []
    by_model = _ok(c.get("/api/v1/tasks", params={"model": "chirp-v4-5", "limit": 100}))
    assert not {t["task_id"] for t in by_model["items"]} & mine["tasks"]
    videos = c.get("/v1/videos", params={"limit": 100})
    assert videos.status_code == 200, videos.text
    assert not {v["id"] for v in videos.json()["data"]} & mine["tasks"]


DASHBOARD_LISTS = ("/", "/tasks", "/keys", "/usage", "/usage.csv", "/webhooks", "/billing")


@pytest.mark.parametrize("role", ["other", "admin"])
def test_dashboard_pages_hold_no_item_of_the_owner(world: World, role: str) -> None:
    mine = owner_items(world)
    markers = {*mine["tasks"], *mine["keys"], world.ids["delivery_id"], world.ids["upload_id"]}
    own = {page: world.web["owner"].get(page).text for page in DASHBOARD_LISTS}
    assert any(task in own["/tasks"] for task in mine["tasks"])
    assert world.ids["task_id"] in own["/usage.csv"]
    assert world.ids["key_id"] in own["/keys"] and world.ids["delivery_id"] in own["/webhooks"]
    for page in DASHBOARD_LISTS:
        response = world.web[role].get(page)
        assert response.status_code == 200, (page, response.status_code)
        leaked = sorted(m for m in markers if m in response.text)
        assert not leaked, f"{page} as {role} shows the owner's {leaked}"


def test_an_idempotency_key_belongs_to_its_account(world: World) -> None:
    """The owner's Idempotency-Key, sent by another account with the same body, is a new
    request of that account: never the owner's saved answer (its task id)."""
    header = {"Idempotency-Key": f"authz-{generate_key()[-12:]}"}
    body = {**IMAGE, "prompt": "the same request"}
    first = world.owner.post("/api/v1/images/generations", json=body, headers=header)
    again = world.owner.post("/api/v1/images/generations", json=body, headers=header)
    mine = _ok(first, 202)["task_id"]
    assert _ok(again, 202)["task_id"] == mine
    for role in ("other", "admin"):
        theirs = _ok(
            world.api[role].post("/api/v1/images/generations", json=body, headers=header), 202
        )
        assert theirs["task_id"] != mine, role
        assert world.api[role].get(f"/api/v1/tasks/{mine}").status_code == 404
