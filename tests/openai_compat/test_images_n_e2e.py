"""``n`` images are one decision: held together or not at all, whatever the concurrency;
the answer says what it cost and which tasks made it (the official OpenAI SDK)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from tests.conftest import Account
from tests.openai_compat.support import ledger_of, sdk, tasks_of
from tests.support.server import Server

PRICE = 5  # flux-2 pro/1K, one image per task
N = 4
REQUESTS, ADMITTED = 100, 3


def test_n_answer_names_its_tasks_and_cost(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    raw = sdk(server, acc.key).images.with_raw_response.generate(
        model="flux-2", prompt="two herons", n=2
    )
    result = raw.parse()
    tasks = tasks_of(server, acc.key)
    ids = sorted(t["task_id"] for t in tasks)
    assert len(ids) == 2 and {t["status"] for t in tasks} == {"SUCCESS"}
    assert sorted(raw.headers["x-task-id"].split(",")) == ids
    assert raw.headers["x-credits-consumed"] == str(2 * PRICE)
    assert result.model_extra is not None and sorted(result.model_extra["task_ids"]) == ids
    assert result.credits_consumed == 2 * PRICE  # type: ignore[attr-defined]
    assert sum(t["consumed_credits"] for t in tasks) == 2 * PRICE


def test_n_beyond_the_balance_is_one_402_and_no_task(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=3 * PRICE + 2)  # three images fit, four do not
    with pytest.raises(openai.APIStatusError) as caught:
        sdk(server, acc.key).images.generate(model="flux-2", prompt="four dogs", n=N)
    assert caught.value.status_code == 402
    assert f"needs {N * PRICE} credits" in caught.value.message
    assert tasks_of(server, acc.key) == []
    assert [r for r in ledger_of(server, acc.key) if r["task_id"]] == []
    with server.client(acc.key) as c:
        account = c.get("/api/v1/account").json()["data"]
    assert account["balance"] == 3 * PRICE + 2 and account["held"] == 0


def test_concurrent_n_requests_admit_exactly_what_the_balance_covers(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=ADMITTED * N * PRICE)
    client = sdk(server, acc.key)

    def generate(index: int) -> int | str:
        try:
            result = client.images.generate(model="flux-2", prompt=f"crowd {index}", n=N)
        except openai.APIStatusError as exc:
            assert f"needs {N * PRICE} credits" in exc.message, exc.message
            return exc.status_code
        assert result.data is not None and len(result.data) == N
        return "ok"

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        outcomes = list(pool.map(generate, range(REQUESTS)))
    assert outcomes.count("ok") == ADMITTED
    assert outcomes.count(402) == REQUESTS - ADMITTED
    tasks = tasks_of(server, acc.key)
    assert len(tasks) == ADMITTED * N
    assert {t["status"] for t in tasks} == {"SUCCESS"}  # no orphan CANCELED
    rows = ledger_of(server, acc.key)
    kinds = [r["kind"] for r in rows if r["task_id"]]
    assert kinds.count("hold") == kinds.count("capture") == ADMITTED * N
    assert len(kinds) == 2 * ADMITTED * N
    with server.client(acc.key) as c:
        account = c.get("/api/v1/account").json()["data"]
    assert account["balance"] == 0 and account["held"] == 0
    assert sum(r["amount"] for r in rows) == account["balance"]
