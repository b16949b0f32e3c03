"""A fake OpenAI-compatible chat upstream on loopback (``POST /v1/chat/completions``).

It answers in the documented format: a ``chat.completion`` object, or a
``text/event-stream`` of ``chat.completion.chunk`` objects ending with ``data: [DONE]``
(with a usage chunk first when ``stream_options.include_usage`` is set); ``n`` choices. Behaviour is chosen
by words in the last message:

- ``fake:slow``      stream 40 chunks, 0.1 s apart (for disconnect tests)
- ``fake:midstream`` send 3 chunks, then an error event, then close
- ``fake:500`` / ``fake:429`` / ``fake:400``  answer with that status and an OpenAI error body
- ``fake:stall``     send nothing for 20 s
- ``fake:pause``     go silent for 2 s after the third chunk
- ``fake:together``  send the whole stream in one write (as a provider that buffers does)

It records every request (``.requests``) and when a streaming client went away
(``.disconnects``: monotonic times).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.schemas import subject, summary, violations

__all__ = ["FakeOpenAI"]


class FakeOpenAI:
    def __init__(self, *, token: str = "sk-fake") -> None:
        self.token = token
        self.requests: list[dict[str, Any]] = []
        self.disconnects: list[float] = []
        self.finished_streams = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models/{model}", self._model)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def _error(status: int, message: str, kind: str) -> web.Response:
        body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        headers = {"Retry-After": "1"} if status == 429 else {}
        return web.json_response(body, status=status, headers=headers)

    async def _model(self, request: web.Request) -> web.Response:
        """The model look-up a channel test sends (``GET /models/{id}``)."""
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, "Incorrect API key provided", "invalid_request_error")
        model = request.match_info["model"]
        if model.startswith("missing"):
            return self._error(404, f"The model {model} does not exist", "invalid_request_error")
        return web.json_response({"id": model, "object": "model", "owned_by": "fake"})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, "Incorrect API key provided", "invalid_request_error")
        body = await request.json()
        self.requests.append(body)
        problems = violations("openai", *subject("openai", request.path, body))
        if problems:  # OpenAI's answer to a body its schema refuses
            where = ".".join(str(p) for p in problems[0]["loc"][1:]) or None
            error = {
                "message": summary(problems),
                "type": "invalid_request_error",
                "param": where,
                "code": None,
            }
            return web.json_response({"error": error}, status=400)
        last = str(body["messages"][-1].get("content", ""))
        for code in (500, 429, 400):
            if f"fake:{code}" in last:
                return self._error(
                    code,
                    f"forced {code}",
                    "server_error" if code == 500 else "invalid_request_error",
                )
        words = (["w"] * 40) if "fake:slow" in last else f"Echo: {last}".split()
        if not body.get("stream"):
            return web.json_response(self._completion(body, " ".join(words)))
        return await self._stream(request, body, words, last)

    def _completion(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": index,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
                for index in range(int(body.get("n") or 1))
            ],
            "usage": {
                "prompt_tokens": 11,
                "completion_tokens": len(text.split()),
                "total_tokens": 11 + len(text.split()),
            },
        }

    async def _stream(
        self, request: web.Request, body: dict[str, Any], words: list[str], last: str
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            data = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + orjson.dumps(data) + b"\n\n"

        held: list[bytes] | None = [] if "fake:together" in last else None

        async def write(data: bytes) -> None:
            if held is None:
                await response.write(data)
            else:
                held.append(data)

        try:
            if "fake:stall" in last:
                await asyncio.sleep(20)
            await write(chunk({"role": "assistant", "content": ""}))
            for index, word in enumerate(words):
                if "fake:midstream" in last and index == 3:
                    await write(
                        b'data: {"error": {"message": "upstream exploded", "type": "server_error"}}\n\n'
                    )
                    return response
                if "fake:slow" in last:
                    await asyncio.sleep(0.1)
                if "fake:pause" in last and index == 2:
                    await asyncio.sleep(2.0)
                await write(chunk({"content": word + " "}))
            await write(chunk({}, "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": body["model"],
                    "choices": [],
                    "usage": {
                        "prompt_tokens": 11,
                        "completion_tokens": len(words),
                        "total_tokens": 11 + len(words),
                    },
                }
                await write(b"data: " + orjson.dumps(usage) + b"\n\n")
            await write(b"data: [DONE]\n\n")
            if held is not None:
                await response.write(b"".join(held))
            self.finished_streams += 1
        except (ConnectionResetError, asyncio.CancelledError):
            self.disconnects.append(time.monotonic())
            raise
        return response
