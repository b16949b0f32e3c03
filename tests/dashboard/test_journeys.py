"""Browser journeys in Debian's chromium (Playwright): a new user signs up, creates a
key, runs an image in the playground and redeems a code; an admin grants credits; a
member is refused the admin pages. Each page is saved under docs/screenshots/."""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.dashboard.conftest import WEBHOOK_SECRET
from tests.dashboard.fake_stripe import FakeStripe
from tests.dashboard.test_topup import make_codes
from tests.dashboard.web import PASSWORD, signed_event
from tests.support.server import Server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOC_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The docs' screenshots are refreshed on demand (APIINONE_SCREENSHOTS=1), so that a test run
# leaves the tree as it found it; otherwise every page is still rendered to a scratch folder.
SHOTS = (
    DOC_SHOTS
    if os.environ.get("APIINONE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "apiinone-screenshots"
)
VIEWPORT = {"width": 1360, "height": 860}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/test-services.sh)"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    """A webhook endpoint that answers 200, so the webhooks page has deliveries."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/aio"
    server.shutdown()
    server.server_close()


def shot(page: Page, name: str, *, full: bool = True) -> None:
    page.wait_for_load_state("load")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def new_page(chromium: Browser, base_url: str) -> Page:
    context = chromium.new_context(
        base_url=base_url, viewport=VIEWPORT, permissions=["clipboard-read", "clipboard-write"]
    )
    return context.new_page()


