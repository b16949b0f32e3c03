"""In chromium, an operator adds a channel bound to a fake OpenAI-compatible upstream in the
admin console; a customer's chat then goes through it with no restart. The Test button
shows the upstream's status and latency, an edit with a blank credential keeps the old
one, and a wrong one shows the upstream's own error text."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from apiinone.auth.secrets import generate_key
from tests.dashboard.test_journeys import CHROMIUM, new_page, shot
from tests.dashboard.test_journeys import chromium as chromium  # the fixture
from tests.fakes.openai_chat import FakeOpenAI
from tests.support.server import Server, base_env

TOKEN = "sk-console-upstream-" + "c" * 16 + "Wx42"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/test-services.sh)"
)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    """The fake upstream on an event loop of its own (the browser's API is blocking)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    running = FakeOpenAI(token=TOKEN)
    asyncio.run_coroutine_threadsafe(running.__aenter__(), loop).result(30)
    try:
        yield running
    finally:
        asyncio.run_coroutine_threadsafe(running.__aexit__(None, None, None), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Server]:
    admin_key = generate_key()
    env = base_env(tmp_path / "gw", APIINONE_ADMIN_KEY=admin_key)
    server = Server(data_dir=tmp_path / "gw", env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


def test_an_operator_adds_a_channel_and_a_customers_chat_goes_through_it(
    gateway: Server, fake: FakeOpenAI, chromium: Browser
) -> None:
    admin_key: str = gateway.admin_key  # type: ignore[attr-defined]
    with gateway.client(admin_key) as admin:
        made = admin.post("/api/v1/admin/accounts", json={"email": "chat@example.com"})
        customer = gateway.client(made.json()["data"]["key"]["key"])

    page = new_page(chromium, gateway.url)
    page.goto("/login")
    page.click("text=Sign in with an API key")
    page.fill("input[name=key]", admin_key)
    page.click("button:has-text('Sign in with the key')")
    page.goto("/admin/channels")
    form = page.locator("[data-testid=channel-form]")
    form.locator("input[name=name]").fill("console-openai")
    form.locator("select[name=adapter]").select_option("openai")
    form.locator("input[name=base_url]").fill(fake.url)
    form.locator("input[name=credential]").fill(TOKEN)
    form.locator("textarea[name=models]").fill('gemini = "gemini-3-flash-console"')
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash-ok")).to_contain_text("Channel console-openai added")
    card = page.locator("[data-testid=channel-console-openai]")
    expect(card).to_contain_text("console-openai/gemini")
    expect(card).to_contain_text("…" + TOKEN[-4:])
    assert TOKEN not in page.content()

    with customer:
        answered = customer.post(
            "/v1/chat/completions",
            json={"model": "gemini", "messages": [{"role": "user", "content": "hi there"}]},
        )
    assert answered.status_code == 200, answered.text
    assert fake.requests[-1]["model"] == "gemini-3-flash-console"

    card.locator("button:has-text('Test')").click()
    result = page.locator("[data-testid=channel-test]")
    expect(result).to_contain_text("OK")
    expect(page.locator("[data-testid=test-status]")).to_have_text("200")
    expect(page.locator("[data-testid=test-latency]")).to_contain_text("ms")
    shot(page, "admin-channels-db", full=True)

    # An edit with the credential left blank keeps it; a wrong one shows the upstream's words.
    page.locator("[data-testid=channel-console-openai] a:has-text('Edit')").click()
    page.locator("[data-testid=channel-form] input[name=weight]").fill("3")
    page.locator("[data-testid=channel-form] button[type=submit]").click()
    expect(page.locator(".flash-ok")).to_contain_text("saved")
    expect(page.locator("[data-testid=channel-console-openai]")).to_contain_text("weight 3")
    page.locator("[data-testid=channel-console-openai] button:has-text('Test')").click()
    expect(page.locator("[data-testid=test-status]")).to_have_text("200")
    page.locator("[data-testid=channel-console-openai] a:has-text('Edit')").click()
    page.locator("[data-testid=channel-form] input[name=credential]").fill("sk-" + "z" * 20)
    page.locator("[data-testid=channel-form] button[type=submit]").click()
    page.locator("[data-testid=channel-console-openai] button:has-text('Test')").click()
    expect(page.locator("[data-testid=test-status]")).to_have_text("401")
    expect(page.locator("[data-testid=test-detail]")).to_contain_text("Incorrect API key provided")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=channel-console-openai] button:has-text('Delete')").click()
    expect(page.locator(".flash-ok")).to_contain_text("deleted")
    audit = gateway.client(admin_key).get("/api/v1/admin/audit", params={"action": "channel"})
    vias = {row["via"] for row in audit.json()["data"]["items"]}
    assert vias == {"console"} and len(audit.json()["data"]["items"]) == 4
    assert TOKEN not in audit.text
