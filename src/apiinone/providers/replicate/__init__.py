"""Replicate predictions: ``build(channel)`` gives the provider for one channel."""

from __future__ import annotations

from apiinone.providers.http import ChannelConfig, HttpJobProvider
from apiinone.providers.replicate.translate import (
    ReplicateOptions,
    ReplicateTranslator,
    parse_model_ref,
)
from apiinone.providers.replicate.webhooks import WebhookSignatureError, verify_replicate_webhook

__all__ = [
    "ReplicateTranslator",
    "WebhookSignatureError",
    "build",
    "verify_replicate_webhook",
]


def build(channel: ChannelConfig) -> HttpJobProvider:
    """The provider for a channel; a malformed model id or options fail here, at load."""
    parse_model_ref(channel.upstream_model)
    ReplicateOptions.read(channel.options)
    if not channel.base_url.startswith(("https://", "http://")):
        raise ValueError(f"channel {channel.name}: base_url must be an http(s) URL")
    timeout = channel.options.get("timeout", 60)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"channel {channel.name}: option timeout must be a positive number")
    first_poll = channel.options.get("first_poll_seconds", 1.0)
    if not isinstance(first_poll, int | float) or isinstance(first_poll, bool) or first_poll <= 0:
        raise ValueError(f"channel {channel.name}: first_poll_seconds must be a positive number")
    translator = ReplicateTranslator(
        first_poll=float(first_poll), max_poll=max(10.0, float(first_poll))
    )
    return HttpJobProvider(channel.name, translator, channel, timeout=float(timeout))
