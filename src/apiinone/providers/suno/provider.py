"""The HTTP job driver with one Suno addition: a job the channel cannot send (a parent
without reseller ids, upload-cover without a public URL) fails before any request."""

from __future__ import annotations

from apiinone.providers.base import JobRequest, Outcome, ProviderContext
from apiinone.providers.http import ChannelConfig, HttpJobProvider
from apiinone.providers.suno.translate import SunoTranslator

__all__ = ["SunoJobProvider"]


class SunoJobProvider(HttpJobProvider):
    def __init__(
        self, name: str, translator: SunoTranslator, channel: ChannelConfig, *, timeout: float
    ) -> None:
        super().__init__(name, translator, channel, timeout=timeout)
        self._suno = translator
        self._config = channel

    async def submit(self, job: JobRequest, ctx: ProviderContext) -> Outcome:
        refusal = self._suno.refusal(job, self._config)
        if refusal is not None:
            return refusal
        return await super().submit(job, ctx)
