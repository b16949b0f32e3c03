"""A fast fake OpenAI-compatible chat upstream for the benchmarks, run as its own process.

    python bench/upstream.py --port 18000

``POST /v1/chat/completions`` (and ``/chat/completions``) answers with a fixed
``chat.completion`` body, or, when the body asks for ``"stream": true``, with a
``text/event-stream`` of 20 content chunks, a finish chunk, a usage chunk (when
``stream_options.include_usage`` is set) and ``data: [DONE]``, one write per event as a
real upstream sends them. Every answer is built once at start-up; a request only costs a
body parse. ``GET /healthz`` answers 200. Any bearer token is accepted.

A stream whose last message begins with ``LONG_PROMPT`` is a slow one, like a model
thinking aloud: the role chunk at once, then each of the 20 content chunks after
``--chunk-interval`` seconds (0.5: a 10-second stream). The long-stream scenarios hold
thousands of them open at once, so the listen backlog is deep and the open-file limit is
raised to the hard limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import time

import orjson
from aiohttp import web

MODEL = "bench-upstream-model"
WORDS = [f"word{i}" for i in range(20)]
PROMPT_TOKENS = 11
LONG_PROMPT = "LONG-STREAM"


def _completion() -> bytes:
    text = " ".join(WORDS)
    return orjson.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": len(WORDS),
                "total_tokens": PROMPT_TOKENS + len(WORDS),
            },
        }
    )


def _event(data: dict[str, object]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


def _stream_events() -> tuple[list[bytes], bytes]:
    created = int(time.time())

    def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
        return _event(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": word + " "}) for word in WORDS[:-1]]
    events.append(chunk({"content": WORDS[-1]}, None))
    events.append(chunk({}, "stop"))
    usage = _event(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL,
            "choices": [],
            "usage": {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": len(WORDS),
                "total_tokens": PROMPT_TOKENS + len(WORDS),
            },
        }
    )
    return events, usage


COMPLETION = _completion()
EVENTS, USAGE = _stream_events()
DONE = b"data: [DONE]\n\n"


def _is_long(body: dict[str, object]) -> bool:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return False
    content = messages[-1].get("content")
    return isinstance(content, str) and content.startswith(LONG_PROMPT)


async def chat(request: web.Request) -> web.StreamResponse:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return web.Response(
            status=400,
            body=b'{"error": {"message": "malformed JSON", "type": "invalid_request_error"}}',
            content_type="application/json",
        )
    if not body.get("stream"):
        return web.Response(body=COMPLETION, content_type="application/json")
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    interval = request.app["chunk_interval"] if _is_long(body) else 0.0
    for index, event in enumerate(EVENTS):
        if interval and 0 < index <= len(WORDS):
            await asyncio.sleep(interval)
        await response.write(event)
    if (body.get("stream_options") or {}).get("include_usage"):
        await response.write(USAGE)
    await response.write(DONE)
    await response.write_eof()
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18000)
    parser.add_argument("--chunk-interval", type=float, default=0.5)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    app = web.Application()
    app["chunk_interval"] = args.chunk_interval
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/chat/completions", chat)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None, backlog=8192)


if __name__ == "__main__":
    main()
