"""Sign-up, login (password, or an API key with full access), logout, and the account page.

A session opened with a key is that key (``dashboard/sessions.py``): it ends with the key,
and sets no password unless the key has no limit at all (a password never expires)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select, update
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.auth.accounts import Account, create_account
from apiinone.auth.powers import holds_everything
from apiinone.auth.principal import Principal
from apiinone.auth.secrets import hash_key
from apiinone.dashboard.deps import (
    ANON_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    MaybeUser,
    PageError,
    PageUser,
    anonymous_csrf,
    check_anonymous_csrf,
)
from apiinone.dashboard.passwords import check_strength, hash_password, verify_password
from apiinone.dashboard.sessions import (
    can_sign_in,
    create_session,
    end_account_sessions,
    end_session,
)
from apiinone.dashboard.web import page, redirect, safe_next, set_cookie
from apiinone.db.engine import now_ms
from apiinone.db.tables import accounts
from apiinone.errors import InvalidRequest
from apiinone.gateway import Gateway

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=1000)]
Checked = Depends(check_anonymous_csrf)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def _anonymous_page(
    request: Request, template: str, *, status: int = 200, **context: object
) -> Response:
    token = anonymous_csrf(request)
    response = page(request, template, status=status, csrf=token, **context)
    set_cookie(response, request, ANON_CSRF_COOKIE, token, max_age=None)
    return response


async def _too_many(gateway: Gateway, identity: str, per_minute: int | None = None) -> int | None:
    """Seconds to wait when ``identity`` is over its attempts limit, else None."""
    limit = per_minute or gateway.settings.login_attempts_per_minute
    decision = await gateway.limiter.hit(identity, limit)
    if decision.allowed:
        return None
    return max(1, decision.reset_at - int(time.time()))


async def _signed_in(
    request: Request,
    gateway: Gateway,
    account_id: str,
    target: str,
    *,
    flash: str | None = None,
    key: Principal | None = None,
) -> Response:
    """A new session, opened with ``key`` or a password (the browser's old one, if any, is
    ended: no fixation)."""
    settings = gateway.settings
    token, _ = await create_session(
        gateway.db,
        account_id,
        lifetime_seconds=settings.session_lifetime_hours * 3600,
        user_agent=request.headers.get("user-agent"),
        replaces=request.cookies.get(SESSION_COOKIE),
        key=key,
    )
    response = redirect(request, safe_next(target), flash=("ok", flash) if flash else None)
    max_age = int(settings.session_lifetime_hours * 3600)
    set_cookie(response, request, SESSION_COOKIE, token, max_age=max_age)
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    return response


@router.get("/login")
async def login_page(request: Request, user: MaybeUser, next: str = "/") -> Response:
    if user is not None:
        return redirect(request, safe_next(next))
    return _anonymous_page(request, "login.html", next=safe_next(next), email="")


@router.post("/login", dependencies=[Checked])
async def login(
    request: Request,
    gateway: GatewayDep,
    email: Text,
    password: Text,
    next: Text = "/",
) -> Response:
    email = email.strip().lower()[:320]
    wait = await _too_many(gateway, f"login:{email}|{_client_ip(request)}")
    if wait is not None:
        return _anonymous_page(
            request,
            "login.html",
            status=429,
            next=safe_next(next),
            email=email,
            error=f"Too many sign-in attempts. Wait {wait} seconds and try again.",
        )
    async with gateway.db.read() as conn:
        row = (await conn.execute(select(accounts).where(accounts.c.email == email))).first()
    matches, rehash = await verify_password(row.password_hash if row else None, password)
    if row is None or not matches:
        return _anonymous_page(
            request,
            "login.html",
            status=401,
            next=safe_next(next),
            email=email,
            error="The email or the password is not right.",
        )
    if row.disabled:
        return _anonymous_page(
            request,
            "login.html",
            status=403,
            next=safe_next(next),
            email=email,
            error="This account is disabled.",
        )
    if rehash:
        new_hash = await hash_password(password)
        async with gateway.db.write() as conn:
            await conn.execute(
                update(accounts).where(accounts.c.id == row.id).values(password_hash=new_hash)
            )
    return await _signed_in(request, gateway, row.id, next)


@router.post("/login/key", dependencies=[Checked])
async def login_with_key(
    request: Request, gateway: GatewayDep, key: Text, next: Text = "/"
) -> Response:
    """Sign in with a live API key without an allow-list or spend cap (how the bootstrap
    admin, who has a key but no password yet, gets in). The session is that key."""
    # Per address only (there is no email): a looser budget, as one address may be many people.
    per_minute = gateway.settings.login_attempts_per_minute * 10
    wait = await _too_many(gateway, f"login-key|{_client_ip(request)}", per_minute)
    if wait is not None:
        return _anonymous_page(
            request,
            "login.html",
            status=429,
            next=safe_next(next),
            email="",
            error=f"Too many sign-in attempts. Wait {wait} seconds and try again.",
        )
    principal = await gateway.keys.get(hash_key(key.strip())) if key.strip() else None
    if principal is None or not can_sign_in(principal, now_ms()):
        return _anonymous_page(
            request,
            "login.html",
            status=401,
            next=safe_next(next),
            email="",
            error="That key cannot sign in: it needs a live key without a model allow-list "
            "or spend cap.",
        )
    return await _signed_in(request, gateway, principal.account_id, next, key=principal)


@router.get("/signup")
async def signup_page(request: Request, user: MaybeUser, gateway: GatewayDep) -> Response:
    if user is not None:
        return redirect(request, "/")
    return _anonymous_page(
        request,
        "signup.html",
        email="",
        name="",
        enabled=gateway.settings.signup_enabled,
        bonus=gateway.settings.signup_bonus,
    )


@router.post("/signup", dependencies=[Checked])
async def signup(
    request: Request,
    gateway: GatewayDep,
    email: Text,
    password: Text,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    settings = gateway.settings

    def again(error: str, status: int) -> Response:
        return _anonymous_page(
            request,
            "signup.html",
            status=status,
            email=email,
            name=name,
            enabled=settings.signup_enabled,
            bonus=settings.signup_bonus,
            error=error,
        )

    if not settings.signup_enabled:
        return again("Sign-up is closed on this gateway; ask its operator for an account.", 403)
    wait = await _too_many(gateway, f"signup|{_client_ip(request)}", settings.signups_per_minute)
    if wait is not None:
        return again(f"Too many sign-ups from this address. Wait {wait} seconds.", 429)
    try:
        check_strength(password)
        account = await create_account(
            gateway.db,
            email=email,
            name=name.strip(),
            password_hash=await hash_password(password),
            signup_bonus=settings.signup_bonus,
            test_credits=settings.test_credits,
        )
    except InvalidRequest as exc:
        return again(exc.message, 400)
    welcome = "Welcome to API in One!"
    if settings.signup_bonus:
        welcome += f" Your account starts with {settings.signup_bonus:,} free credits."
    return await _signed_in(request, gateway, account.id, "/keys", flash=welcome)


@router.post("/logout")
async def logout(request: Request, gateway: GatewayDep, user: CsrfChecked) -> Response:
    await end_session(gateway.db, user.token)
    response = redirect(request, "/login", flash=("ok", "You are signed out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _has_password(gateway: Gateway, account: Account) -> bool:
    async with gateway.db.read() as conn:
        stored = (
            await conn.execute(select(accounts.c.password_hash).where(accounts.c.id == account.id))
        ).scalar()
    return bool(stored)


@router.get("/account")
async def account_page(request: Request, user: PageUser, gateway: GatewayDep) -> Response:
    return page(
        request,
        "account.html",
        user=user,
        has_password=await _has_password(gateway, user.account),
    )


@router.post("/account/password")
async def change_password(
    request: Request,
    gateway: GatewayDep,
    user: CsrfChecked,
    new_password: Text,
    current_password: Text = "",
) -> Response:
    if user.key is not None and not holds_everything(user.key):
        raise PageError(
            403,
            "Not with this key",
            "This session was opened with a key that has an expiry or a rate limit; a "
            "password has neither, so it cannot be set from here.",
        )
    async with gateway.db.read() as conn:
        stored = (
            await conn.execute(
                select(accounts.c.password_hash).where(accounts.c.id == user.account.id)
            )
        ).scalar()
    if stored:
        matches, _ = await verify_password(stored, current_password)
        if not matches:
            return redirect(request, "/account", flash=("error", "The current password is wrong."))
    try:
        check_strength(new_password)
    except InvalidRequest as exc:
        return redirect(request, "/account", flash=("error", exc.message))
    new_hash = await hash_password(new_password)
    async with gateway.db.write() as conn:
        await conn.execute(
            update(accounts).where(accounts.c.id == user.account.id).values(password_hash=new_hash)
        )
    await end_account_sessions(gateway.db, user.account.id, keep=user.session.id_hash)
    return redirect(
        request, "/account", flash=("ok", "Password saved; your other sessions were signed out.")
    )


@router.post("/account/sessions/end")
async def end_other_sessions(request: Request, gateway: GatewayDep, user: CsrfChecked) -> Response:
    await end_account_sessions(gateway.db, user.account.id, keep=user.session.id_hash)
    return redirect(request, "/account", flash=("ok", "Every other session is signed out."))
