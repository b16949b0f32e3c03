"""The powers matrix: a key's powers bound everything done with it (DESIGN.md section 10).

The authorization matrix (``test_authz_matrix.py``) says which *account* may call a route;
this one says which *kind of key*, and which kind of dashboard session, may call the routes
that hold powers beyond spending: minting or changing keys, reading or rotating the webhook
secret, reading the ledger, changing account settings, granting or deducting credits.

Every key here belongs to one admin account (so the admin routes are in the table too):

- ``full``:     a live key without limits;
- ``models``:   an allow-list (``flux-2``);         ``capped``:  a spend cap;
- ``expiring``: an expiry (a day from now);         ``limited``: its own rate limit;
- ``test``:     a test key.

Sessions, on the same account: ``password`` (an email and password login), ``key`` (opened
with the ``full`` key), ``key-expiring`` and ``key-limited`` (opened with those keys). Keys
with an allow-list or a spend cap and test keys cannot open a session at all (the
``POST /login/key`` row).

Decisions the table encodes (docs/security.md, "Key powers"):

- Keys, the webhook secret, the live ledger and the admin routes need a live key without an
  allow-list or spend cap (403 otherwise); ``GET /api/v1/account`` withholds
  ``webhook_secret`` (``null``) from the others; a test key reads the test ledger only.
- A key mints and changes keys only within its own expiry and rate limit: a limit left out
  is the key's own, a limit beyond it is a 403 naming the field. Every key a call here
  creates is checked to lie within the limits of the key (or session) that made it.
- A session has its key's powers; a session opened with a key that has an expiry or a rate
  limit cannot set the password (a password has neither).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.dashboard.web import PASSWORD, browser, submit, token_of
from tests.security.authz_support import fill, session
from tests.support.server import Server

KEY_ROLES = ("full", "models", "capped", "expiring", "limited", "test")
SESSION_ROLES = ("password", "key", "key-expiring", "key-limited")
SESSION_KEY = {"key": "full", "key-expiring": "expiring", "key-limited": "limited"}
RATE = 50_000  # the limited key's rate; the server's default is 100,000
EXPIRY = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
LATER = (EXPIRY + timedelta(days=1)).isoformat()
SECRET = "secret"  # GET /api/v1/account shows webhook_secret
WITHHELD = "withheld"  # ... or withholds it (null)

Expect = int | str | tuple[int, str]  # a status, an outcome, or 403 and the field it names


# ── the world: one admin account, its keys and sessions, and an account to act on ─────────


@dataclass
class World:
    server: Server
    keys: dict[str, dict[str, Any]]  # role -> the key's record, with "key"
    api: dict[str, httpx.Client]
    web: dict[str, httpx.Client]
    csrf: dict[str, str]
    member_id: str
    email: str

    root: httpx.Client  # another key without limits: makes fresh keys, reads guards, undoes

    def limits(self, role: str) -> dict[str, Any]:
        """The minting key's limits: a session role's key, or none for a password session."""
        name = SESSION_KEY.get(role, role)
        return {} if role == "password" else self.keys[name]


def _data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (str(response.request.url), response.text[:400])
    return response.json()["data"]


def _password_session(server: Server, email: str) -> tuple[httpx.Client, str]:
    client = browser(server.url)
    response = submit(client, "/login", "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return client, token_of(client.get("/account").text)


def _sessions(w: World, keep: str | None = None) -> None:
    """(Re)open every session role's session but ``keep``'s."""
    for role in SESSION_ROLES:
        if role == keep:
            continue
        if role in w.web:
            w.web[role].close()
        if role == "password":
            w.web[role], w.csrf[role] = _password_session(w.server, w.email)
        else:
            w.web[role], w.csrf[role] = session(w.server.url, w.keys[SESSION_KEY[role]]["key"])


@pytest.fixture(scope="module")
def world(server: Server, admin: httpx.Client) -> Iterator[World]:
    email = f"powers-{generate_key()[-10:].lower()}@example.com"
    boss = _data(admin.post("/api/v1/admin/accounts", json={"email": email, "is_admin": True}), 201)
    member = _data(admin.post("/api/v1/admin/accounts", json={"email": "member-" + email}), 201)
    full = boss["key"]
    with server.client(full["key"]) as c:
        made = {
            "models": {"allowed_models": ["flux-2"]},
            "capped": {"spend_cap": 1000},
            "expiring": {"expires_at": EXPIRY.isoformat()},
            "limited": {"rate_limit_per_minute": RATE},
            "test": {"test": True},
        }
        keys = {"full": full} | {
            role: _data(c.post("/api/v1/keys", json={"name": role, **fields}), 201)
            for role, fields in made.items()
        }
        root = _data(c.post("/api/v1/keys", json={"name": "root"}), 201)["key"]
        keyed, token = session(server.url, full["key"])
        set_password = {"new_password": PASSWORD, "csrf_token": token}
        assert keyed.post("/account/password", data=set_password).status_code == 303
        keyed.close()
    w = World(
        server=server,
        keys=keys,
        api={role: server.client(keys[role]["key"]) for role in KEY_ROLES},
        web={},
        csrf={},
        member_id=member["id"],
        email=email,
        root=server.client(root),
    )
    _sessions(w)
    yield w
    for client in (*w.api.values(), *w.web.values(), w.root):
        client.close()


# ── checks of what a call made, and guards of what a refused call must not change ─────────


def minted_within(w: World, role: str, minted: dict[str, Any]) -> None:
    """A key made by ``role`` has limits within the minting key's own."""
    own = w.limits(role)
    if own.get("expires_at") is not None:
        assert minted["expires_at"] is not None and minted["expires_at"] <= own["expires_at"]
    if own.get("rate_limit_per_minute") is not None:
        assert minted["rate_limit_per_minute"] is not None
        assert minted["rate_limit_per_minute"] <= own["rate_limit_per_minute"]


