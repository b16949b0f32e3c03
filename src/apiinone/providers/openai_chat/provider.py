"""I/O for OpenAI-compatible chat over the shared aiohttp session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson

from apiinone.providers.base import ProviderContext
from apiinone.providers.chat import OPENAI_PROPERTIES, ChatRequest, UpstreamFailure
from apiinone.providers.http import ChannelConfig
from apiinone.providers.openai_chat import translate
from apiinone.providers.sse import SseDecoder
from apiinone.redact import Scrubber

__all__ = ["OpenAIChatProvider"]

CONNECT_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)


class OpenAIChatProvider:
    """Every OpenAI property passes through; ``reasoning_effort`` (the model's level) only on
    channels whose option ``reasoning_effort`` is true."""

    name = "openai"
    max_choices = 128  # OpenAI's own limit on n

    def __init__(self, channel: ChannelConfig, *, timeout: float = 600.0) -> None:
        self.channel = channel
        self._scrubber = Scrubber(channel.credential)
        self.carries = (
            OPENAI_PROPERTIES
            if channel.options.get("reasoning_effort")
            else OPENAI_PROPERTIES - {"reasoning_effort"}
        )
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=10, sock_read=300)

    def _send(self, request: ChatRequest, ctx: ProviderContext) -> Any:
        http = translate.build_request(request, self.channel)
        headers = dict(http.headers)
        headers["Content-Type"] = "application/json"
        return ctx.session.request(
            http.method,
            http.url,
            headers=headers,
            data=orjson.dumps(http.json),
            timeout=self.timeout,
        )

    def _scrub(self, body: bytes) -> bytes:
        """Our credential out of whatever the upstream sent (a hostile or careless upstream
        may quote the request's Authorization header back): it reaches neither the client
        nor a log line nor the channel's last error. Only the whole credential token is
        replaced: an answer without it passes byte for byte."""
        return self._scrubber.bytes(body)

    async def complete(self, request: ChatRequest, ctx: ProviderContext) -> dict[str, Any]:
        try:
            async with self._send(request, ctx) as response:
                body = self._scrub(await response.read())
                if response.status != 200:
                    raise translate.map_error(response.status, body, dict(response.headers))
        except CONNECT_ERRORS as exc:
            raise UpstreamFailure(f"could not reach the provider ({type(exc).__name__})") from exc
        return translate.parse_response(request, 200, body)

    async def stream(
        self, request: ChatRequest, ctx: ProviderContext
    ) -> AsyncIterator[dict[str, Any]]:
        try:
            async with self._send(request, ctx) as response:
                if response.status != 200:
                    body = self._scrub(await response.read())
                    raise translate.map_error(response.status, body, dict(response.headers))
                decoder = SseDecoder(each_line=True)
                while True:
                    data = await response.content.readany()  # b"" at the end
                    for payload in decoder.feed(data) if data else decoder.close():
                        item = translate.parse_stream_data(request, self._scrub(payload))
                        if item is translate.DONE:
                            return
                        if isinstance(item, dict):
                            yield item
                    if not data:
                        return
        except CONNECT_ERRORS as exc:
            raise UpstreamFailure(f"the provider's stream broke ({type(exc).__name__})") from exc
