"""A slow OpenAI-compatible chat upstream on loopback whose streams wait at a gate.

``POST /v1/chat/completions`` with ``"stream": true`` sends its first chunk at once, then
waits until the gate opens (``open_gate()``), then sends the rest, a usage chunk and
``data: [DONE]``. A request without ``stream`` waits at the gate too, then answers a
``chat.completion``. It counts the requests it received (``.received``), the streams open
now (``.open``) and at most at once (``.most_open``). Any bearer token is accepted.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiohttp import web

__all__ = ["GatedChat"]

WORDS = ["one", "two", "three", "four"]


class GatedChat:
    def __init__(self) -> None:
        self.received = 0
        self.open = 0
        self.most_open = 0
        self.gate = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def open_gate(self) -> None:
        self.gate.set()

    async def __aenter__(self) -> GatedChat:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        # Many streams at once: a deep accept backlog, so no connection is refused.
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.received += 1
        created = int(time.time())
        usage = {"prompt_tokens": 11, "completion_tokens": len(WORDS), "total_tokens": 15}
        if not body.get("stream"):
            await self.gate.wait()
            return web.json_response(
                {
                    "id": "chatcmpl-gated",
                    "object": "chat.completion",
                    "created": created,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": " ".join(WORDS)},
                            "finish_reason": "stop",
                            "logprobs": None,
                        }
                    ],
                    "usage": usage,
                }
            )

        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            data = {
                "id": "chatcmpl-gated",
                "object": "chat.completion.chunk",
                "created": created,
                "model": body["model"],
                "choices": choices,
                **extra,
            }
            return b"data: " + orjson.dumps(data) + b"\n\n"

        def delta(content: str, finish: str | None = None) -> bytes:
            return event([{"index": 0, "delta": {"content": content}, "finish_reason": finish}])

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await response.write(delta(""))
            await self.gate.wait()
            for word in WORDS:
                await response.write(delta(word + " "))
            await response.write(delta("", "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                await response.write(event([], usage=usage))
            await response.write(b"data: [DONE]\n\n")
        finally:
            self.open -= 1
        return response
