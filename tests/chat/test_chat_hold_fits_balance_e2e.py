"""Chat holds what a balance can afford: without max_tokens a small balance still chats (its
hold is what it has, and the tokens that pays for are sent upstream as the maximum); 402
only below the prompt plus a minimal answer; an explicit max_tokens is held in full; many
concurrent chats against a small balance never take it below zero, and the ledger adds up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from apiinone.auth.secrets import generate_key
from apiinone.catalog import load_catalog
from apiinone.chat.billing import MIN_ANSWER_TOKENS, plan_hold
from tests.conftest import Account
from tests.fakes.openai_chat import FakeOpenAI
from tests.support.openai_upstream import openai_upstream
from tests.support.server import Server

GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]
# The quick-start request of the docs (docs/quickstart.md): no max_tokens.
QUICK_START = {"model": "gemini", "messages": [{"role": "user", "content": "Say hello"}]}


def ledger_sum(c: httpx.Client) -> tuple[int, list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = c.get(
            "/api/v1/usage", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
        )
        data = page.json()["data"]
        rows.extend(data["items"])
        cursor = data["next_cursor"]
        if cursor is None:
            break
    return sum(row["amount"] for row in rows), rows


def test_a_small_balance_chats_without_max_tokens(
    server: Server, make_account: Callable[..., Account]
) -> None:
    plan = plan_hold(GEMINI, QUICK_START)
    assert plan.amount > 10 >= plan.minimum  # type: ignore[operator]
    acc = make_account(credits=10)
    with server.client(acc.key) as c:
        quote = c.post(
            "/api/v1/quotes", json={"path": "/v1/chat/completions", "body": QUICK_START}
        ).json()["data"]
        assert (quote["credits"], quote["minimum_credits"]) == (plan.amount, plan.minimum)
        r = c.post("/v1/chat/completions", json=QUICK_START)
        assert r.status_code == 200, r.text
        spent = r.json()["credits_consumed"]
        assert 1 <= spent <= 10 and int(r.headers["x-credits-consumed"]) == spent
        assert c.get("/api/v1/account").json()["data"]["balance"] == 10 - spent
        total, rows = ledger_sum(c)
        hold = next(row for row in rows if row["kind"] == "hold")
        assert hold["amount"] == -10  # all the balance, not the 4096-token worst case
    assert total == 10 - spent


def test_below_a_minimal_answer_is_402_and_explicit_max_tokens_is_held(
    server: Server, make_account: Callable[..., Account]
) -> None:
    long_prompt = {"model": "gemini", "messages": [{"role": "user", "content": "word " * 4000}]}
    least = plan_hold(GEMINI, long_prompt).minimum
    assert least is not None and least > 2
    acc = make_account(credits=least - 1)
    with server.client(acc.key) as c:
        r = c.post("/v1/chat/completions", json=long_prompt)
        assert r.status_code == 402 and r.json()["error"]["type"] == "insufficient_credits"
        assert str(least) in r.json()["error"]["message"]
        full = plan_hold(GEMINI, {**QUICK_START, "max_tokens": 4096}).amount
        assert full > least - 1
        r = c.post("/v1/chat/completions", json={**QUICK_START, "max_tokens": 4096})
        assert r.status_code == 402  # the client's own maximum is held in full
        assert c.get("/api/v1/account").json()["data"]["balance"] == least - 1
    rich = make_account(credits=least)
    with server.client(rich.key) as c:
        assert c.post("/v1/chat/completions", json=long_prompt).status_code == 200


def test_sdk_quick_start_on_ten_credits(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=10)
    for base in ("/v1", "/api/v1"):
        client = OpenAI(api_key=acc.key, base_url=server.url + base, max_retries=0)
        completion = client.chat.completions.create(
            model="gemini", messages=[{"role": "user", "content": "Say hello"}]
        )
        assert completion.choices[0].message.content
        stream = client.chat.completions.create(
            model="gemini", messages=[{"role": "user", "content": "Hello!"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        client.close()
    empty = make_account(credits=0)
    client = OpenAI(api_key=empty.key, base_url=server.url + "/v1", max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="gemini", messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.status_code == 402
    client.close()


async def test_concurrent_chats_never_overdraw_a_small_balance(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=7)
    body = {"model": "gemini", "messages": [{"role": "user", "content": "sandbox:slow hi"}]}

    async def one(c: httpx.AsyncClient, stream: bool) -> tuple[int, int]:
        r = await c.post("/v1/chat/completions", json={**body, "stream": stream})
        if r.status_code == 200 and stream:
            assert r.text.endswith("data: [DONE]\n\n")
        return r.status_code, int(r.headers.get("x-credits-consumed") or 0)

    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {acc.key}"}, timeout=60
    ) as c:
        results = await asyncio.gather(*(one(c, i % 2 == 1) for i in range(24)))
    statuses = {status for status, _ in results}
    assert statuses <= {200, 402} and 200 in statuses and 402 in statuses
    with server.client(acc.key) as c:
        account = c.get("/api/v1/account").json()["data"]
        total, rows = ledger_sum(c)
    assert account["balance"] >= 0 and account["held"] == 0
    assert total == account["balance"]
    assert all(row["balance_after"] >= 0 for row in rows)
    captured = -sum(row["held_delta"] for row in rows if row["kind"] == "capture")
    assert captured == 7 - account["balance"] >= sum(cost for _, cost in results)
    holds = sum(1 for row in rows if row["kind"] == "hold")
    assert holds == sum(1 for status, _ in results if status == 200)  # a 402 holds nothing


# ── the cap goes upstream ─────────────────────────────────────────────────────────────


@pytest.fixture
async def upstream(tmp_path: Path) -> AsyncIterator[tuple[FakeOpenAI, Server, str]]:
    async with openai_upstream(
        tmp_path, "sk-upstream-budget", APIINONE_SIGNUP_BONUS="0"
    ) as running:
        yield running


def _account(server: Server, admin_key: str, credits: int) -> str:
    with server.client(admin_key) as admin:
        email = f"cap-{generate_key()[-8:].lower()}@example.com"
        made = admin.post("/api/v1/admin/accounts", json={"email": email}).json()["data"]
        if credits:
            r = admin.post(
                f"/api/v1/admin/accounts/{made['id']}/credits",
                json={"amount": credits, "reason": "test setup"},
            )
            assert r.status_code == 200, r.text
        return str(made["key"]["key"])


async def test_the_affordable_budget_is_sent_upstream_as_max_tokens(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    fake, server, admin_key = upstream
    key = await asyncio.to_thread(_account, server, admin_key, 3)
    client = OpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0)
    plan = plan_hold(GEMINI, QUICK_START)
    cap = plan.output_cap(GEMINI, 3)
    assert cap is not None and MIN_ANSWER_TOKENS <= cap < 4096
    await asyncio.to_thread(
        client.chat.completions.create, model="gemini", messages=QUICK_START["messages"]
    )
    assert fake.requests[-1]["max_tokens"] == cap
    await asyncio.to_thread(
        client.chat.completions.create,
        model="gemini",
        messages=QUICK_START["messages"],
        max_tokens=20,
    )
    assert fake.requests[-1]["max_tokens"] == 20  # the client's own maximum, untouched
    rich = await asyncio.to_thread(_account, server, admin_key, 1000)
    client = OpenAI(api_key=rich, base_url=server.url + "/v1", max_retries=0)
    await asyncio.to_thread(
        client.chat.completions.create, model="gemini", messages=QUICK_START["messages"]
    )
    assert "max_tokens" not in fake.requests[-1]  # the full default budget is held
