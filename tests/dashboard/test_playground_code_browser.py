"""The playground's code panel in Debian's chromium (Playwright): a chat model shows its
request on the three chat APIs, switching shows each one's endpoint, headers and SDK, the
code follows the form, and a media model shows its own endpoint alone."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import Account
from tests.dashboard.test_journeys import ARGS, CHROMIUM, VIEWPORT
from tests.support.server import Server

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/test-services.sh)"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, server: Server, make_account: Callable[..., Account]) -> Iterator[Page]:
    account = make_account(credits=1_000)
    context = chromium.new_context(base_url=server.url, viewport=VIEWPORT)
    signed_in = context.new_page()
    signed_in.goto("/login")
    signed_in.click("summary:has-text('Sign in with an API key')")
    signed_in.fill("form[action='/login/key'] input[name=key]", account.key)
    signed_in.click("form[action='/login/key'] button[type=submit]")
    expect(signed_in).to_have_url(re.compile(r"/$"))
    yield signed_in
    context.close()


def test_a_chat_model_offers_its_request_on_the_three_apis(page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/playground?model=gemini")
    tabs = page.locator("#pg-surfaces .tab")
    expect(tabs).to_have_text(["Chat Completions", "Responses", "Anthropic Messages"])
    expect(page.locator("#pg-surfaces .tab[aria-selected=true]")).to_have_text("Chat Completions")
    expect(page.locator("#pg-endpoint")).to_have_text("/v1/chat/completions")
    expect(page.locator("#pg-curl")).to_contain_text("/v1/chat/completions")
    expect(page.locator("#pg-curl")).to_contain_text("Authorization: Bearer $AIO_KEY")
    expect(page.locator("#pg-sdk")).to_have_text("openai")
    expect(page.locator("#pg-python")).to_contain_text("client.chat.completions.create(")

    page.click("#pg-surfaces .tab:has-text('Responses')")
    expect(page.locator("#pg-endpoint")).to_have_text("/v1/responses")
    expect(page.locator("#pg-curl")).to_contain_text("/v1/responses")
    expect(page.locator("#pg-curl")).to_contain_text('"input": "Say hello in three languages."')
    expect(page.locator("#pg-python")).to_contain_text("client.responses.create(")

    page.click("#pg-surfaces .tab:has-text('Anthropic Messages')")
    expect(page.locator("#pg-endpoint")).to_have_text("/v1/messages")
    expect(page.locator("#pg-curl")).to_contain_text("x-api-key: $AIO_KEY")
    expect(page.locator("#pg-curl")).to_contain_text("anthropic-version: 2023-06-01")
    expect(page.locator("#pg-curl")).not_to_contain_text("Authorization")
    expect(page.locator("#pg-sdk")).to_have_text("anthropic")
    expect(page.locator("#pg-python")).to_contain_text("from anthropic import Anthropic")
    expect(page.locator("#pg-python")).to_contain_text("max_tokens=1024")

    # The code follows the conversation being written, and the chosen API stays chosen.
    page.fill("#pg-chat-system", "Answer in French.")
    page.fill("#pg-chat-message", "Bonjour?")
    expect(page.locator("#pg-curl")).to_contain_text('"system": "Answer in French."')
    expect(page.locator("#pg-endpoint")).to_have_text("/v1/messages")
    page.click("#pg-surfaces .tab:has-text('Responses')")
    expect(page.locator("#pg-curl")).to_contain_text('"instructions": "Answer in French."')
    expect(page.locator("#pg-curl")).to_contain_text('"input": "Bonjour?"')

    # A media model has its own endpoint, curl only.
    page.select_option("#pg-model", "flux-2")
    expect(page.locator("#pg-endpoint")).to_have_text("/api/v1/images/generations")
    expect(page.locator("#pg-surfaces")).to_be_hidden()
    expect(page.locator("#pg-python-box")).to_be_hidden()
    expect(page.locator("#pg-curl")).to_contain_text('"model": "flux-2"')
    assert errors == []
