"""Task webhooks end to end: a receiver fails twice, the third delivery arrives signed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from standardwebhooks import Webhook

from tests.conftest import Account
from tests.support.server import Server, free_port
from tests.support.tasks import run

IMAGES = "/api/v1/images/generations"


class Receiver:
    """A webhook receiver on loopback that fails the first ``failures`` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.deliveries: list[tuple[int, dict[str, str], bytes]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = 500 if len(self.deliveries) < self.failures else 200
        self.deliveries.append((status, dict(request.headers), body))
        return web.Response(status=status, text="ok" if status == 200 else "not yet")

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def __enter__(self) -> Receiver:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def wait_for(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count:
            assert time.monotonic() < deadline, f"only {len(self.deliveries)} deliveries"
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(failures=2) as r:
        yield r


def test_third_delivery_arrives_signed(
    server: Server, make_account: Callable[..., Account], receiver: Receiver
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        secret = c.get("/api/v1/account/webhook-secret").json()["data"]["secret"]
        assert c.get("/api/v1/account").json()["data"]["webhook_secret"] == secret
        task = run(c, IMAGES, {"model": "flux-2", "prompt": "a kite", "callback_url": receiver.url})
        receiver.wait_for(3)
        statuses = [d[0] for d in receiver.deliveries]
        assert statuses == [500, 500, 200]
        ids = {d[1]["webhook-id"] for d in receiver.deliveries}
        assert len(ids) == 1
        _, headers, body = receiver.deliveries[-1]
        payload = Webhook(secret).verify(body, headers)
        assert payload["type"] == "task.succeeded"
        assert (
            payload["data"]["task_id"] == task["task_id"] and payload["data"]["status"] == "SUCCESS"
        )
        assert payload["data"]["response"] == task["response"]
        deadline = time.monotonic() + 10
        while True:
            log = c.get(f"/api/v1/tasks/{task['task_id']}/webhooks").json()["data"]["items"]
            if (log and log[0]["status"] == "delivered") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert log[0]["status"] == "delivered"
    assert [a["status_code"] for a in log[0]["attempt_log"]] == [500, 500, 200]
    assert secret not in str(log)


def test_failed_task_sends_task_failed(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with Receiver(failures=0) as receiver, server.client(acc.key) as c:
        secret = c.get("/api/v1/account/webhook-secret").json()["data"]["secret"]
        run(c, IMAGES, {"model": "flux-2", "prompt": "sandbox:fail", "callback_url": receiver.url})
        receiver.wait_for(1)
        _, headers, body = receiver.deliveries[0]
        payload = Webhook(secret).verify(body, headers)
        assert payload["type"] == "task.failed" and payload["data"]["consumed_credits"] == 0