def secret(w: World) -> Any:
    return _data(w.root.get("/api/v1/account/webhook-secret"))["secret"]


def member_balance(w: World) -> Any:
    return _data(w.root.get(f"/api/v1/admin/accounts/{w.member_id}"))["live"]["balance"]


def key_list(w: World) -> Any:
    return sorted(
        (k["id"], k["expires_at"], k["rate_limit_per_minute"])
        for k in _data(w.root.get("/api/v1/keys"))["items"]
    )


def fresh_key(w: World) -> dict[str, str]:
    return {"fresh_key_id": _data(w.root.post("/api/v1/keys", json={"name": "fresh"}), 201)["id"]}


# ── the API, as each kind of key ───────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    form: dict[str, str] | None = None
    fresh: Callable[[World], dict[str, str]] | None = None
    guard: Callable[[World], Any] | None = None
    mints: bool = False  # the answer is a new key (API) / the call makes keys (dashboard)
    undo: dict[str, Any] | None = None  # on success, the root key sets this on the own key


ADMIN_EMAIL = {"email": "{probe_email}"}
GRANT = {"amount": 7, "reason": "powers matrix"}
DEDUCT = {"amount": -7, "reason": "powers matrix"}

# fmt: off
#  the call                                                              full  models capped expiring              limited                         test
API: list[tuple[str, Call, tuple[Expect, ...]]] = [
    ("mint",               Call("POST", "/api/v1/keys", {"name": "m"}, mints=True),
                                                                    (201, 403, 403, 201,                 201,                            403)),
    ("mint later",         Call("POST", "/api/v1/keys", {"name": "m", "expires_at": LATER}, mints=True),
                                                                    (201, 403, 403, (403, "expires_at"), 201,                            403)),
    ("mint faster",        Call("POST", "/api/v1/keys", {"name": "m", "rate_limit_per_minute": RATE + 1}, mints=True),
                                                                    (201, 403, 403, 201,                 (403, "rate_limit_per_minute"), 403)),
    ("mint live",          Call("POST", "/api/v1/keys", {"name": "m", "test": False}, mints=True),
                                                                    (201, 403, 403, 201,                 201,                            403)),
    ("extend a key",       Call("PATCH", "/api/v1/keys/{fresh_key_id}", {"expires_at": LATER}, fresh=fresh_key, guard=key_list),
                                                                    (200, 403, 403, (403, "expires_at"), 200,                            403)),
    ("speed up a key",     Call("PATCH", "/api/v1/keys/{fresh_key_id}", {"rate_limit_per_minute": RATE + 1}, fresh=fresh_key, guard=key_list),
                                                                    (200, 403, 403, 200,                 (403, "rate_limit_per_minute"), 403)),
    ("extend itself",      Call("PATCH", "/api/v1/keys/{own_key_id}", {"expires_at": LATER}, guard=key_list, undo={"expires_at": None}),
                                                                    (200, 403, 403, (403, "expires_at"), 200,                            403)),
    ("rotate a key",       Call("POST", "/api/v1/keys/{fresh_key_id}/rotate", fresh=fresh_key, mints=True),
                                                                    (201, 403, 403, 201,                 201,                            403)),
    ("account",            Call("GET", "/api/v1/account"),
                                                                    (SECRET, WITHHELD, WITHHELD, SECRET, SECRET,                         WITHHELD)),
    ("read secret",        Call("GET", "/api/v1/account/webhook-secret"),
                                                                    (200, 403, 403, 200,                 200,                            403)),
    ("rotate secret",      Call("POST", "/api/v1/account/webhook-secret/rotate", guard=secret),
                                                                    (200, 403, 403, 200,                 200,                            403)),
    ("ledger",             Call("GET", "/api/v1/usage"),
                                                                    (200, (403, "mode"), (403, "mode"), 200, 200,                        200)),
    ("live ledger",        Call("GET", "/api/v1/usage", params={"mode": "live"}),
                                                                    (200, (403, "mode"), (403, "mode"), 200, 200,                        (403, "mode"))),
    ("test ledger",        Call("GET", "/api/v1/usage", params={"mode": "test"}),
                                                                    (200, (403, "mode"), (403, "mode"), 200, 200,                        200)),
    ("admin: account",     Call("POST", "/api/v1/admin/accounts", ADMIN_EMAIL, mints=True),
                                                                    (201, 403, 403, 201,                 201,                            403)),
    ("admin: mint",        Call("POST", "/api/v1/admin/accounts/{member_id}/keys", {"name": "m"}, mints=True),
                                                                    (201, 403, 403, 201,                 201,                            403)),
    ("admin: mint later",  Call("POST", "/api/v1/admin/accounts/{member_id}/keys", {"name": "m", "expires_at": LATER}, mints=True),
                                                                    (201, 403, 403, (403, "expires_at"), 201,                            403)),
    ("admin: grant",       Call("POST", "/api/v1/admin/accounts/{member_id}/credits", GRANT, guard=member_balance),
                                                                    (200, 403, 403, 200,                 200,                            403)),
    ("admin: deduct",      Call("POST", "/api/v1/admin/accounts/{member_id}/credits", DEDUCT, guard=member_balance),
                                                                    (200, 403, 403, 200,                 200,                            403)),
    ("admin: settings",    Call("PATCH", "/api/v1/admin/accounts/{member_id}", {"disabled": False}),
                                                                    (200, 403, 403, 200,                 200,                            403)),
    ("sign in with it",    Call("POST", "/login/key", form={"key": "{own_key}"}),
                                                                    (303, 401, 401, 303,                 303,                            401)),
]
# fmt: on


