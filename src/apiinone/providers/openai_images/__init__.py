"""OpenAI Images (GPT Image): ``build(channel)`` gives the provider for one channel."""

from __future__ import annotations

from apiinone.providers.http import ChannelConfig
from apiinone.providers.mapping import check_mapping
from apiinone.providers.openai_images.provider import OpenAIImagesProvider
from apiinone.providers.openai_images.translate import (
    InputImage,
    OpenAIImagesTranslator,
    mapping_options,
)

__all__ = ["InputImage", "OpenAIImagesProvider", "OpenAIImagesTranslator", "build"]


def build(channel: ChannelConfig) -> OpenAIImagesProvider:
    """The provider for a channel; malformed options fail here, at load."""
    if not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    if not channel.upstream_model:
        raise ValueError(f"channel {channel.name}: the upstream model id is empty")
    check_mapping(mapping_options(channel.options))
    timeout = channel.options.get("timeout", 300)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"channel {channel.name}: option timeout must be a positive number")
    return OpenAIImagesProvider(channel, timeout=float(timeout))
