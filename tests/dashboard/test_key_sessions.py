"""A dashboard session opened with an API key is that key: it ends when the key is revoked,
expires, is rotated (at the end of the grace) or can no longer sign in, and it has the key's
limits. Password sessions end when the password changes or the account is disabled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.dashboard.web import PASSWORD, browser, csrf, login_with_key, submit
from tests.support.clock import start_inside_one_window
from tests.support.server import Server, base_env

PAST = "2020-01-01T00:00:00Z"


def _api(server: Server, key: str) -> httpx.Client:
    return server.client(key)


def _account(server: Server, email: str) -> tuple[str, str]:
    """A new account through the admin API: its id and its default (full) key."""
    admin = server.client(server.admin_key)  # type: ignore[attr-defined]
    created = admin.post("/api/v1/admin/accounts", json={"email": email})
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    return data["id"], data["key"]["key"]


def _key(api: httpx.Client, **fields: object) -> dict[str, str]:
    made = api.post("/api/v1/keys", json={"name": "session key", **fields})
    assert made.status_code == 201, made.text
    data: dict[str, str] = made.json()["data"]
    return data


def _signed_in(client: httpx.Client) -> bool:
    """Whether the browser's session still opens a page (else: a redirect to /login)."""
    response = client.get("/keys")
    assert response.status_code in (200, 303), response.text[:300]
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login"), response.headers
    return response.status_code == 200


def _mint(client: httpx.Client, token: str) -> int:
    return client.post("/keys", data={"name": "minted", "csrf_token": token}).status_code


def test_a_session_ends_when_its_key_is_revoked(dash: Server, new_email: str) -> None:
    _, first = _account(dash, new_email)
    api = _api(dash, first)
    key = _key(api)
    session = login_with_key(dash.url, key["key"])
    token = csrf(session)
    assert _mint(session, token) == 200
    assert api.delete(f"/api/v1/keys/{key['id']}").status_code == 200
    assert _api(dash, key["key"]).get("/api/v1/account").status_code == 401
    assert not _signed_in(session)
    minted = session.post("/keys", data={"name": "after revoke", "csrf_token": token})
    assert minted.status_code == 303 and minted.headers["location"].startswith("/login")
    names = [k["name"] for k in api.get("/api/v1/keys").json()["data"]["items"]]
    assert "after revoke" not in names
    again = submit(browser(dash.url), "/login", "/login/key", {"key": key["key"]})
    assert again.status_code == 401


def test_a_session_ends_when_its_key_expires(dash: Server, new_email: str) -> None:
    _, first = _account(dash, new_email)
    api = _api(dash, first)
    key = _key(api)
    session = login_with_key(dash.url, key["key"])
    assert _signed_in(session)
    patched = api.patch(f"/api/v1/keys/{key['id']}", json={"expires_at": PAST})
    assert patched.status_code == 200 and patched.json()["data"]["status"] == "expired"
    assert not _signed_in(session)


def test_a_session_ends_when_its_key_rotates_without_grace(dash: Server, new_email: str) -> None:
    _, first = _account(dash, new_email)
    api = _api(dash, first)
    key = _key(api)
    session = login_with_key(dash.url, key["key"])
    assert _signed_in(session)
    rotated = api.post(f"/api/v1/keys/{key['id']}/rotate")
    assert rotated.status_code == 201, rotated.text
    assert not _signed_in(session)
    # The new key signs in a session of its own.
    assert _signed_in(login_with_key(dash.url, rotated.json()["data"]["key"]))


def test_a_session_ends_when_its_key_can_no_longer_sign_in(dash: Server, new_email: str) -> None:
    _, first = _account(dash, new_email)
    api = _api(dash, first)
    for limit in ({"allowed_models": ["flux-2"]}, {"spend_cap": 10}):
        key = _key(api)
        session = login_with_key(dash.url, key["key"])
        assert _signed_in(session)
        assert api.patch(f"/api/v1/keys/{key['id']}", json=limit).status_code == 200
        assert not _signed_in(session), limit


def test_a_password_change_ends_the_other_sessions(dash: Server, new_email: str) -> None:
    _, first = _account(dash, new_email)
    keyed = login_with_key(dash.url, first)
    assert (
        keyed.post(
            "/account/password", data={"new_password": PASSWORD, "csrf_token": csrf(keyed)}
        ).status_code
        == 303
    )
    by_password = browser(dash.url)
    login = {"email": new_email, "password": PASSWORD}
    assert submit(by_password, "/login", "/login", login).status_code == 303
    other_key = login_with_key(dash.url, first)
    changer = browser(dash.url)
    assert submit(changer, "/login", "/login", login).status_code == 303
    assert all(_signed_in(c) for c in (by_password, other_key, changer))
    changed = changer.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": PASSWORD + "!",
            "csrf_token": csrf(changer),
        },
    )
    assert changed.status_code == 303
    assert not _signed_in(by_password) and not _signed_in(other_key)
    assert _signed_in(changer)


