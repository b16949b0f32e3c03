"""MiniMax (Hailuo) video: ``build(channel)`` gives the provider for one channel.

A channel in the providers file::

    [[channels]]
    name = "minimax"
    adapter = "minimax"
    base_url = "https://api.minimax.io"        # or https://api.minimaxi.com (mainland)
    credential_env = "MINIMAX_API_KEY"
    [channels.models]            # one model name, or one per variant/mode
    "hailuo-2-3" = "MiniMax-Hailuo-2.3"
    [channels.options]
    poll_interval = 5.0          # seconds before the first poll (it then grows)
    callbacks = false            # true: send callback_url (the receiver must echo the challenge)

Our ``image`` becomes ``first_frame_image`` and ``duration`` an integer by default
(:data:`~apiinone.providers.minimax.translate.DEFAULT_PARAMS`); ``[channels.options.params]``
overrides that per parameter.
"""

from __future__ import annotations

from apiinone.providers.http import ChannelConfig, HttpJobProvider
from apiinone.providers.minimax.translate import MiniMaxOptions, MiniMaxVideoTranslator

__all__ = ["MiniMaxVideoTranslator", "build"]


def build(channel: ChannelConfig) -> HttpJobProvider:
    """The provider for a channel; malformed options fail here, at load."""
    if not channel.upstream_model.strip():
        raise ValueError(f"channel {channel.name}: a MiniMax model name is required")
    options = MiniMaxOptions.read(channel.options)
    if not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    timeout = channel.options.get("timeout", 60)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"channel {channel.name}: option timeout must be a positive number")
    translator = MiniMaxVideoTranslator(first_poll=options.poll_interval)
    return HttpJobProvider(channel.name, translator, channel, timeout=float(timeout))
