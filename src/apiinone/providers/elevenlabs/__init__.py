"""ElevenLabs text-to-dialogue: ``build(channel)`` gives the provider for one channel.

ElevenLabs answers with the audio, so the shared HTTP driver ends the job on submission.
"""

from __future__ import annotations

from apiinone.providers.elevenlabs.translate import ElevenLabsOptions, ElevenLabsTranslator
from apiinone.providers.http import ChannelConfig, HttpJobProvider

__all__ = ["ElevenLabsOptions", "ElevenLabsTranslator", "build"]


def build(channel: ChannelConfig) -> HttpJobProvider:
    """The provider for a channel; malformed options fail here, at load."""
    if not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    if not channel.upstream_model:
        raise ValueError(f"channel {channel.name}: the upstream model id is empty")
    try:
        ElevenLabsOptions.read(channel.options)
    except ValueError as exc:
        raise ValueError(f"channel {channel.name}: {exc}") from exc
    timeout = channel.options.get("timeout", 180)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"channel {channel.name}: option timeout must be a positive number")
    return HttpJobProvider(channel.name, ElevenLabsTranslator(), channel, timeout=float(timeout))
