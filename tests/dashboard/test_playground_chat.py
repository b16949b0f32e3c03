"""The playground's conversation: ``POST /dashboard/api/chat`` streams the chat's events and
then the turn's cost (the credits the ledger captured); in chromium a member holds a
conversation with a system prompt, sees tokens stream, the reasoning folded, each turn's
cost, stops a slow answer, and the code panel follows the conversation."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.dashboard.test_journeys import ARGS, CHROMIUM, SHOTS
from tests.dashboard.web import csrf, login_with_key
from tests.support.server import Server

MODEL = "deepseek-chat"


def _member(dash: Server, email: str) -> tuple[httpx.Client, str]:
    admin = {"Authorization": f"Bearer {dash.admin_key}"}  # type: ignore[attr-defined]
    created = httpx.post(
        f"{dash.url}/api/v1/admin/accounts", json={"email": email}, headers=admin, timeout=30
    ).json()["data"]
    httpx.post(
        f"{dash.url}/api/v1/admin/accounts/{created['id']}/credits",
        json={"amount": 50_000, "reason": "playground", "mode": "live"},
        headers=admin,
        timeout=30,
    ).raise_for_status()
    key = created["key"]["key"]
    return login_with_key(dash.url, key), key


def _events(text: str) -> list[tuple[str, str]]:
    out = []
    for block in text.strip().split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            out.append((name, "\n".join(data)))
    return out


def test_a_turn_streams_and_ends_with_its_cost(dash: Server, new_email: str) -> None:
    web, key = _member(dash, new_email)
    body = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ],
    }
    with web.stream(
        "POST",
        "/dashboard/api/chat",
        json={"body": body, "mode": "live"},
        headers={"X-CSRF-Token": csrf(web)},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = _events(text)
    chunks = [json.loads(d) for n, d in events if n == "message" and d != "[DONE]"]
    assert any(c["choices"] and c["choices"][0]["delta"].get("content") for c in chunks)
    assert chunks[-1]["usage"]["completion_tokens"] > 0
    assert ("message", "[DONE]") in events
    name, data = events[-1]
    assert name == "cost"
    cost = json.loads(data)
    assert cost["id"] == chunks[0]["id"] and cost["credits"] > 0
    usage = httpx.get(
        f"{dash.url}/api/v1/usage",
        params={"task_id": cost["id"], "kind": "capture"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).json()["data"]["items"]
    assert sum(-row["held_delta"] for row in usage) == cost["credits"]


def test_refusals_come_before_the_stream(dash: Server, new_email: str) -> None:
    web, _ = _member(dash, new_email)
    no_token = web.post("/dashboard/api/chat", json={"body": {"model": MODEL}})
    assert no_token.status_code == 403
    bad = web.post(
        "/dashboard/api/chat",
        json={"body": {"model": MODEL, "messages": []}},
        headers={"X-CSRF-Token": csrf(web)},
    )
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request"
    not_object = web.post(
        "/dashboard/api/chat", json={"body": "hi"}, headers={"X-CSRF-Token": csrf(web)}
    )
    assert not_object.status_code == 400


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (scripts/test-services.sh)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _signed_in(chromium: Browser, dash: Server, key: str) -> Page:
    page = chromium.new_page(viewport={"width": 1360, "height": 900})
    page.goto(f"{dash.url}/login")
    page.locator("details.key-login summary").click()
    page.fill("input[name=key]", key)
    page.locator("form[action='/login/key'] button[type=submit]").click()
    page.wait_for_url(f"{dash.url}/")
    return page


def test_a_conversation_in_the_browser(dash: Server, chromium: Browser, new_email: str) -> None:
    _, key = _member(dash, new_email)
    page = _signed_in(chromium, dash, key)
    page.goto(f"{dash.url}/playground?model={MODEL}")
    expect(page.locator("#pg-chat")).to_be_visible()
    expect(page.locator("#pg-form")).to_be_hidden()
    page.fill("#pg-chat-system", "You answer in one line.")
    page.fill("#pg-chat-temperature", "0.3")
    page.fill("#pg-chat-max-tokens", "200")
    page.fill("#pg-chat-message", "What is a gateway?")
    page.click("#pg-chat-send")
    first = page.locator(".chat-turn.chat-assistant").nth(0)
    expect(first.locator("[data-testid=turn-cost]")).to_contain_text("credits", timeout=30_000)
    expect(first.locator(".chat-content")).not_to_be_empty()
    expect(first.locator("details.reasoning")).to_have_count(1)
    expect(first.locator("details.reasoning")).not_to_have_attribute("open", "")
    page.fill("#pg-chat-message", "And a second question?")
    page.keyboard.press("Enter")
    second = page.locator(".chat-turn.chat-assistant").nth(1)
    expect(second.locator("[data-testid=turn-cost]")).to_contain_text("credits", timeout=30_000)
    expect(page.locator(".chat-turn")).to_have_count(4)
    # The code panel carries the whole conversation, system prompt and settings included.
    expect(page.locator("#pg-curl")).to_contain_text("You answer in one line.")
    expect(page.locator("#pg-curl")).to_contain_text("And a second question?")
    expect(page.locator("#pg-curl")).to_contain_text('"temperature"')
    page.screenshot(path=str(SHOTS / "playground-chat.png"), full_page=True)

    page.fill("#pg-chat-message", "Write a long story sandbox:slow")
    page.click("#pg-chat-send")
    expect(page.locator("#pg-chat-stop")).to_be_visible()
    third = page.locator(".chat-turn.chat-assistant").nth(2)
    expect(third.locator(".chat-content")).not_to_be_empty(timeout=30_000)
    page.click("#pg-chat-stop")
    expect(third.locator("[data-testid=turn-cost]")).to_contain_text("Stopped.")
    expect(page.locator("#pg-chat-stop")).to_be_hidden()
    page.close()
