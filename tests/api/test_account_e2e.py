"""Balance, held credits, the ledger as usage, and admin credit changes."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.api.test_auth_e2e import error_of
from tests.conftest import Account
from tests.support.server import Server


def test_new_account_has_the_signup_bonus_as_a_ledger_row(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        data = c.get("/api/v1/account").json()["data"]
        usage = c.get("/api/v1/usage").json()["data"]
    assert data["account_id"] == acc.id and data["email"] == acc.email
    assert (data["balance"], data["held"], data["mode"]) == (100, 0, "live")
    assert data["key"]["display"].endswith(acc.key[-4:]) and acc.key not in str(data)
    assert [(r["kind"], r["amount"], r["balance_after"]) for r in usage["items"]] == [
        ("bonus", 100, 100)
    ]
    assert usage["next_cursor"] is None


def test_admin_grant_and_deduct_write_ledger_rows(
    server: Server, admin: httpx.Client, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    url = f"/api/v1/admin/accounts/{acc.id}/credits"
    assert admin.post(url, json={"amount": 250, "reason": "promo"}).json()["data"]["balance"] == 350
    assert (
        admin.post(url, json={"amount": -50, "reason": "refund reversal"}).json()["data"]["balance"]
        == 300
    )
    r = admin.post(url, json={"amount": -301, "reason": "too much"})
    assert r.status_code == 402 and error_of(r)["type"] == "insufficient_credits"
    r = admin.post(url, json={"amount": 0, "reason": "nothing"})
    assert r.status_code == 400
    with server.client(acc.key) as c:
        assert c.get("/api/v1/account").json()["data"]["balance"] == 300
        items = c.get("/api/v1/usage").json()["data"]["items"]
    assert [(r["kind"], r["amount"]) for r in items] == [
        ("deduct", -50),
        ("grant", 250),
        ("bonus", 100),
    ]
    assert sum(r["amount"] for r in items) == 300
    assert "promo" in items[1]["reason"]


def test_usage_pagination_and_filters(
    server: Server, admin: httpx.Client, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    for amount in (1, 2, 3, 4, 5):
        admin.post(
            f"/api/v1/admin/accounts/{acc.id}/credits", json={"amount": amount, "reason": "p"}
        )
    seen: list[int] = []
    cursor = None
    with server.client(acc.key) as c:
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = c.get("/api/v1/usage", params=params).json()["data"]
            seen += [r["amount"] for r in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [5, 4, 3, 2, 1, 100]
        grants = c.get("/api/v1/usage", params={"kind": "grant"}).json()["data"]["items"]
        assert len(grants) == 5
        r = c.get("/api/v1/usage", params={"cursor": "not-a-cursor"})
        assert r.status_code == 400 and error_of(r)["param"] == "cursor"
        r = c.get("/api/v1/usage", params={"kind": "stolen"})
        assert r.status_code == 400 and error_of(r)["param"] == "kind"


def test_usage_is_only_ever_the_callers(
    server: Server, make_account: Callable[..., Account]
) -> None:
    a, b = make_account(), make_account()
    with server.client(a.key) as c:
        rows = c.get("/api/v1/usage").json()["data"]["items"]
    assert rows and all(r["key_id"] is None or r["key_id"].startswith("key_") for r in rows)
    with server.client(b.key) as c:
        mine = {r["id"] for r in c.get("/api/v1/usage").json()["data"]["items"]}
    assert mine.isdisjoint({r["id"] for r in rows})


def test_admin_lists_and_searches_accounts(
    admin: httpx.Client, make_account: Callable[..., Account]
) -> None:
    acc = make_account(prefix="findme")
    r = admin.get("/api/v1/admin/accounts", params={"search": acc.email})
    items = r.json()["data"]["items"]
    assert [i["id"] for i in items] == [acc.id]
    detail = admin.get(f"/api/v1/admin/accounts/{acc.id}").json()["data"]
    assert detail["live"] == {"balance": 100, "held": 0}
    keys = admin.get(f"/api/v1/admin/accounts/{acc.id}/keys").json()["data"]["items"]
    assert len(keys) == 1 and acc.key not in str(keys)
    assert admin.get("/api/v1/admin/accounts/acc_missing").status_code == 404
