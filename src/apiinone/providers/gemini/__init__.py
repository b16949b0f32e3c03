"""Google Gemini chat (``generateContent`` / ``streamGenerateContent``) behind the OpenAI
chat contract: ``build(channel)`` gives the provider for one channel."""

from __future__ import annotations

from apiinone.providers.gemini.provider import GeminiChatProvider
from apiinone.providers.gemini.translate import GeminiOptions
from apiinone.providers.http import ChannelConfig

__all__ = ["GeminiChatProvider", "build"]


def build(channel: ChannelConfig) -> GeminiChatProvider:
    """The provider for a channel; malformed options or base URL fail here, at load."""
    if channel.base_url and not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    try:
        GeminiOptions.read(channel.options)
    except ValueError as exc:
        raise ValueError(f"channel {channel.name}: {exc}") from exc
    return GeminiChatProvider(channel)
