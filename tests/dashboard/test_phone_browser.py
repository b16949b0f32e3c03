"""The console on a phone (390 px wide, headless chromium): no page scrolls sideways, the
sidebar folds behind a menu button, and the menu opens and leads to every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.dashboard.test_journeys import ARGS, CHROMIUM, SHOTS
from tests.support.server import Server

PHONE = {"width": 390, "height": 844}
PAGES = (
    "/",
    "/keys",
    "/playground",
    "/tasks",
    "/usage",
    "/requests",
    "/webhooks",
    "/models",
    "/models/flux-2",
    "/billing",
    "/account",
    "/admin/users",
    "/admin/models",
    "/admin/models/flux-2",
    "/admin/channels",
    "/admin/tasks",
    "/admin/codes",
    "/admin/audit",
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/test-services.sh)"
)


@pytest.fixture(scope="module")
def phone(dash: Server) -> Iterator[Page]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = context.new_page()
        page.goto(f"{dash.url}/login")
        page.locator("details.key-login summary").click()
        page.fill("input[name=key]", dash.admin_key)  # type: ignore[attr-defined]
        page.locator("form[action='/login/key'] button[type=submit]").click()
        page.wait_for_url(f"{dash.url}/")
        yield page
        browser.close()


def _overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways(dash: Server, phone: Page, path: str) -> None:
    phone.goto(dash.url + path)
    assert httpx.get(dash.url + "/healthz").status_code == 200
    expect(phone.locator("#menu-button")).to_be_visible()
    expect(phone.locator("#sidebar")).to_be_hidden()
    assert _overflow(phone) <= 0, f"{path} is {_overflow(phone)} px wider than the phone"
    if path in ("/", "/requests", "/admin/audit"):
        name = "phone-" + (path.strip("/").replace("/", "-") or "overview") + ".png"
        phone.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_the_menu_button_opens_the_sidebar(dash: Server, phone: Page) -> None:
    phone.goto(dash.url + "/")
    button = phone.locator("#menu-button")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(phone.locator("#sidebar")).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    phone.screenshot(path=str(Path(SHOTS) / "phone-menu.png"))
    phone.locator("#sidebar nav a", has_text="Usage").click()
    phone.wait_for_url(dash.url + "/usage")
    expect(phone.locator("h1")).to_have_text("Usage")
    expect(phone.locator("#sidebar")).to_be_hidden()
    phone.locator("#menu-button").click()
    phone.locator("#sidebar nav a", has_text="Audit").click()
    phone.wait_for_url(dash.url + "/admin/audit")
