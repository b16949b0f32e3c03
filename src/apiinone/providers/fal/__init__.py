"""fal.ai's queue: ``build(channel)`` gives the provider for one channel.

Channel options (besides the parameter mapping of :mod:`apiinone.providers.mapping`):
``timeout`` (seconds per HTTP call, default 60) and ``poll_interval`` (seconds between
status polls, default 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiinone.providers.fal.translate import FalApp, FalTranslator, parse_app
from apiinone.providers.fal.webhook import FalWebhook, FalWebhookError, parse_fal_webhook
from apiinone.providers.http import ChannelConfig, HttpJobProvider
from apiinone.providers.mapping import check_mapping

__all__ = [
    "FalApp",
    "FalTranslator",
    "FalWebhook",
    "FalWebhookError",
    "build",
    "parse_app",
    "parse_fal_webhook",
]


def build(channel: ChannelConfig) -> HttpJobProvider:
    """The provider for a channel; a malformed endpoint id or options fail here, at load."""
    parse_app(channel.upstream_model)
    check_mapping(channel.options)
    if not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    timeout = _positive(channel.options, "timeout", 60.0, channel.name)
    interval = _positive(channel.options, "poll_interval", 2.0, channel.name)
    return HttpJobProvider(
        channel.name, FalTranslator(poll_interval=interval), channel, timeout=timeout
    )


def _positive(options: Mapping[str, Any], key: str, default: float, name: str) -> float:
    value = options.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"channel {name}: option {key} must be a positive number")
    return float(value)
