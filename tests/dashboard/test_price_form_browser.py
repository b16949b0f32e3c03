"""The price form in Debian's chromium: an admin edits a table price, the preview shows
the new price of the sample requests as it is typed, the saved price is the one quotes
give and the public model page shows. The page is saved under docs/screenshots/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.dashboard.test_journeys import CHROMIUM, chromium, new_page, shot
from tests.dashboard.web import browser, submit
from tests.support.server import Server

__all__ = ["chromium"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/test-services.sh)"
)

SLUG = "gpt-image-1.5-official"


def _quote(dash: Server, quality: str) -> int:
    key = dash.admin_key  # type: ignore[attr-defined]
    answer = httpx.post(
        f"{dash.url}/api/v1/quotes",
        json={
            "path": "/api/v1/images/generations",
            "body": {"model": SLUG, "prompt": "a lighthouse", "quality": quality},
        },
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["data"]["credits"])


def test_an_admin_changes_a_price_in_the_form(
    dash: Server, chromium: Browser, admin_web: httpx.Client
) -> None:
    before = _quote(dash, "high")
    wanted = before + 17
    page = new_page(chromium, dash.url)
    page.goto("/login")
    page.click("text=Sign in with an API key")
    page.fill("input[name=key]", dash.admin_key)  # type: ignore[attr-defined]
    page.click("button:has-text('Sign in with the key')")
    expect(page.locator("nav")).to_contain_text("Admin")
    try:
        page.goto(f"/admin/models/{SLUG}")
        sample = page.locator('#preview-rows tr[data-sample="quality = high"]')
        expect(sample).to_contain_text(f"{before} credits")
        expect(page.locator('fieldset[data-kind="tokens"]')).to_be_hidden()
        page.fill('input[name="row:high"]', str(wanted))
        expect(sample).to_contain_text(f"{wanted} credits")
        page.fill('input[name="row:high"]', "-1")
        expect(page.locator("#preview-error")).to_contain_text("high: must be 0 or more")
        expect(page.locator('[data-preview-error="row:high"]')).to_be_visible()
        page.fill('input[name="row:high"]', str(wanted))
        expect(page.locator("#preview-error")).to_be_hidden()
        expect(page.locator("[data-preview-error]")).to_have_count(0)
        expect(sample).to_contain_text(f"{wanted} credits")
        shot(page, "admin-price-form", full=False)
        page.click("button:has-text('Save price')")
        expect(page.locator(".flash-ok")).to_contain_text("Price saved and in force")
        expect(page.locator('input[name="row:high"]')).to_have_value(str(wanted))
        assert _quote(dash, "high") == wanted
        public = browser(dash.url).get(f"/models/{SLUG}").text
        assert f"{wanted} credits" in public or f">{wanted}<" in public
    finally:
        page.context.close()
        page_path = f"/admin/models/{SLUG}"
        submit(admin_web, page_path, page_path, {"action": "reset"})
    assert _quote(dash, "high") == before
