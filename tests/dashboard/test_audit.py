"""The audit trail: every admin action on every surface (admin API, console, CLI) is one
entry with who, when, what and before → after; listed with filters, paged, exported as
CSV; refused to non-admins; never holding a key, a code or any other secret."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx

from tests.dashboard.web import member, submit
from tests.support.server import Server, cli


def _api(dash: Server) -> httpx.Client:
    headers = {"Authorization": f"Bearer {dash.admin_key}"}  # type: ignore[attr-defined]
    return httpx.Client(base_url=dash.url, headers=headers, timeout=30)


def _entries(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v1/admin/audit", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["data"]["items"])


def _admin_id(api: httpx.Client) -> str:
    return str(api.get("/api/v1/account").json()["data"]["account_id"])


def test_admin_api_actions_are_recorded_with_before_and_after(dash: Server, new_email: str) -> None:
    api = _api(dash)
    admin_id = _admin_id(api)
    created = api.post("/api/v1/admin/accounts", json={"email": new_email})
    assert created.status_code == 201
    account_id = created.json()["data"]["id"]
    first_key = created.json()["data"]["key"]["key"]

    granted = api.post(
        f"/api/v1/admin/accounts/{account_id}/credits",
        json={"amount": 700, "reason": "pilot", "mode": "live"},
    )
    assert granted.status_code == 200
    deducted = api.post(
        f"/api/v1/admin/accounts/{account_id}/credits",
        json={"amount": -200, "reason": "correction", "mode": "live"},
    )
    assert deducted.status_code == 200
    key = api.post(f"/api/v1/admin/accounts/{account_id}/keys", json={"name": "ops"})
    assert key.status_code == 201
    key_id, raw_key = key.json()["data"]["id"], key.json()["data"]["key"]
    assert api.delete(f"/api/v1/admin/keys/{key_id}").status_code == 200
    assert api.delete(f"/api/v1/admin/keys/{key_id}").status_code == 200  # no change: no entry
    assert api.patch(f"/api/v1/admin/accounts/{account_id}", json={"disabled": True}).is_success
    assert api.patch(f"/api/v1/admin/accounts/{account_id}", json={"disabled": False}).is_success

    about_account = _entries(api, target=account_id)
    actions = [e["action"] for e in reversed(about_account)]
    assert actions == [
        "account.create",
        "credits.grant",
        "credits.deduct",
        "account.disable",
        "account.enable",
    ]
    assert all(e["actor_id"] == admin_id and e["via"] == "api" for e in about_account)
    grant = next(e for e in about_account if e["action"] == "credits.grant")
    assert grant["after"]["balance"] - grant["before"]["balance"] == 700
    assert grant["after"]["reason"] == "pilot"
    deduct = next(e for e in about_account if e["action"] == "credits.deduct")
    assert (deduct["before"]["balance"], deduct["after"]["balance"]) == (
        grant["after"]["balance"],
        grant["after"]["balance"] - 200,
    )
    disable = next(e for e in about_account if e["action"] == "account.disable")
    assert disable["before"] == {"disabled": False} and disable["after"] == {"disabled": True}

    about_key = _entries(api, target=key_id)
    assert [e["action"] for e in about_key] == ["key.revoke", "key.create"]
    assert about_key[0]["after"]["revoked_at"] is not None
    assert about_key[1]["after"]["account_id"] == account_id

    everything = api.get("/api/v1/admin/audit", params={"limit": 200}).text
    assert first_key not in everything and raw_key not in everything
    assert raw_key[-12:] not in everything


def test_console_and_cli_actions_are_recorded(
    dash: Server, admin_web: httpx.Client, new_email: str
) -> None:
    api = _api(dash)
    admin_id = _admin_id(api)
    member(dash, new_email)
    account_id = api.get("/api/v1/admin/accounts", params={"search": new_email}).json()["data"][
        "items"
    ][0]["id"]
    page = f"/admin/users/{account_id}"
    grant = {"direction": "grant", "amount": "300", "mode": "live", "reason": "support #7"}
    assert submit(admin_web, page, f"{page}/credits", grant).status_code == 303
    assert submit(admin_web, page, f"{page}/disable", {"disabled": "1"}).status_code == 303

    price_page = "/admin/models/flux-2"
    saved = submit(
        admin_web, price_page, price_page, {"kind": "fixed", "base": "77", "action": "save"}
    )
    assert saved.status_code == 303
    reset = submit(admin_web, price_page, price_page, {"action": "reset"})
    assert reset.status_code == 303

    codes = submit(admin_web, "/admin/codes", "/admin/codes", {"credits": "50", "count": "2"})
    assert codes.status_code == 200
    shown_codes = set(re.findall(r"AIO(?:-[0-9A-Z]{4}){4}", codes.text))
    assert len(shown_codes) == 2

    out = cli(["credits", "grant", account_id, "5", "--reason", "cli grant"], dash.env).stdout
    assert "balance" in out

    mine = _entries(api, target=account_id)
    by_action = {e["action"]: e for e in mine}
    assert by_action["credits.grant"]["via"] in ("console", "cli")
    console_grant = next(e for e in mine if e["via"] == "console" and "credits" in e["action"])
    assert console_grant["actor_id"] == admin_id
    assert console_grant["after"]["reason"] == "support #7"
    cli_grant = next(e for e in mine if e["via"] == "cli")
    assert cli_grant["actor_id"] is None and cli_grant["actor"].startswith("cli")
    assert cli_grant["after"]["balance"] - cli_grant["before"]["balance"] == 5
    assert by_action["account.disable"]["via"] == "console"

    prices = _entries(api, target="flux-2", action="price")
    assert [e["action"] for e in prices][:2] == ["price.reset", "price.set"]
    assert prices[1]["after"] == {"base": 77}
    assert prices[0]["before"] == {"base": 77}

    batches = _entries(api, action="codes.create")
    assert batches and batches[0]["after"]["count"] == 2 and batches[0]["after"]["credits"] == 50
    dump = api.get("/api/v1/admin/audit", params={"limit": 200}).text
    dump += api.get("/api/v1/admin/audit", params={"format": "csv"}).text
    for code in shown_codes:
        assert code not in dump


def test_filters_paging_csv_and_the_console_page(
    dash: Server, admin_web: httpx.Client, new_email: str
) -> None:
    api = _api(dash)
    created = api.post("/api/v1/admin/accounts", json={"email": new_email, "create_key": False})
    account_id = created.json()["data"]["id"]
    for amount in (11, 12, 13):
        api.post(
            f"/api/v1/admin/accounts/{account_id}/credits",
            json={"amount": amount, "reason": "=HYPERLINK(1)", "mode": "test"},
        )
    first = api.get(
        "/api/v1/admin/audit", params={"target": account_id, "action": "credits", "limit": 2}
    ).json()["data"]
    assert len(first["items"]) == 2 and first["has_more"] is True
    rest = api.get(
        "/api/v1/admin/audit",
        params={
            "target": account_id,
            "action": "credits",
            "limit": 2,
            "cursor": first["next_cursor"],
        },
    ).json()["data"]
    amounts = [e["after"]["balance"] - e["before"]["balance"] for e in first["items"]]
    amounts += [e["after"]["balance"] - e["before"]["balance"] for e in rest["items"]]
    assert amounts == [13, 12, 11] and rest["has_more"] is False
    assert (
        api.get("/api/v1/admin/audit", params={"target": account_id, "since": "2999-01-01"}).json()[
            "data"
        ]["items"]
        == []
    )
    bad = api.get("/api/v1/admin/audit", params={"since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "since"

    exported = api.get("/api/v1/admin/audit", params={"target": account_id, "format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == [
        "credits.grant",
        "credits.grant",
        "credits.grant",
        "account.create",
    ]
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())

    html = admin_web.get("/admin/audit", params={"target": account_id}).text
    assert html.count("credits.grant</span>") == 3 and account_id in html
    console_csv = admin_web.get("/admin/audit.csv", params={"target": account_id})
    assert console_csv.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(console_csv.text)))) == 4


def test_non_admins_cannot_read_the_trail(dash: Server, new_email: str) -> None:
    user = member(dash, new_email)
    assert user.get("/admin/audit").status_code == 403
    assert user.get("/admin/audit.csv").status_code == 403
    api = _api(dash)
    created = api.post("/api/v1/admin/accounts", json={"email": "x" + new_email})
    key = created.json()["data"]["key"]["key"]
    refused = httpx.get(
        f"{dash.url}/api/v1/admin/audit", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert refused.status_code == 403
