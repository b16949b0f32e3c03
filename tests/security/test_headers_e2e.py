"""Browser-facing defences, end to end: security headers on every HTML page, a new session
at every login (no fixation), login attempts rate-limited, and secrets compared in
constant time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.dashboard.web import PASSWORD, browser, signup, submit, token_of
from tests.support.clock import start_inside_one_window
from tests.support.server import Server, base_env

ATTEMPTS = 3  # login attempts per minute, per email and address
SRC = Path(__file__).resolve().parents[2] / "src" / "apiinone"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("headers")
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_LOGIN_ATTEMPTS_PER_MINUTE=str(ATTEMPTS),
        APIINONE_SIGNUPS_PER_MINUTE="100",
    )
    server = Server(data_dir=data_dir, env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    yield server
    server.stop()


def email() -> str:
    return f"web-{generate_key()[-10:].lower()}@example.com"


def assert_secure(r: httpx.Response) -> None:
    where = f"{r.request.method} {r.request.url.path} ({r.status_code})"
    csp = r.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "object-src 'none'" in csp, where
    assert r.headers.get("x-frame-options") == "DENY", where
    assert r.headers.get("referrer-policy") in ("same-origin", "no-referrer"), where
    assert r.headers.get("x-content-type-options") == "nosniff", where


def test_every_html_page_has_the_security_headers(web: Server) -> None:
    with browser(web.url) as anon:
        for path in ("/login", "/signup", "/", "/keys"):  # the last two redirect to /login
            assert_secure(anon.get(path))
        r = submit(anon, "/login", "/login", {"email": email(), "password": "nope nope nope"})
        assert r.status_code == 401
        assert_secure(r)
        docs = anon.get("/docs")
        assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
        assert_secure(docs)
    with closing(signup(web.url, email())) as user:
        for path in ("/", "/keys", "/tasks", "/usage", "/webhooks", "/models", "/account"):
            r = user.get(path)
            assert r.status_code == 200, (path, r.status_code)
            assert "text/html" in r.headers["content-type"]
            assert_secure(r)
            csp = r.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style")[0]
        r = user.get("/tasks/task_doesnotexist")
        assert r.status_code == 404
        assert_secure(r)
        r = user.get("/admin")  # not an admin: an HTML error page
        assert r.status_code == 403
        assert_secure(r)
        cookie = next(c for c in user.cookies.jar if c.name == "aio_session")
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert (cookie.get_nonstandard_attr("SameSite") or "").lower() == "lax"


def test_login_starts_a_new_session_and_ends_the_old_one(web: Server) -> None:
    address = email()
    with closing(signup(web.url, address)) as first:
        before = first.cookies["aio_session"]
    # A session id planted in a browser (fixation) is never adopted: the login answers with
    # a new one, and the one the browser had is ended.
    with browser(web.url) as victim:
        victim.cookies.set("aio_session", before)
        assert victim.get("/account").status_code == 200  # valid until the login
        token = "double-submit-token-" + generate_key()[-12:]
        victim.cookies.set("aio_csrf", token)
        r = victim.post(
            "/login", data={"email": address, "password": PASSWORD, "csrf_token": token}
        )
        assert r.status_code == 303, r.text
        after = r.cookies["aio_session"]  # the answer sets a new session cookie
        assert after != before
    with browser(web.url) as attacker:
        attacker.cookies.set("aio_session", before)
        r = attacker.get("/account")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with browser(web.url) as planted:
        made_up = "attacker-chosen-session-id-0000000000000"
        planted.cookies.set("aio_session", made_up)
        r = submit(planted, "/login", "/login", {"email": address, "password": PASSWORD})
        assert r.status_code == 303
        assert r.cookies["aio_session"] not in (made_up, before, after)


def test_login_attempts_are_rate_limited(web: Server) -> None:
    address = email()
    signup(web.url, address).close()
    with browser(web.url) as guesser:
        start_inside_one_window()
        for _ in range(ATTEMPTS - 1):  # the sign-up above spent nothing of this budget
            r = submit(guesser, "/login", "/login", {"email": address, "password": "guess " * 3})
            assert r.status_code == 401
        r = submit(guesser, "/login", "/login", {"email": address, "password": "guess " * 3})
        assert r.status_code == 401
        # Over the limit even the right password is refused, without being checked.
        r = submit(guesser, "/login", "/login", {"email": address, "password": PASSWORD})
        assert r.status_code == 429
        assert "Too many sign-in attempts" in r.text
        assert_secure(r)
    # Another account from the same address is not locked out by it.
    other = email()
    signup(web.url, other).close()
    with browser(web.url) as fresh:
        r = submit(fresh, "/login", "/login", {"email": other, "password": PASSWORD})
        assert r.status_code == 303
    # Keys are limited too (per address, a looser budget).
    with browser(web.url) as key_guesser:
        codes = set()
        for _ in range(ATTEMPTS * 10 + 1):
            html = key_guesser.get("/login").text
            r = key_guesser.post(
                "/login/key", data={"key": generate_key(), "csrf_token": token_of(html)}
            )
            codes.add(r.status_code)
        assert codes == {401, 429}


_COMPARED = re.compile(
    r"\w*(token|secret|signature|csrf|digest|hmac|password|key_hash)\w*(\(\))?\s*(==|!=)\s*\S"
    r"|(==|!=)\s*\w*(token|secret|signature|csrf|digest|password|key_hash)\b",
    re.IGNORECASE,
)


def test_secrets_are_compared_in_constant_time() -> None:
    """No secret is compared with ``==``: tokens and signatures go through
    ``hmac.compare_digest``; keys and sessions are looked up by their SHA-256 (a comparison
    in the database of digests, see docs/security.md). SQL expressions (``table.c.x ==``)
    and comparisons with public constants are not comparisons of secrets."""
    offenders = []
    for path in SRC.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if not _COMPARED.search(code):
                continue
            if ".c." in code or "DEFAULT_SECRET" in code or "is None" in code:
                continue
            offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert not offenders, offenders
    used = [
        p.relative_to(SRC).as_posix()
        for p in SRC.rglob("*.py")
        if "compare_digest" in p.read_text()
    ]
    for expected in ("dashboard/deps.py", "tasks/hooks.py"):
        assert expected in used, used
