"""Driving the dashboard over HTTP like a browser: cookies, CSRF tokens, forms."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def token_of(html: str) -> str:
    found = _TOKEN.search(html) or _META.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def browser(base_url: str, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30, follow_redirects=False, **kwargs)


def submit(client: httpx.Client, page: str, action: str, data: dict[str, Any]) -> httpx.Response:
    """GET ``page``, then POST ``data`` to ``action`` with the page's CSRF token."""
    html = client.get(page).text
    return client.post(action, data={**data, "csrf_token": token_of(html)})


def signup(base_url: str, email: str, password: str = PASSWORD) -> httpx.Client:
    client = browser(base_url)
    response = submit(client, "/signup", "/signup", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return client


def member(server: Any, email: str) -> httpx.Client:
    """A signed-in account made through the admin API (no password, so no argon2 time):
    its default key signs the browser in."""
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    created = httpx.post(
        f"{server.url}/api/v1/admin/accounts", json={"email": email}, headers=admin, timeout=30
    )
    assert created.status_code == 201, created.text
    return login_with_key(server.url, created.json()["data"]["key"]["key"])


def login_with_key(base_url: str, key: str) -> httpx.Client:
    client = browser(base_url)
    response = submit(client, "/login", "/login/key", {"key": key})
    assert response.status_code == 303, response.text
    return client


def csrf(client: httpx.Client) -> str:
    return token_of(client.get("/account").text)


def signed_event(
    payload: dict[str, Any], secret: str, *, at: int | None = None
) -> tuple[bytes, str]:
    """A Stripe event body and its ``Stripe-Signature``: HMAC-SHA256 of ``t.body``."""
    body = json.dumps(payload).encode()
    stamp = at if at is not None else int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={mac}"


def balance(client: httpx.Client) -> int:
    html = client.get("/billing").text
    found = re.search(r'data-testid="balance">([\d,]+)<', html)
    assert found, html[:500]
    return int(found.group(1).replace(",", ""))
