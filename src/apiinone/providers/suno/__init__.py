"""Suno through a reseller API (sunoapi.org, kie.ai): ``build(channel)`` gives the provider
for one channel, which serves every Suno catalog model (suno, suno-extend, suno-cover,
suno-upload-cover, suno-lyrics)."""

from __future__ import annotations

from apiinone.providers.http import ChannelConfig
from apiinone.providers.suno.bodies import SunoInputError
from apiinone.providers.suno.options import DEFAULT_MODELS, SunoOptions
from apiinone.providers.suno.provider import SunoJobProvider
from apiinone.providers.suno.translate import SunoTranslator

__all__ = [
    "DEFAULT_MODELS",
    "SunoInputError",
    "SunoJobProvider",
    "SunoOptions",
    "SunoTranslator",
    "build",
]


def build(channel: ChannelConfig) -> SunoJobProvider:
    """The provider for a channel; malformed options fail here, at load."""
    if not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    try:
        options = SunoOptions.read(channel.options)
    except ValueError as exc:
        raise ValueError(f"channel {channel.name}: {exc}") from exc
    translator = SunoTranslator(poll_seconds=options.poll_seconds)
    return SunoJobProvider(channel.name, translator, channel, timeout=options.timeout)
