"""Authentication and key management through HTTP against a real server process."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Account
from tests.support.server import Server, cli


def error_of(response: httpx.Response) -> dict[str, object]:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "type", "param"}
    assert body["error"]["code"] == response.status_code
    return body["error"]


def test_missing_malformed_and_unknown_keys_are_401(server: Server) -> None:
    with server.client() as anon:
        for path in ("/api/v1/account", "/api/v1/models", "/api/v1/usage"):
            r = anon.get(path)
            assert r.status_code == 401
            assert error_of(r)["type"] == "authentication_error"
        r = anon.get("/api/v1/account", headers={"Authorization": "Basic abc"})
        assert r.status_code == 401
        r = anon.get("/api/v1/account", headers={"Authorization": "Bearer aio_" + "x" * 43})
        assert r.status_code == 401
        assert error_of(r)["message"] == "Invalid API key"


def test_key_is_shown_once_and_listed_by_prefix_and_last4(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    assert acc.key.startswith("aio_") and len(acc.key) >= 4 + 43
    with server.client(acc.key) as c:
        created = c.post("/api/v1/keys", json={"name": "ci"})
        assert created.status_code == 201
        new_key = created.json()["data"]["key"]
        listed = c.get("/api/v1/keys").json()["data"]["items"]
    assert len(listed) == 2
    text = str(listed)
    assert acc.key not in text and new_key not in text
    mine = next(k for k in listed if k["name"] == "ci")
    assert mine["last4"] == new_key[-4:] and mine["prefix"] == "aio_"
    assert mine["display"] == f"aio_…{new_key[-4:]}"


def test_revoke_is_immediate_on_this_server(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        other = c.post("/api/v1/keys", json={"name": "to-revoke"}).json()["data"]
        with server.client(other["key"]) as victim:
            assert victim.get("/api/v1/account").status_code == 200
            r = c.delete(f"/api/v1/keys/{other['id']}")
            assert r.status_code == 200 and r.json()["data"]["status"] == "revoked"
            r = victim.get("/api/v1/account")
            assert r.status_code == 401
            assert "revoked" in str(error_of(r)["message"])


def test_revoke_from_another_process_applies_within_a_second(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        other = c.post("/api/v1/keys", json={"name": "cli-revoke"}).json()["data"]
    with server.client(other["key"]) as victim:
        assert victim.get("/api/v1/account").status_code == 200  # now cached
        cli(["keys", "revoke", other["id"]], server.env)
        time.sleep(1.0)
        assert victim.get("/api/v1/account").status_code == 401


def test_expired_key_is_401(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    with server.client(acc.key) as c:
        expired = c.post("/api/v1/keys", json={"expires_at": past}).json()["data"]
    assert expired["status"] == "expired"
    with server.client(expired["key"]) as c:
        r = c.get("/api/v1/account")
    assert r.status_code == 401 and "expired" in str(error_of(r)["message"])


def test_rotate_without_grace_stops_the_old_key(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        extra = c.post(
            "/api/v1/keys", json={"name": "rotating", "rate_limit_per_minute": 77}
        ).json()["data"]
        rotated = c.post(f"/api/v1/keys/{extra['id']}/rotate")
    assert rotated.status_code == 201
    data = rotated.json()["data"]
    assert data["name"] == "rotating" and data["rate_limit_per_minute"] == 77
    assert data["replaces"]["status"] == "revoked"
    with server.client(extra["key"]) as old, server.client(data["key"]) as new:
        assert old.get("/api/v1/account").status_code == 401
        assert new.get("/api/v1/account").status_code == 200


def test_rename_and_limits_update(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        k = c.post("/api/v1/keys", json={"name": "a"}).json()["data"]
        r = c.patch(f"/api/v1/keys/{k['id']}", json={"name": "b", "spend_cap": 50})
        assert r.status_code == 200
        assert r.json()["data"]["name"] == "b" and r.json()["data"]["spend_cap"] == 50
        r = c.patch(f"/api/v1/keys/{k['id']}", json={"allowed_models": ["no-such-model"]})
        assert r.status_code == 400 and error_of(r)["param"] == "allowed_models[0]"


def test_allow_list_forbids_other_models(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        k = c.post("/api/v1/keys", json={"allowed_models": ["flux-2"]}).json()["data"]
    with server.client(k["key"]) as limited:
        ok = limited.post(
            "/api/v1/quotes",
            json={
                "path": "/api/v1/images/generations",
                "body": {"model": "flux-2", "prompt": "a cat"},
            },
        )
        assert ok.status_code == 200
        r = limited.post(
            "/api/v1/quotes",
            json={
                "path": "/api/v1/images/generations",
                "body": {"model": "imagen-4", "prompt": "a cat"},
            },
        )
        assert r.status_code == 403 and error_of(r)["type"] == "permission_denied"
        names = [m["slug"] for m in limited.get("/api/v1/models").json()["data"]["items"]]
        assert names == ["flux-2"]
        # A restricted key cannot mint itself an unrestricted one.
        assert limited.post("/api/v1/keys", json={}).status_code == 403


def test_test_keys_use_the_test_wallet(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        t = c.post("/api/v1/keys", json={"test": True}).json()["data"]
    assert t["key"].startswith("aio_test_") and t["mode"] == "test"
    with server.client(t["key"]) as tc:
        data = tc.get("/api/v1/account").json()["data"]
    assert data["mode"] == "test"
    assert data["balance"] == data["test"]["balance"] > 0
    assert data["live"]["balance"] == 100


def test_admin_routes_need_an_admin(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        r = c.get("/api/v1/admin/accounts")
        assert r.status_code == 403 and error_of(r)["type"] == "permission_denied"
        assert (
            c.post(
                f"/api/v1/admin/accounts/{acc.id}/credits", json={"amount": 5, "reason": "x"}
            ).status_code
            == 403
        )


def test_disabled_account_is_refused(
    server: Server, admin: httpx.Client, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    assert (
        admin.patch(f"/api/v1/admin/accounts/{acc.id}", json={"disabled": True}).status_code == 200
    )
    with server.client(acc.key) as c:
        r = c.get("/api/v1/account")
    assert r.status_code == 403
    assert (
        admin.patch(f"/api/v1/admin/accounts/{acc.id}", json={"disabled": False}).status_code == 200
    )