def _ids(w: World, role: str, call: Call) -> dict[str, str]:
    ids = {
        "member_id": w.member_id,
        "own_key_id": w.keys[role]["id"],
        "own_key": w.keys[role]["key"],
        "probe_email": f"powers-probe-{generate_key()[-10:].lower()}@example.com",
    }
    if call.fresh is not None:
        ids.update(call.fresh(w))
    return ids


def _observe(call: Call, response: httpx.Response) -> Expect:
    if call.path == "/api/v1/account":
        shown = _data(response)["webhook_secret"]
        assert shown is None or shown.startswith("whsec_"), shown
        return SECRET if shown else WITHHELD
    if response.status_code == 403 and response.headers["content-type"].startswith("application"):
        error = response.json()["error"]
        assert error["type"] == "permission_denied", error
        if error["param"]:
            return (403, error["param"])
    return response.status_code


def _sign_in(w: World, form: dict[str, str]) -> httpx.Response:
    client = browser(w.server.url)
    response = submit(client, "/login", "/login/key", form)
    client.close()
    return response


API_CASES = [
    pytest.param(call, role, expected, id=f"{label} as {role}")
    for label, call, row in API
    for role, expected in zip(KEY_ROLES, row, strict=True)
]


@pytest.mark.parametrize(("call", "role", "expected"), API_CASES)
def test_key_powers(world: World, call: Call, role: str, expected: Expect) -> None:
    ids = _ids(world, role, call)
    refused = isinstance(expected, tuple) or expected in (401, 403)
    before = call.guard(world) if call.guard and refused else None
    if call.form is not None:
        response = _sign_in(world, fill(call.form, ids))
    else:
        response = world.api[role].request(
            call.method, fill(call.path, ids), json=fill(call.json, ids), params=call.params
        )
    assert _observe(call, response) == expected, (call.path, role, response.text[:300])
    if before is not None:
        assert call.guard(world) == before, f"{call.path} as {role} changed something"  # type: ignore[misc]
    if call.mints and response.status_code == 201:
        data = response.json()["data"]
        minted_within(world, role, data["key"] if "email" in data else data)
    if call.undo is not None and response.status_code == 200:
        undone = world.root.patch(f"/api/v1/keys/{ids['own_key_id']}", json=call.undo)
        assert undone.status_code == 200, undone.text


