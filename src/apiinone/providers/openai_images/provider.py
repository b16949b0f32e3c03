"""OpenAI Images on the :class:`~apiinone.providers.base.Provider` contract.

An edit (a job with ``input_urls``) needs the input images as bytes: they are fetched here
with ``ctx.fetch`` — the gateway's guarded fetcher, which also reads the gateway's own
``/files/...`` — so OpenAI is never asked to reach a URL it may not see. The request itself
is built by the pure translator and sent by the shared HTTP driver, which owns the I/O
errors, the timeout and the scrubbing of the key.

OpenAI answers with the images: a submission ends the job, there is nothing to poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiinone.net.sniff import sniff
from apiinone.providers.base import (
    Failed,
    JobRequest,
    Outcome,
    PollOutcome,
    ProviderContext,
)
from apiinone.providers.http import ChannelConfig, HttpJobProvider
from apiinone.providers.openai_images.translate import InputImage, OpenAIImagesTranslator

__all__ = ["OpenAIImagesProvider"]


class OpenAIImagesProvider:
    def __init__(
        self,
        channel: ChannelConfig,
        translator: OpenAIImagesTranslator | None = None,
        *,
        timeout: float = 300.0,
    ) -> None:
        self.name = channel.name
        self.translator = translator or OpenAIImagesTranslator()
        self._channel = channel
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"OpenAIImagesProvider(channel={self._channel.name!r})"

    async def submit(self, job: JobRequest, ctx: ProviderContext) -> Outcome:
        translator = self.translator
        urls = translator.input_urls(job)
        if urls:
            images = []
            for url in urls:  # a refused or missing input fails the task (the engine's job)
                data, declared = await ctx.fetch(url)
                images.append(InputImage(data=data, content_type=sniff(data) or declared))
            problem = translator.check_inputs(images)
            if problem is not None:
                return problem
            translator = translator.with_inputs(images)
        driver = HttpJobProvider(self.name, translator, self._channel, timeout=self._timeout)
        return await driver.submit(job, ctx)

    async def poll(
        self,
        job: JobRequest,
        upstream_id: str,
        state: Mapping[str, Any] | None,
        ctx: ProviderContext,
    ) -> PollOutcome:
        return Failed(
            message="OpenAI Images answers synchronously: there is nothing to poll",
            code="upstream_not_pollable",
        )

    async def cancel(self, job: JobRequest, upstream_id: str, ctx: ProviderContext) -> None:
        return None
