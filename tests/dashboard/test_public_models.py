"""The public model pages: ``/models`` and ``/models/{slug}`` answer without sign-in with
the call contract, parameters, the prices in force (operator overrides included), an
example request, and the models of the same endpoint side by side, cheapest first; sign-up
and the playground are one click away."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.dashboard.test_journeys import ARGS, CHROMIUM
from tests.dashboard.web import browser, submit
from tests.support.server import Server


def _catalog(dash: Server) -> list[dict[str, object]]:
    headers = {"Authorization": f"Bearer {dash.admin_key}"}  # type: ignore[attr-defined]
    answer = httpx.get(f"{dash.url}/api/v1/models", headers=headers, timeout=30)
    assert answer.status_code == 200
    return list(answer.json()["data"]["items"])


def test_the_catalog_is_public(dash: Server) -> None:
    anonymous = browser(dash.url)
    listing = anonymous.get("/models")
    assert listing.status_code == 200
    assert 'data-testid="sign-up"' in listing.text and 'href="/signup"' in listing.text
    for model in _catalog(dash):
        assert f'href="/models/{model["slug"]}"' in listing.text
    assert re.search(r"text( \+ image)? → image", listing.text)
    assert "Sign out" not in listing.text


def test_a_model_page_compares_its_endpoint(dash: Server) -> None:
    anonymous = browser(dash.url)
    answer = anonymous.get("/models/flux-2")
    assert answer.status_code == 200
    html = answer.text
    assert "POST /api/v1/images/generations" in html
    assert "curl" in html and "Parameters" in html
    assert 'data-testid="signup-cta"' in html and 'id="calculator"' not in html
    assert re.search(r'data-testid="live">live \(sandbox', html)
    same_endpoint = {
        m["slug"] for m in _catalog(dash) if m["endpoint"] == "/api/v1/images/generations"
    }
    compare = html[html.index('data-testid="compare"') :]
    listed = re.findall(r'<tr(?: class="current")? data-slug="([^"]+)"', compare)
    assert set(listed) == same_endpoint and len(listed) == len(same_endpoint)
    prices = [int(p) for p in re.findall(r'data-from="(\d+)"', compare)]
    assert prices == sorted(prices) and len(prices) >= 2
    assert '<tr class="current" data-slug="flux-2">' in compare
    assert anonymous.get("/models/no-such-model").status_code == 404


def test_public_prices_are_the_prices_in_force(dash: Server, admin_web: httpx.Client) -> None:
    anonymous = browser(dash.url)
    page = "/admin/models/cogview-4"
    saved = submit(admin_web, page, page, {"kind": "fixed", "base": "4321", "action": "save"})
    assert saved.status_code == 303
    try:
        assert "4321 credits" in anonymous.get("/models/cogview-4").text
        assert "4321 credits" in anonymous.get("/models").text
    finally:
        submit(admin_web, page, page, {"action": "reset"})
    assert "4321 credits" not in anonymous.get("/models/cogview-4").text


def test_signed_in_users_keep_the_calculator(admin_web: httpx.Client) -> None:
    html = admin_web.get("/models/flux-2").text
    assert 'id="calculator"' in html and "Sign out" in html


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (scripts/test-services.sh)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def test_a_visitor_goes_from_the_catalog_to_sign_up(dash: Server, chromium: Browser) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{dash.url}/models")
    page.locator('a[href="/models/flux-2"]').first.click()
    page.wait_for_url(f"{dash.url}/models/flux-2")
    expect(page.locator('[data-testid="compare"] tr.current')).to_contain_text("flux-2")
    expect(page.locator('[data-testid="io"]')).to_contain_text("→ image")
    page.locator('[data-testid="signup-cta"]').click()
    page.wait_for_url(f"{dash.url}/signup")
    expect(page.locator("input[name=email]")).to_be_visible()
    page.close()
