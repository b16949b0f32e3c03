"""WaveSpeedAI predictions: ``build(channel)`` gives the provider for one channel.

A channel in the providers file::

    [[channels]]
    name = "wavespeed"
    adapter = "wavespeed"
    base_url = "https://api.wavespeed.ai"
    credential_env = "WAVESPEED_API_KEY"
    [channels.models]                     # one id, or one per variant/mode
    "seedream-4-5" = { "seedream/4.5-text-to-image" = "bytedance/seedream-v4.5",
                       "seedream/4.5-edit" = "bytedance/seedream-v4.5/edit" }
    "face-swap" = "wavespeed-ai/image-face-swap"
    [channels.options]
    poll_interval = 1.0                   # seconds before the first poll (it then grows)
    timeout = 60                          # seconds per HTTP request
    [channels.options.params]             # our parameter names -> the model's
    image_urls = "images"
"""

from __future__ import annotations

from apiinone.providers.http import ChannelConfig, HttpJobProvider
from apiinone.providers.wavespeed.translate import (
    WaveSpeedOptions,
    WaveSpeedTranslator,
    check_model_id,
)

__all__ = ["WaveSpeedTranslator", "build"]


def build(channel: ChannelConfig) -> HttpJobProvider:
    """The provider for a channel; a malformed model id or options fail here, at load."""
    check_model_id(channel.upstream_model)
    options = WaveSpeedOptions.read(channel.options)
    if not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    timeout = channel.options.get("timeout", 60)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"channel {channel.name}: option timeout must be a positive number")
    translator = WaveSpeedTranslator(first_poll=options.poll_interval)
    return HttpJobProvider(channel.name, translator, channel, timeout=float(timeout))
