"""Which provider runs a model: channels configured by the operator, or the sandbox.

- ``aio_test_`` keys always go to the sandbox.
- With no real channel configured at all, the gateway runs in sandbox mode: every model
  goes to the sandbox.
- Once any real channel is configured, a model without one answers 503: never sandbox
  output for real credits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apiinone.errors import ServiceUnavailable
from apiinone.providers.base import Provider
from apiinone.providers.chat import ChatProvider

__all__ = ["Channel", "ProviderRouter", "Route"]


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    provider: Provider | ChatProvider
    priority: int = 0
    weight: int = 1
    adapter: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Route:
    provider: Provider
    channel: str | None


class ProviderRouter:
    def __init__(
        self,
        sandbox: Provider,
        sandbox_chat: ChatProvider,
        channels: Mapping[str, Sequence[Channel]],
    ) -> None:
        self.sandbox = sandbox
        self.sandbox_chat = sandbox_chat
        self._channels = {model: list(chs) for model, chs in channels.items() if chs}
        self._by_name = {ch.name: ch for chs in self._channels.values() for ch in chs}

    @property
    def sandbox_mode(self) -> bool:
        return not self._channels

    def _best(self, model: str) -> Channel:
        channels = self._channels.get(model)
        if not channels:
            raise ServiceUnavailable(
                f"The model '{model}' has no provider configured on this gateway"
            )
        return min(channels, key=lambda ch: ch.priority)

    def route(self, model: str, *, test: bool) -> Route:
        if test or self.sandbox_mode:
            return Route(self.sandbox, None)
        best = self._best(model)
        return Route(best.provider, best.name)  # type: ignore[arg-type]

    def route_chat(self, model: str, *, test: bool) -> ChatProvider:
        if test or self.sandbox_mode:
            return self.sandbox_chat
        return self._best(model).provider  # type: ignore[return-value]

    def channel(self, name: str | None) -> Channel | None:
        return self._by_name.get(name) if name else None

    def provider_for(self, provider_name: str, channel: str | None) -> Provider:
        if channel is None or provider_name == self.sandbox.name:
            return self.sandbox
        found = self._by_name.get(channel)
        if found is None:
            raise ServiceUnavailable(f"The channel '{channel}' is no longer configured")
        return found.provider  # type: ignore[return-value]
