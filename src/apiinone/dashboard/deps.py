"""Who is using the dashboard: the session behind the cookie, admin checks, CSRF checks.

Pages answer a missing session with a redirect to the login page and a non-admin with
a 403 page; the dashboard's JSON endpoints answer 401/403 in the API's error JSON.
Every POST carries the session's CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``) and, when the browser sends one, an ``Origin`` of this site.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Annotated, cast
from urllib.parse import urlsplit

from fastapi import Depends, Request

from apiinone.api.deps import GatewayDep
from apiinone.auth.accounts import Account
from apiinone.auth.principal import Principal
from apiinone.dashboard.sessions import Session, load_session
from apiinone.errors import AuthenticationFailed, PermissionDenied

__all__ = [
    "ANON_CSRF_COOKIE",
    "SESSION_COOKIE",
    "AdminUser",
    "ApiUser",
    "CsrfAdmin",
    "CsrfChecked",
    "CsrfHeader",
    "LoginRequired",
    "MaybeUser",
    "PageError",
    "PageUser",
    "User",
    "anonymous_csrf",
    "check_anonymous_csrf",
    "check_origin",
]

SESSION_COOKIE = "aio_session"
ANON_CSRF_COOKIE = "aio_csrf"


class LoginRequired(Exception):
    """A page needs a signed-in user: answered with a redirect to /login."""


class PageError(Exception):
    """An HTML error page (403 for non-admins, 404, ...)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


@dataclass(frozen=True, slots=True)
class User:
    account: Account
    session: Session
    token: str

    @property
    def is_admin(self) -> bool:
        return self.account.is_admin

    @property
    def key(self) -> Principal | None:
        """The API key this session was opened with (None: a password login)."""
        return self.session.key

    def principal(self, mode: str = "live") -> Principal:
        """The session as the services' caller. A session opened with a key is that key
        (its id, expiry and rate limit; in test mode, which the key could mint a test key
        for, its limits without its id). A password session is the whole account, no key,
        no limits:

        ``Principal.key_id`` is typed for API keys; a password session has none, and every
        service that takes it (holds, task rows, chat) stores ``None`` as "no key".
        """
        mode = "test" if mode == "test" else "live"
        if self.session.key is not None and mode == "live":
            return self.session.key
        if self.session.key is not None:  # a live key spends no test credits: none are its
            return replace(self.session.key, mode=mode, key_id=cast(str, None))
        return Principal(
            key_id=cast(str, None),
            account_id=self.account.id,
            mode=mode,
            key_name="dashboard",
            prefix="",
            last4="",
            is_admin=self.account.is_admin,
            account_disabled=False,
            revoked=False,
            expires_at=None,
            allowed_models=None,
            rate_limit_per_minute=None,
            spend_cap=None,
        )


async def _current(request: Request, gateway: GatewayDep) -> User | None:
    cached = request.scope.setdefault("state", {}).get("dashboard_user", False)
    if cached is not False:
        return cast(User | None, cached)
    token = request.cookies.get(SESSION_COOKIE, "")
    found = await load_session(gateway.db, token) if token else None
    user = User(found[1], found[0], token) if found else None
    request.scope["state"]["dashboard_user"] = user
    return user


async def _page_user(user: Annotated[User | None, Depends(_current)]) -> User:
    if user is None:
        raise LoginRequired
    return user


async def _admin_user(user: Annotated[User, Depends(_page_user)]) -> User:
    if not user.is_admin:
        raise PageError(403, "Admins only", "This page is for the gateway's administrators.")
    return user


async def _api_user(user: Annotated[User | None, Depends(_current)]) -> User:
    if user is None:
        raise AuthenticationFailed("Sign in to the dashboard first")
    return user


MaybeUser = Annotated[User | None, Depends(_current)]
PageUser = Annotated[User, Depends(_page_user)]
AdminUser = Annotated[User, Depends(_admin_user)]
ApiUser = Annotated[User, Depends(_api_user)]


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def check_origin(request: Request) -> None:
    """Refuse a POST another site's page made (``Origin`` or ``Sec-Fetch-Site`` say so)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise PageError(403, "Refused", "This form was sent from another site.")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    allowed = {f"{request.url.scheme}://{request.url.netloc}"}
    public = request.app.state.gateway.settings.public_base_url
    if public:
        parts = urlsplit(public)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    if origin not in allowed:
        raise PageError(403, "Refused", "This form was sent from another site.")


async def _csrf_form(request: Request, user: PageUser) -> User:
    check_origin(request)
    form = await request.form()
    sent = form.get("csrf_token")
    if not _same(sent if isinstance(sent, str) else None, user.session.csrf_token):
        raise PageError(
            403, "Form expired", "The form's security token did not match; reload and retry."
        )
    return user


async def _csrf_header(request: Request, user: ApiUser) -> User:
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise PermissionDenied("Cross-site requests are refused")
    if not _same(request.headers.get("x-csrf-token"), user.session.csrf_token):
        raise PermissionDenied("Missing or wrong X-CSRF-Token header")
    return user


async def _csrf_admin(user: Annotated[User, Depends(_csrf_form)]) -> User:
    if not user.is_admin:
        raise PageError(403, "Admins only", "This page is for the gateway's administrators.")
    return user


CsrfChecked = Annotated[User, Depends(_csrf_form)]
CsrfAdmin = Annotated[User, Depends(_csrf_admin)]
CsrfHeader = Annotated[User, Depends(_csrf_header)]


def anonymous_csrf(request: Request) -> str:
    """The token for a signed-out form (login, sign-up): the ``aio_csrf`` cookie's value,
    a new one when the browser has none (double-submit)."""
    current = request.cookies.get(ANON_CSRF_COOKIE, "")
    return current if 20 <= len(current) <= 100 else secrets.token_urlsafe(32)


async def check_anonymous_csrf(request: Request) -> None:
    check_origin(request)
    form = await request.form()
    sent = form.get("csrf_token")
    if not _same(sent if isinstance(sent, str) else None, request.cookies.get(ANON_CSRF_COOKIE)):
        raise PageError(
            403, "Form expired", "The form's security token did not match; reload and retry."
        )
