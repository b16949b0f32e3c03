"""Rendering pages: the Jinja2 environment, security headers, cookies, flash messages."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiinone.settings import Settings

__all__ = [
    "FLASH_COOKIE",
    "DocsPageHeaders",
    "ask_login",
    "is_https",
    "page",
    "redirect",
    "safe_next",
    "secure_headers",
    "set_cookie",
]

FLASH_COOKIE = "aio_flash"


def _credits(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "—"


def _signed(value: Any) -> str:
    number = int(value)
    return f"+{number:,}" if number > 0 else f"{number:,}"


def _when(value: Any) -> str:
    """Milliseconds (or an ISO string) as ``2026-05-01 12:00 UTC``."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _money(cents: Any, currency: str = "usd") -> str:
    amount = int(cents) / 100
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency.lower())
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency.upper()}"


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


TEMPLATES = Environment(
    loader=PackageLoader("apiinone.dashboard", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters.update(credits=_credits, signed=_signed, when=_when, money=_money, pretty=_json)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(settings: Settings) -> str:
    """Scripts, styles and fetches from this origin only. Results may also come from the
    public base URL or the S3 endpoint when those are another origin."""
    media = "".join(
        " " + o
        for o in (
            _origin(settings.public_base_url),
            _origin(settings.s3_endpoint_url) if settings.storage_backend == "s3" else None,
        )
        if o
    )
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        f"img-src 'self' data: blob:{media}; media-src 'self' blob:{media}; "
        "object-src 'none'; base-uri 'none'; form-action 'self' https://checkout.stripe.com; "
        "frame-ancestors 'none'"
    )


def secure_headers(response: Response, settings: Settings) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(settings)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


# The API reference page (FastAPI's Swagger UI) loads its script from a CDN and runs an
# inline one, so it cannot have the dashboard's policy; it may not be framed all the same.
DOCS_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"frame-ancestors 'none'; object-src 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
)


class DocsPageHeaders:
    """The security headers on the few HTML pages the dashboard does not render (the API
    reference); every other request passes with one comparison of its path."""

    def __init__(self, app: ASGIApp, *, paths: tuple[str | None, ...]) -> None:
        self.app = app
        self.paths = frozenset(p for p in paths if p)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in DOCS_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    *,
    max_age: int | None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=is_https(request),
        samesite="lax",
    )


def _read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    kind, text = data.get("kind"), data.get("text")
    if kind not in ("ok", "error") or not isinstance(text, str):
        return None
    return {"kind": kind, "text": text[:500]}


def page(
    request: Request,
    template: str,
    *,
    user: Any = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A rendered page with the security headers; a pending flash message is shown once."""
    gateway = request.app.state.gateway
    flash = _read_flash(request)
    html = TEMPLATES.get_template(template).render(
        request=request,
        path=request.url.path,
        user=user,
        csrf_token=user.session.csrf_token if user is not None else context.pop("csrf", ""),
        flash=context.pop("message", None) or flash,
        sandbox_mode=gateway.providers.sandbox_mode,
        stripe_enabled=gateway.settings.stripe_secret_key is not None,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    secure_headers(response, gateway.settings)
    return response


def redirect(
    request: Request, url: str, *, flash: tuple[str, str] | None = None
) -> RedirectResponse:
    """303 See Other (the browser follows with GET), optionally with a message to show."""
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        kind, text = flash
        value = base64.urlsafe_b64encode(orjson.dumps({"kind": kind, "text": text[:500]}))
        set_cookie(response, request, FLASH_COOKIE, value.decode().rstrip("="), max_age=60)
    secure_headers(response, request.app.state.gateway.settings)
    return response


def safe_next(value: str | None, default: str = "/") -> str:
    """A same-site path to go to after login; anything else is replaced by ``default``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 for c in value):
        return default
    return value[:500]


def ask_login(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return redirect(request, "/login?next=" + quote(safe_next(target), safe="/"))
