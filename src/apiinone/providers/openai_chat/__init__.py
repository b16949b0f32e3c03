"""OpenAI-compatible chat upstreams: OpenAI, DeepSeek, vLLM, Ollama, OpenRouter (by base URL)."""

from apiinone.providers.http import ChannelConfig
from apiinone.providers.openai_chat.provider import OpenAIChatProvider

__all__ = ["OpenAIChatProvider", "build"]


def build(channel: ChannelConfig) -> OpenAIChatProvider:
    return OpenAIChatProvider(channel)
