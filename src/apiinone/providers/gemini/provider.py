"""I/O for Gemini chat over the shared aiohttp session; translation lives in ``translate.py``
(requests) and ``parse.py`` (answers and errors).

A connection that cannot be made, breaks, or goes silent past the read timeout is an
:class:`UpstreamFailure` (retryable). The channel's key travels only in the
``x-goog-api-key`` header: it is never logged and is scrubbed from every failure message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from apiinone.providers.base import ProviderContext
from apiinone.providers.chat import ChatRequest, UpstreamFailure
from apiinone.providers.gemini import parse, translate
from apiinone.providers.http import ChannelConfig, HttpRequest
from apiinone.providers.sse import SseDecoder
from apiinone.redact import Scrubber

__all__ = ["GeminiChatProvider"]

_log = logging.getLogger(__name__)
CONNECT_ERRORS = (aiohttp.ClientError, TimeoutError)


class GeminiChatProvider:
    name = "gemini"
    max_choices = 8  # Gemini's most candidates (candidateCount) per request

    def __init__(
        self,
        channel: ChannelConfig,
        *,
        timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> None:
        self.channel = channel
        self._scrubber = Scrubber(channel.credential)
        self.options = translate.GeminiOptions.read(channel.options)
        self.carries = translate.carried(self.options)
        total = timeout or self.options.timeout
        self.timeout = aiohttp.ClientTimeout(
            total=total, sock_connect=10, sock_read=read_timeout or min(total, 300.0)
        )

    def __repr__(self) -> str:
        return f"GeminiChatProvider(channel={self.channel.name!r})"

    def _send(self, http: HttpRequest, ctx: ProviderContext) -> Any:
        return ctx.session.request(
            http.method,
            http.url,
            headers=dict(http.headers),
            params=dict(http.params) if http.params else None,
            json=http.json,
            timeout=self.timeout,
            allow_redirects=False,
        )

    def _clean(self, failure: UpstreamFailure) -> UpstreamFailure:
        message = self._scrubber.text(failure.message)
        if message != failure.message:
            failure.message = message
            failure.args = (message,)
        return failure

    def _unreachable(self, http: HttpRequest, exc: BaseException, what: str) -> UpstreamFailure:
        parts = urlsplit(http.url)
        _log.warning(
            "%s: POST %s://%s%s failed: %s",
            self.channel.name,
            parts.scheme,
            parts.netloc,
            parts.path,
            type(exc).__name__,
        )
        return UpstreamFailure(f"{what} ({type(exc).__name__})")

    async def complete(self, request: ChatRequest, ctx: ProviderContext) -> dict[str, Any]:
        http = translate.build_request(request, self.channel, self.options)
        try:
            async with self._send(http, ctx) as response:
                body = await response.read()
                status, headers = response.status, dict(response.headers)
        except CONNECT_ERRORS as exc:
            raise self._unreachable(http, exc, "could not reach Gemini") from exc
        try:
            if status != 200:
                raise parse.map_error(status, body, headers)
            return parse.parse_response(request, body, created=int(time.time()))
        except UpstreamFailure as failure:
            raise self._clean(failure) from failure.__cause__

    async def stream(
        self, request: ChatRequest, ctx: ProviderContext
    ) -> AsyncIterator[dict[str, Any]]:
        http = translate.build_request(request, self.channel, self.options)
        translator = parse.StreamTranslator(request, created=int(time.time()))
        decoder = SseDecoder()
        try:
            async with self._send(http, ctx) as response:
                if response.status != 200:
                    body = await response.read()
                    raise parse.map_error(response.status, body, dict(response.headers))
                if response.content_type != "text/event-stream":
                    raise UpstreamFailure(
                        f"the provider answered a stream with {response.content_type}, "
                        "not an event stream"
                    )
                async for data in response.content.iter_any():
                    for payload in decoder.feed(data):
                        for chunk in translator.event(parse.decode_event(payload)):
                            yield chunk
                for payload in decoder.close():
                    for chunk in translator.event(parse.decode_event(payload)):
                        yield chunk
                for chunk in translator.finish():
                    yield chunk
        except CONNECT_ERRORS as exc:
            raise self._unreachable(http, exc, "the stream from Gemini broke") from exc
        except UpstreamFailure as failure:
            raise self._clean(failure) from failure.__cause__
