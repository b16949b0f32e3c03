"""The admin console: refused to anonymous users (login redirect) and non-admins (403);
an admin grants and deducts credits, disables accounts, and overrides prices."""

from __future__ import annotations

import httpx

from tests.dashboard.web import balance, browser, csrf, login_with_key, member, submit
from tests.support.server import Server

ADMIN_PAGES = (
    "/admin/users",
    "/admin/models",
    "/admin/models/flux-2",
    "/admin/channels",
    "/admin/tasks",
    "/admin/codes",
)


def _account_id(admin_web: httpx.Client, email: str) -> str:
    page = admin_web.get("/admin/users", params={"q": email}).text
    marker = 'href="/admin/users/'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_anonymous_visitors_are_sent_to_login(dash: Server) -> None:
    client = browser(dash.url)
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login?next=" + path


def test_members_are_refused_the_admin_pages(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Admins only" in response.text
    token = csrf(client)
    posts = {
        "/admin/codes": {"credits": "1000", "count": "1"},
        "/admin/models/flux-2": {"kind": "fixed", "base": "1", "action": "save"},
        "/admin/channels/test": {"name": "x"},
    }
    for path, data in posts.items():
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path


def test_admins_see_every_page(dash: Server, admin_web: httpx.Client) -> None:
    for path in ADMIN_PAGES:
        assert admin_web.get(path).status_code == 200, path


def test_an_admin_grants_and_deducts_with_a_reason(
    dash: Server, admin_web: httpx.Client, new_email: str
) -> None:
    user = member(dash, new_email)
    account_id = _account_id(admin_web, new_email)
    page = f"/admin/users/{account_id}"
    granted = submit(
        admin_web,
        page,
        f"{page}/credits",
        {"direction": "grant", "amount": "500", "mode": "live", "reason": "support #42"},
    )
    assert granted.status_code == 303
    assert balance(user) == 600
    deducted = submit(
        admin_web,
        page,
        f"{page}/credits",
        {"direction": "deduct", "amount": "50", "mode": "live", "reason": "correction"},
    )
    assert deducted.status_code == 303
    assert balance(user) == 550
    too_much = submit(
        admin_web,
        page,
        f"{page}/credits",
        {"direction": "deduct", "amount": "100000", "mode": "live", "reason": "too much"},
    )
    assert "Insufficient credits" in admin_web.get(too_much.headers["location"]).text
    assert balance(user) == 550
    usage = user.get("/usage").text
    assert "support #42 (by acc_" in usage and "correction (by acc_" in usage


def test_disabling_an_account_ends_its_sessions(
    dash: Server, admin_web: httpx.Client, new_email: str
) -> None:
    admin = {"Authorization": f"Bearer {dash.admin_key}"}  # type: ignore[attr-defined]
    created = httpx.post(
        f"{dash.url}/api/v1/admin/accounts", json={"email": new_email}, headers=admin
    ).json()["data"]
    key = created["key"]["key"]
    member_web = login_with_key(dash.url, key)
    page = f"/admin/users/{created['id']}"
    assert submit(admin_web, page, f"{page}/disable", {"disabled": "1"}).status_code == 303
    assert member_web.get("/keys").status_code == 303
    again = submit(browser(dash.url), "/login", "/login/key", {"key": key})
    assert again.status_code == 401
    assert submit(admin_web, page, f"{page}/disable", {"disabled": "0"}).status_code == 303
    assert login_with_key(dash.url, key).get("/keys").status_code == 200


def test_a_price_override_is_checked_applied_and_removed(
    dash: Server, admin_web: httpx.Client
) -> None:
    key = dash.admin_key  # type: ignore[attr-defined]
    api = httpx.Client(base_url=dash.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    body = {"path": "/api/v1/images/generations", "body": {"model": "cogview-4", "prompt": "a cat"}}
    assert api.post("/api/v1/quotes", json=body).json()["data"]["credits"] == 4
    page = "/admin/models/cogview-4"
    bad = submit(admin_web, page, page, {"kind": "fixed", "base": "-1", "action": "save"})
    assert bad.status_code == 400 and 'data-error-for="base"' in bad.text
    fields = {"kind": "table", "table_keys": "nope", "action": "save"}
    wrong = submit(admin_web, page, page, fields)
    assert wrong.status_code == 400 and 'data-error-for="table_keys"' in wrong.text
    assert api.post("/api/v1/quotes", json=body).json()["data"]["credits"] == 4
    saved = submit(admin_web, page, page, {"kind": "fixed", "base": "9", "action": "save"})
    assert saved.status_code == 303
    assert api.post("/api/v1/quotes", json=body).json()["data"]["credits"] == 9
    assert "override" in admin_web.get("/admin/models").text
    reset = submit(admin_web, page, page, {"action": "reset"})
    assert reset.status_code == 303
    assert api.post("/api/v1/quotes", json=body).json()["data"]["credits"] == 4