def test_a_new_user_signs_up_creates_a_key_runs_an_image_and_redeems_a_code(
    dash: Server,
    chromium: Browser,
    admin_web: httpx.Client,
    receiver: str,
    fake_stripe: FakeStripe,
) -> None:
    email = f"ada-{int(time.time() * 1000)}@example.com"
    page = new_page(chromium, dash.url)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto("/login")
    shot(page, "login", full=False)
    page.click("text=Create one")
    page.fill("input[name=email]", email)
    page.fill("input[name=name]", "Ada")
    page.fill("input[name=password]", PASSWORD)
    shot(page, "signup", full=False)
    page.click("button:has-text('Create account')")
    expect(page.locator(".flash-ok")).to_contain_text("100 free credits")

    # API keys: create one, the full key is shown once, and the copy button copies it.
    page.fill("#create-key input[name=name]", "production")
    page.fill("#create-key input[name=rate_limit]", "120")
    page.click("#create-key button[type=submit]")
    key = page.locator("#new-key-value").inner_text().strip()
    assert re.fullmatch(r"aio_[A-Za-z0-9_-]{43}", key)
    page.click("[data-copy='#new-key-value']")
    expect(page.locator("[data-copy='#new-key-value']")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == key
    shot(page, "keys")
    page.goto("/keys")
    assert key not in page.content()  # shown once only

    # Playground: flux-2, fill the schema form, run, watch it, see the image and curl.
    page.goto("/playground?model=flux-2")
    page.fill("#pg-prompt", "A red fox in fresh snow, watercolor")
    page.select_option("#pg-aspect_ratio", "16:9")
    expect(page.locator("#pg-price")).to_have_text("5 credits")
    expect(page.locator("#pg-curl")).to_contain_text('"aspect_ratio": "16:9"')
    page.click("#pg-run")
    image = page.locator("#pg-result img")
    expect(image).to_be_visible(timeout=20_000)
    assert page.evaluate("document.querySelector('#pg-result img').naturalWidth") > 0
    expect(page.locator("#pg-task-link")).to_contain_text("Charged 5 credits")
    shot(page, "playground")

    # The key works against the API; a task with a callback fills the webhooks page.
    with httpx.Client(base_url=dash.url, headers={"Authorization": f"Bearer {key}"}) as api:
        created = api.post(
            "/api/v1/audio/speech",
            json={
                "model": "elevenlabs-v3",
                "dialogue": [{"text": "Hello from API in One."}],
                "callback_url": receiver,
            },
        )
        assert created.status_code == 202, created.text
        task_id = created.json()["data"]["task_id"]
        for _ in range(100):
            task = api.get(f"/api/v1/tasks/{task_id}").json()["data"]
            hooks = api.get(f"/api/v1/tasks/{task_id}/webhooks").json()["data"]["items"]
            if task["status"] == "SUCCESS" and hooks and hooks[0]["status"] == "delivered":
                break
            time.sleep(0.2)

    page.goto("/tasks")
    expect(page.locator("table .thumb").first).to_be_visible()
    shot(page, "tasks")
    page.click(f"text={task_id}")
    expect(page.locator("figure.media audio")).to_be_visible()
    shot(page, "task")
    page.goto("/webhooks")
    expect(page.locator("table")).to_contain_text("task.succeeded")
    shot(page, "webhooks")
    page.goto("/usage")
    shot(page, "usage")
    page.goto("/models")
    shot(page, "models", full=False)
    page.goto("/models/flux-2")
    page.select_option("#calc-resolution", "2K")
    expect(page.locator("#calc-price")).to_have_text("7 credits")
    shot(page, "model")

    # Billing: redeem a code from an admin batch and see the balance change.
    (code,) = make_codes(admin_web, 500, 1)
    page.goto("/billing")
    before = int(page.locator("[data-testid=balance]").inner_text().replace(",", ""))
    page.fill("#redeem-form input[name=code]", code)
    page.click("#redeem-form button")
    expect(page.locator(".flash-ok")).to_contain_text("500 credits added")
    after = int(page.locator("[data-testid=balance]").inner_text().replace(",", ""))
    assert after == before + 500
    # A card top-up, paid at (fake) Stripe and confirmed by a signed webhook.
    session = page.context.cookies()
    cookies = {c["name"]: c["value"] for c in session if c["name"] == "aio_session"}
    with httpx.Client(base_url=dash.url, cookies=cookies) as same_user:
        token = page.locator("meta[name=csrf-token]").get_attribute("content")
        paid = same_user.post("/billing/checkout", data={"package": "starter", "csrf_token": token})
        session_id = paid.headers["location"].rsplit("/", 1)[-1]
        event = {
            "id": "evt_journey",
            "type": "checkout.session.completed",
            "data": {"object": fake_stripe.pay(session_id)},
        }
        body, signature = signed_event(event, WEBHOOK_SECRET)
        hook = same_user.post(
            "/billing/stripe/webhook", content=body, headers={"Stripe-Signature": signature}
        )
        assert hook.json()["outcome"] == "credited"
    page.goto("/billing")
    after += 1000
    expect(page.locator("[data-testid=balance]")).to_have_text(f"{after:,}")
    expect(page.locator("table")).to_contain_text("paid")
    shot(page, "billing")

    page.goto("/")
    expect(page.locator("[data-testid=balance]")).to_have_text(f"{after:,}")
    shot(page, "overview")
    page.goto("/account")
    shot(page, "account", full=False)
    assert not errors, errors
    page.context.close()


def test_an_admin_grants_credits_and_manages_the_gateway(
    dash: Server, chromium: Browser, admin_web: httpx.Client
) -> None:
    member = f"grace-{int(time.time() * 1000)}@example.com"
    with httpx.Client(base_url=dash.url, timeout=30) as anonymous:
        token = re.search(r'name="csrf_token" value="([^"]+)"', anonymous.get("/signup").text)
        assert token is not None
        anonymous.post(
            "/signup", data={"email": member, "password": PASSWORD, "csrf_token": token.group(1)}
        )

    page = new_page(chromium, dash.url)
    page.goto("/login")
    page.click("text=Sign in with an API key")
    page.fill("input[name=key]", dash.admin_key)  # type: ignore[attr-defined]
    page.click("button:has-text('Sign in with the key')")
    expect(page.locator("nav")).to_contain_text("Admin")

    page.goto("/admin/users")
    page.fill("input[name=q]", member)
    page.press("input[name=q]", "Enter")
    shot(page, "admin-users")
    page.click(f"text={member}")
    page.fill("#credits-form input[name=amount]", "750")
    page.fill("#credits-form input[name=reason]", "Welcome credit for the beta")
    page.click("#credits-form button[type=submit]")
    expect(page.locator(".flash-ok")).to_contain_text("Granted 750 live credits")
    expect(page.locator("[data-testid=balance]")).to_have_text("850")
    expect(page.locator("table")).to_contain_text("Welcome credit for the beta")
    shot(page, "admin-user")

    page.goto("/admin/models")
    shot(page, "admin-prices", full=False)
    page.goto("/admin/models/flux-2")
    shot(page, "admin-price-edit", full=False)
    page.goto("/admin/channels")
    shot(page, "admin-channels", full=False)
    page.goto("/admin/tasks")
    shot(page, "admin-tasks", full=False)
    page.goto("/admin/codes")
    page.fill("#codes-form input[name=name]", "Launch promo")
    page.fill("#codes-form input[name=credits]", "1000")
    page.fill("#codes-form input[name=count]", "5")
    page.click("#codes-form button[type=submit]")
    expect(page.locator("#new-codes")).to_have_value(re.compile(r"^(AIO(-[0-9A-Z]{4}){4}\n?){5}$"))
    shot(page, "admin-codes")
    page.context.close()


def test_a_member_is_refused_the_admin_pages(dash: Server, chromium: Browser) -> None:
    page = new_page(chromium, dash.url)
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/login\?next=/admin/users$"))
    page.click("text=Create one")
    page.fill("input[name=email]", f"mallory-{int(time.time() * 1000)}@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Create account')")
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Admins only")
    assert "Admin" not in page.locator("nav").inner_text()
    shot(page, "admin-refused", full=False)
    page.context.close()


def test_screenshots_are_listed_in_the_docs() -> None:
    doc = (DOC_SHOTS.parent / "dashboard.md").read_text()
    for name in json.loads(json.dumps(sorted(p.stem for p in DOC_SHOTS.glob("*.png")))):
        assert f"screenshots/{name}.png" in doc, name
