"""The baseline: the least a Python proxy can do, as /work/shared/PERFORMANCE.md measures it.

    python bench/bare_proxy.py --port 18001 --upstream http://127.0.0.1:18000/v1

One Starlette route and one shared aiohttp session: the request body goes to the upstream
unread, the answer comes back as it is (a stream chunk by chunk). No auth, no rate limit, no
billing, no parsing. One uvicorn worker on uvloop and httptools, no access log; no cap on
upstream connections, and the open-file limit raised to the hard limit (the long-stream
scenarios hold thousands of streams open).
"""

from __future__ import annotations

import argparse
import contextlib
import resource
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


def build(upstream: str, token: str) -> Starlette:
    target = upstream.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    state: dict[str, aiohttp.ClientSession] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        try:
            yield
        finally:
            await state["session"].close()

    async def chat(request: Request) -> Response:
        body = await request.body()
        upstream_response = await state["session"].post(target, data=body, headers=headers)
        content_type = upstream_response.headers.get("Content-Type", "application/json")
        if not content_type.startswith("text/event-stream"):
            data = await upstream_response.read()
            upstream_response.release()
            return Response(data, status_code=upstream_response.status, media_type=content_type)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream_response.content.iter_any():
                    yield chunk
            finally:
                upstream_response.release()

        return StreamingResponse(
            chunks(), status_code=upstream_response.status, media_type="text/event-stream"
        )

    async def healthz(request: Request) -> Response:
        return Response(b"ok")

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/api/v1/chat/completions", chat, methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18001)
    parser.add_argument("--upstream", default="http://127.0.0.1:18000/v1")
    parser.add_argument("--token", default="sk-bench")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvicorn.run(
        build(args.upstream, args.token),
        host=args.host,
        port=args.port,
        workers=1,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        backlog=8192,
    )


if __name__ == "__main__":
    main()
