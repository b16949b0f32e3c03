"""Sign-up, login, logout and the session cookie; CSRF; the login rate limit; headers."""

from __future__ import annotations

import hashlib
import re

import httpx

from tests.dashboard.conftest import LOGIN_LIMIT
from tests.dashboard.web import PASSWORD, browser, csrf, member, signup, submit, token_of
from tests.support.clock import start_inside_one_window
from tests.support.server import Server, stored_bytes


def _cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def test_signup_signs_in_with_a_safe_cookie_and_the_bonus(dash: Server, new_email: str) -> None:
    client = browser(dash.url)
    response = submit(
        client, "/signup", "/signup", {"email": new_email, "password": PASSWORD, "name": "Ada"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/keys"
    cookie = _cookie(response, "aio_session")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test below
    overview = client.get("/")
    assert overview.status_code == 200
    assert 'data-testid="balance">100<' in overview.text
    usage = client.get("/usage").text
    assert "sign-up bonus" in usage and "bonus" in usage


def test_sessions_are_stored_hashed(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    token = client.cookies["aio_session"]
    stored = stored_bytes(dash.data_dir)
    assert token.encode() not in stored
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored


def test_a_weak_password_or_a_taken_email_is_refused(dash: Server, new_email: str) -> None:
    client = browser(dash.url)
    short = submit(client, "/signup", "/signup", {"email": new_email, "password": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    signup(dash.url, new_email)
    again = submit(client, "/signup", "/signup", {"email": new_email, "password": PASSWORD})
    assert again.status_code == 400 and "already exists" in again.text


def test_login_issues_a_new_session_and_logout_ends_it(dash: Server, new_email: str) -> None:
    signup(dash.url, new_email).close()
    client = browser(dash.url)
    # A session id planted before login (fixation) is never the one that gets signed in.
    client.cookies.set("aio_session", "planted-by-an-attacker", domain="127.0.0.1")
    first = submit(client, "/login", "/login", {"email": new_email, "password": PASSWORD})
    assert first.status_code == 303
    current = client.cookies["aio_session"]
    assert current != "planted-by-an-attacker" and len(current) >= 43
    other = browser(dash.url)
    assert (
        submit(other, "/login", "/login", {"email": new_email, "password": PASSWORD}).status_code
        == 303
    )
    assert other.cookies["aio_session"] != current
    assert client.get("/login").status_code == 303  # signed in: the login page moves on
    logout = client.post("/logout", data={"csrf_token": csrf(client)})
    assert logout.status_code == 303 and logout.headers["location"] == "/login"
    with browser(dash.url, cookies={"aio_session": current}) as ended:
        response = ended.get("/keys")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/keys")
    assert other.get("/keys").status_code == 200  # other sessions are not touched


def test_cookies_are_secure_over_https(dash: Server, new_email: str) -> None:
    # uvicorn trusts X-Forwarded-Proto from loopback: the request counts as https.
    client = browser(dash.url)
    token = token_of(client.get("/signup").text)
    response = client.post(
        "/signup",
        data={"email": new_email, "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 303
    assert "Secure" in _cookie(response, "aio_session")


def test_wrong_password_and_unknown_email_get_the_same_answer(dash: Server, new_email: str) -> None:
    signup(dash.url, new_email).close()
    client = browser(dash.url)
    wrong = submit(client, "/login", "/login", {"email": new_email, "password": "not it at all"})
    nobody = submit(
        client, "/login", "/login", {"email": "nobody-" + new_email, "password": PASSWORD}
    )
    assert wrong.status_code == nobody.status_code == 401
    assert "The email or the password is not right." in wrong.text
    assert "The email or the password is not right." in nobody.text
    assert "aio_session" not in client.cookies


def test_login_attempts_are_rate_limited_per_email_and_address(
    dash: Server, new_email: str
) -> None:
    signup(dash.url, new_email).close()
    client = browser(dash.url)
    start_inside_one_window()
    for _ in range(LOGIN_LIMIT):
        wrong = submit(client, "/login", "/login", {"email": new_email, "password": "nope nope"})
        assert wrong.status_code == 401
    limited = submit(client, "/login", "/login", {"email": new_email, "password": PASSWORD})
    assert limited.status_code == 429 and "Too many sign-in attempts" in limited.text
    assert "aio_session" not in client.cookies
    # Another email from the same address is not held back by this one's failures.
    other = "other-" + new_email
    signup(dash.url, other).close()
    fine = submit(client, "/login", "/login", {"email": other, "password": PASSWORD})
    assert fine.status_code == 303


def test_posts_without_the_csrf_token_are_refused(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    token = csrf(client)
    missing = client.post("/keys", data={"name": "x"})
    wrong = client.post("/keys", data={"name": "x", "csrf_token": "not-the-token"})
    assert missing.status_code == wrong.status_code == 403
    assert "security token" in missing.text
    foreign = client.post(
        "/keys",
        data={"name": "x", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    ok = client.post("/keys", data={"name": "kept", "csrf_token": token})
    assert ok.status_code == 200 and 'data-testid="new-key"' in ok.text
    # Another session's token is not this session's token.
    other = member(dash, "other-" + new_email)
    crossed = other.post("/keys", data={"name": "x", "csrf_token": token})
    assert crossed.status_code == 403
    # JSON endpoints need the X-CSRF-Token header.
    body = {"path": "/api/v1/images/generations", "body": {"model": "flux-2", "prompt": "a cat"}}
    assert client.post("/dashboard/api/quotes", json=body).status_code == 403
    quoted = client.post("/dashboard/api/quotes", json=body, headers={"X-CSRF-Token": token})
    assert quoted.status_code == 200 and quoted.json()["data"]["credits"] == 5
    # Signed-out forms use a double-submit token.
    anonymous = browser(dash.url)
    refused = anonymous.post("/login", data={"email": new_email, "password": PASSWORD})
    assert refused.status_code == 403


def test_pages_carry_the_security_headers(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    for path in ("/login", "/", "/keys", "/playground", "/usage.csv"):
        response = (browser(dash.url) if path == "/login" else client).get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"


def test_pages_need_a_session(dash: Server) -> None:
    client = browser(dash.url)
    for path in ("/", "/keys", "/tasks", "/usage", "/requests", "/webhooks", "/billing"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
    api = client.get("/dashboard/api/models/flux-2")
    assert api.status_code == 401 and api.json()["error"]["type"] == "authentication_error"


def test_an_api_key_without_limits_can_sign_in(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    token = token_of(client.get("/keys").text)
    limited = client.post(
        "/keys", data={"name": "only-flux", "allowed_models": "flux-2", "csrf_token": token}
    )
    created = client.post("/keys", data={"name": "full", "csrf_token": token})
    keys = [
        re.search(r'id="new-key-value" class="secret">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
        for r in (limited, created)
    ]
    restricted = submit(browser(dash.url), "/login", "/login/key", {"key": keys[0]})
    assert restricted.status_code == 401
    full = submit(browser(dash.url), "/login", "/login/key", {"key": keys[1]})
    assert full.status_code == 303
