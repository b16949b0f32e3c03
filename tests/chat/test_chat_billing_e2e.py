"""Chat billing: hold the worst case, capture the exact cost from usage, release the rest."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import orjson

from apiinone.catalog import chat_cost, load_catalog
from tests.conftest import Account
from tests.support.server import Server

GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]


def rows(c: httpx.Client, completion_id: str) -> list[tuple[str, int, int]]:
    items = c.get("/api/v1/usage", params={"task_id": completion_id}).json()["data"]["items"]
    return [(r["kind"], r["amount"], r["held_delta"]) for r in reversed(items)]


def test_capture_is_the_exact_token_cost(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    with server.client(acc.key) as c:
        quote = c.post(
            "/api/v1/quotes",
            json={
                "path": "/v1/chat/completions",
                "body": {
                    "model": "gemini",
                    "messages": [{"role": "user", "content": "hello"}],
                    "max_tokens": 500,
                },
            },
        ).json()["data"]
        r = c.post(
            "/api/v1/chat/completions",
            json={
                "model": "gemini",
                "messages": [{"role": "user", "content": "hello"}],
                "max_tokens": 500,
            },
        )
        body = r.json()
        usage = body["usage"]
        cost = chat_cost(GEMINI, usage["prompt_tokens"], usage["completion_tokens"])
        assert body["credits_consumed"] == cost
        held = quote["credits"]
        assert rows(c, body["id"]) == [
            ("hold", -held, held),
            ("capture", 0, -cost),
            ("release", held - cost, -(held - cost)),
        ]
        assert c.get("/api/v1/account").json()["data"]["balance"] == 1000 - cost


def test_failure_before_output_costs_nothing(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    with server.client(acc.key) as c:
        r = c.post(
            "/v1/chat/completions",
            json={"model": "gemini", "messages": [{"role": "user", "content": "sandbox:fail"}]},
        )
        assert r.status_code == 502 and r.json()["error"]["type"] == "upstream_error"
        r = c.post(
            "/v1/chat/completions",
            json={
                "model": "gemini",
                "stream": True,
                "messages": [{"role": "user", "content": "sandbox:fail"}],
            },
        )
        assert r.status_code == 502
        account = c.get("/api/v1/account").json()["data"]
        assert (account["balance"], account["held"]) == (1000, 0)


def test_error_mid_stream_closes_with_an_error_event_and_bills_delivered(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    with (
        server.client(acc.key) as c,
        c.stream(
            "POST",
            "/v1/chat/completions",
            json={
                "model": "gemini",
                "stream": True,
                "include_thoughts": False,
                "messages": [{"role": "user", "content": "tell me sandbox:cut now"}],
            },
        ) as r,
    ):
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert r.headers["x-accel-buffering"] == "no"
    last = orjson.loads(lines[-1][6:])
    assert last["error"]["type"] == "upstream_error"
    assert "[DONE]" not in lines[-1]
    delivered = "".join(
        (orjson.loads(x[6:])["choices"][0]["delta"].get("content") or "") for x in lines[:-1]
    )
    with server.client(acc.key) as c:
        account = c.get("/api/v1/account").json()["data"]
        assert account["held"] == 0
        prompt = GEMINI  # the rule: prompt estimate + ceil(delivered chars / 4)
        from apiinone.catalog import estimate_prompt_tokens

        params = {"messages": [{"role": "user", "content": "tell me sandbox:cut now"}]}
        expected = chat_cost(prompt, estimate_prompt_tokens(params), -(-len(delivered) // 4))
        assert 1000 - account["balance"] == expected