def test_disabling_an_account_through_the_api_ends_its_sessions_for_good(
    dash: Server, new_email: str
) -> None:
    account_id, first = _account(dash, new_email)
    session = login_with_key(dash.url, first)
    assert _signed_in(session)
    admin = dash.client(dash.admin_key)  # type: ignore[attr-defined]
    path = f"/api/v1/admin/accounts/{account_id}"
    assert admin.patch(path, json={"disabled": True}).status_code == 200
    assert not _signed_in(session)
    assert admin.patch(path, json={"disabled": False}).status_code == 200
    assert not _signed_in(session)  # enabled again, the old session stays ended
    assert _signed_in(login_with_key(dash.url, first))


def _limits_of(api: httpx.Client, name: str) -> dict[str, object]:
    items = api.get("/api/v1/keys").json()["data"]["items"]
    found: dict[str, object] = next(k for k in items if k["name"] == name)
    return found


def test_a_session_mints_keys_only_within_its_key(dash: Server, new_email: str) -> None:
    _, first = _account(dash, new_email)
    api = _api(dash, first)
    expiring = _key(api, expires_at="2099-01-01T00:00:00Z", rate_limit_per_minute=50)
    session = login_with_key(dash.url, expiring["key"])
    token = csrf(session)
    page = session.post("/keys", data={"name": "inherits", "csrf_token": token})
    assert page.status_code == 200, page.text[:300]
    inherited = _limits_of(api, "inherits")
    assert inherited["expires_at"] == expiring["expires_at"]
    assert inherited["rate_limit_per_minute"] == 50
    later = session.post(
        "/keys", data={"name": "later", "expires_days": "30000", "csrf_token": token}
    )
    faster = session.post("/keys", data={"name": "faster", "rate_limit": "51", "csrf_token": token})
    assert later.status_code == faster.status_code == 403
    assert "expires_at" in later.text and "rate_limit_per_minute" in faster.text
    names = {k["name"] for k in api.get("/api/v1/keys").json()["data"]["items"]}
    assert not names & {"later", "faster"}
    # Nor can it lift the limits of a key it holds, its own included.
    lifted = session.post(
        f"/keys/{expiring['id']}/limits", data={"rate_limit": "1000", "csrf_token": token}
    )
    assert lifted.status_code == 403
    assert _limits_of(api, "session key")["rate_limit_per_minute"] == 50
    # A password would outlive the key: a session of a key with limits cannot set one.
    refused = session.post(
        "/account/password", data={"new_password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 403
    assert session.get("/account").status_code == 200


def test_a_sessions_requests_count_against_its_keys_rate(dash: Server, new_email: str) -> None:
    _, first = _account(dash, new_email)
    api = _api(dash, first)
    slow = _key(api, rate_limit_per_minute=3)
    session = login_with_key(dash.url, slow["key"])
    headers = {"X-CSRF-Token": csrf(session)}
    body = {"path": "/api/v1/images/generations", "body": {"model": "flux-2", "prompt": "a cat"}}
    start_inside_one_window()
    for _ in range(2):
        quoted = session.post("/dashboard/api/quotes", json=body, headers=headers)
        assert quoted.status_code == 200, quoted.text
    assert _api(dash, slow["key"]).get("/api/v1/account").status_code == 200
    limited = session.post("/dashboard/api/quotes", json=body, headers=headers)
    assert limited.status_code == 429, limited.text


def test_a_sessions_live_runs_are_its_keys_and_its_test_runs_are_not(
    dash: Server, new_email: str
) -> None:
    _, first = _account(dash, new_email)
    api = _api(dash, first)
    key = _key(api)
    session = login_with_key(dash.url, key["key"])
    headers = {"X-CSRF-Token": csrf(session)}
    body = {"model": "flux-2", "prompt": "a run by the key"}
    for mode in ("live", "test"):
        started = session.post(
            "/dashboard/api/run",
            json={"path": "/api/v1/images/generations", "body": body, "mode": mode},
            headers=headers,
        )
        assert started.status_code == 202, started.text
        task_id = started.json()["data"]["task_id"]
        params = {"task_id": task_id, "mode": mode, "kind": "hold"}
        rows = api.get("/api/v1/usage", params=params).json()["data"]["items"]
        assert len(rows) == 1, rows
        # A live run is the key's (its id, its spend); a live key spends no test credits.
        assert rows[0]["key_id"] == (key["id"] if mode == "live" else None)
    assert _limits_of(api, "session key")["spent"] == 5


@pytest.fixture(scope="module")
def graceful(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A gateway whose rotated keys work on for a few seconds."""
    data_dir: Path = tmp_path_factory.mktemp("grace")
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        APIINONE_ROTATION_GRACE_SECONDS="3",
    )
    server = Server(data_dir=data_dir, env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_a_session_ends_when_its_keys_rotation_grace_ends(graceful: Server) -> None:
    _, first = _account(graceful, f"grace-{generate_key()[-8:].lower()}@example.com")
    api = _api(graceful, first)
    key = _key(api)
    session = login_with_key(graceful.url, key["key"])
    rotated_at = time.monotonic()
    rotated = api.post(f"/api/v1/keys/{key['id']}/rotate")
    assert rotated.status_code == 201, rotated.text
    # During the grace the session works on, as the key does (unless the grace is over).
    assert _signed_in(session) or time.monotonic() - rotated_at >= 3
    deadline = time.monotonic() + 30
    while _signed_in(session):
        assert time.monotonic() < deadline, "the session outlived its key's rotation grace"
        time.sleep(0.2)
    assert _api(graceful, key["key"]).get("/api/v1/account").status_code == 401
