"""remove.bg: ``build(channel)`` gives the provider for one channel.

remove.bg answers with the cut-out image, so the shared HTTP driver ends the job on
submission. The channel's upstream model id is not sent (remove.bg has one model).
"""

from __future__ import annotations

from apiinone.providers.http import ChannelConfig, HttpJobProvider
from apiinone.providers.mapping import check_mapping
from apiinone.providers.removebg.translate import RemoveBgTranslator, mapping_options

__all__ = ["RemoveBgTranslator", "build"]


def build(channel: ChannelConfig) -> HttpJobProvider:
    """The provider for a channel; malformed options fail here, at load."""
    if not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    check_mapping(mapping_options(channel.options))
    timeout = channel.options.get("timeout", 60)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"channel {channel.name}: option timeout must be a positive number")
    return HttpJobProvider(channel.name, RemoveBgTranslator(), channel, timeout=float(timeout))