# ── the dashboard, as each kind of session ─────────────────────────────────────────────────

PASSWORD_FORM = {"current_password": PASSWORD, "new_password": PASSWORD}

# fmt: off
#  the call                                                                      password  key  key-expiring         key-limited
WEB: list[tuple[str, Call, tuple[Expect, ...]]] = [
    ("mint",            Call("POST", "/keys", form={"name": "w"}, mints=True),          (200, 200, 200,                200)),
    ("mint later",      Call("POST", "/keys", form={"name": "w", "expires_days": "3"}, mints=True, guard=key_list),
                                                                                        (200, 200, 403,                200)),
    ("mint faster",     Call("POST", "/keys", form={"name": "w", "rate_limit": str(RATE + 1)}, mints=True, guard=key_list),
                                                                                        (200, 200, 200,                403)),
    ("speed up a key",  Call("POST", "/keys/{fresh_key_id}/limits", form={"rate_limit": str(RATE + 1)}, fresh=fresh_key, guard=key_list),
                                                                                        (303, 303, 303,                403)),
    ("rotate a key",    Call("POST", "/keys/{fresh_key_id}/rotate", form={}, fresh=fresh_key, mints=True),
                                                                                        (200, 200, 200,                200)),
    ("read secret",     Call("GET", "/webhooks"),                                       (200, 200, 200,                200)),
    ("rotate secret",   Call("POST", "/webhooks/secret/rotate", form={}),               (303, 303, 303,                303)),
    ("ledger",          Call("GET", "/usage"),                                          (200, 200, 200,                200)),
    ("ledger as CSV",   Call("GET", "/usage.csv"),                                      (200, 200, 200,                200)),
    ("set password",    Call("POST", "/account/password", form=PASSWORD_FORM),          (303, 303, 403,                403)),
    ("end sessions",    Call("POST", "/account/sessions/end", form={}),                 (303, 303, 303,                303)),
    ("admin: grant",    Call("POST", "/admin/users/{member_id}/credits", form={"direction": "grant", "amount": "7", "mode": "live", "reason": "powers"}),
                                                                                        (303, 303, 303,                303)),
    ("admin: deduct",   Call("POST", "/admin/users/{member_id}/credits", form={"direction": "deduct", "amount": "7", "mode": "live", "reason": "powers"}),
                                                                                        (303, 303, 303,                303)),
]
# fmt: on

ENDS_SESSIONS = ("/account/password", "/account/sessions/end")

WEB_CASES = [
    pytest.param(call, role, expected, id=f"{label} as {role}")
    for label, call, row in WEB
    for role, expected in zip(SESSION_ROLES, row, strict=True)
]


def _new_keys(w: World, before: set[str]) -> list[dict[str, Any]]:
    return [k for k in _data(w.root.get("/api/v1/keys"))["items"] if k["id"] not in before]


@pytest.mark.parametrize(("call", "role", "expected"), WEB_CASES)
def test_session_powers(world: World, call: Call, role: str, expected: Expect) -> None:
    ids = {"member_id": world.member_id}
    if call.fresh is not None:
        ids.update(call.fresh(world))
    known = {k["id"] for k in _data(world.root.get("/api/v1/keys"))["items"]}
    before = call.guard(world) if call.guard and expected == 403 else None
    client = world.web[role]
    form = None if call.form is None else {**fill(call.form, ids), "csrf_token": world.csrf[role]}
    response = client.request(call.method, fill(call.path, ids), data=form)
    assert response.status_code == expected, (call.path, role, response.text[:300])
    if call.path == "/webhooks":
        assert re.search(r"whsec_[A-Za-z0-9+/=]{20,}", response.text)
    if before is not None:
        assert call.guard(world) == before, f"{call.path} as {role} changed something"  # type: ignore[misc]
    if call.mints and response.status_code == 200:
        made = _new_keys(world, known)
        assert made, f"{call.path} as {role} made no key"
        for key in made:
            minted_within(world, role, key)
    if call.path in ENDS_SESSIONS and response.status_code == 303:
        _sessions(world, keep=role)  # it ended the other sessions of the account
