"""Which provider runs a model: channels configured by the operator, or the sandbox.

- ``aio_test_`` keys always go to the sandbox.
- With no real channel configured at all, the gateway runs in sandbox mode: every model
  goes to the sandbox.
- Once any real channel is configured, a model without one answers 503: never sandbox
  output for real credits.
- A channel serves the variants and modes its binding names (``providers/bindings.py``):
  a request whose variant and mode no channel binds is a 400 before any hold, one whose
  channels are all failing a 503, and failover only goes to channels that bind it too.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from apiinone.catalog.routing import RouteKey
from apiinone.errors import InvalidRequest, ServiceUnavailable
from apiinone.providers.base import Provider
from apiinone.providers.chat import ChatProvider
from apiinone.providers.circuit import CircuitBreaker, CircuitState
from apiinone.providers.concurrency import ChannelSlots
from apiinone.providers.metrics import ChannelMetrics

__all__ = ["Channel", "ProviderRouter", "Route", "RouteState"]

RouteState = Literal["live", "down", "unbound"]


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    provider: Provider | ChatProvider
    priority: int = 0
    weight: int = 1
    adapter: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    upstream_model: str = ""
    routes: frozenset[RouteKey] | None = None  # the variants and modes served; None: all

    def serves(self, key: RouteKey | None) -> bool:
        return key is None or self.routes is None or key in self.routes

    # Requests carried at once across the group (0: no cap); see providers/concurrency.py.
    max_concurrency: int = 0
    group: str = ""  # the providers-file channel this model binding belongs to


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
        *,
        breaker: CircuitBreaker | None = None,
        metrics: ChannelMetrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.sandbox_chat = sandbox_chat
        self._channels = {model: list(chs) for model, chs in channels.items() if chs}
        self._by_name = {ch.name: ch for chs in self._channels.values() for ch in chs}
        self.breaker = breaker or CircuitBreaker()
        self.metrics = metrics or ChannelMetrics()
        self.slots = ChannelSlots(self.metrics)
        self._rng = rng or random.Random()

    @property
    def sandbox_mode(self) -> bool:
        return not self._channels

    @property
    def channels(self) -> list[Channel]:
        return list(self._by_name.values())

    def candidates(
        self, model: str, *, route: RouteKey | None = None, exclude: Collection[str] = ()
    ) -> list[Channel]:
        """Channels that bind ``route`` (every channel of the model when it is ``None``),
        in order: by priority, then weighted at random within a priority; channels with an
        open circuit are left out."""
        channels = self._channels.get(model)
        if not channels:
            raise ServiceUnavailable(
                f"The model '{model}' has no provider configured on this gateway"
            )
        channels = [ch for ch in channels if ch.serves(route)]
        ordered: list[Channel] = []
        for priority in sorted({ch.priority for ch in channels}):
            group = [ch for ch in channels if ch.priority == priority and ch.name not in exclude]
            while group:
                pick = self._rng.choices(group, weights=[max(ch.weight, 0) or 1 for ch in group])[0]
                group.remove(pick)
                ordered.append(pick)
        return [ch for ch in ordered if self.breaker.allow(ch.name)]

    def route(self, model: str, *, test: bool, key: RouteKey | None = None) -> Route:
        """The provider a new task starts with (failover happens at submission): refused
        with a 400 when no channel binds the request's variant and mode, a 503 when the
        channels that do are all failing."""
        if test or self.sandbox_mode:
            return Route(self.sandbox, None)
        if key is not None:
            self.check_bound(model, key)
        candidates = self.candidates(model, route=key)
        if not candidates:
            what = key.describe(model) if key is not None else f"'{model}'"
            raise ServiceUnavailable(
                f"Every provider channel for the model {what} is failing; retry later"
            )
        first = candidates[0]
        return Route(first.provider, first.name)  # type: ignore[arg-type]

    def route_chat(self, model: str, *, test: bool) -> list[Channel]:
        """Chat channels to try in order (the sandbox alone in sandbox mode)."""
        if test or self.sandbox_mode:
            return [Channel(name="sandbox", provider=self.sandbox_chat)]
        candidates = self.candidates(model)
        if not candidates:
            raise ServiceUnavailable(
                f"Every provider channel for '{model}' is failing; retry later"
            )
        return candidates

    def check_bound(self, model: str, key: RouteKey, *, test: bool = False) -> None:
        """Refuse (400) a variant and mode that no channel of the model binds."""
        if test or self.sandbox_mode or self.bound(model, key):
            return
        served = sorted({str(k) for ch in self._channels.get(model, ()) for k in ch.routes or ()})
        raise InvalidRequest(
            f"The model {key.describe(model)} is not served on this gateway: no provider "
            f"channel binds it. Served here: {', '.join(served) or 'nothing'}",
            param="model",
        )

    def bound(self, model: str, key: RouteKey) -> bool:
        """Some channel binds the model's variant and mode (whatever its circuit)."""
        channels = self._channels.get(model)
        if not channels:
            return True  # no channel at all is the model's 503, not a binding's 400
        return any(ch.serves(key) for ch in channels)

    def state(self, model: str, key: RouteKey, *, test: bool = False) -> RouteState:
        """``live`` (a channel binds it and may be tried), ``down`` (bound, every circuit
        open) or ``unbound`` (nothing here serves it)."""
        if test or self.sandbox_mode:
            return "live"
        channels = [ch for ch in self._channels.get(model, ()) if ch.serves(key)]
        if not channels:
            return "unbound"
        states = {self.breaker.health(ch.name).state for ch in channels}
        return "down" if states == {CircuitState.OPEN} else "live"

    def report(self, channel: str | None, *, ok: bool, error: str = "") -> None:
        """Count a call's outcome against its channel's circuit."""
        if channel is None or channel not in self._by_name:
            return
        if ok:
            self.breaker.success(channel)
        else:
            self.breaker.failure(channel, error)
        state = self.breaker.health(channel).state
        self.metrics.record(channel, "success" if ok else "failure", state)

    def label(self, channel: str | None, provider: Provider) -> str:
        """What a task row's ``provider`` column holds (40 characters): the channel's adapter,
        or the sandbox's name. The channel column names the channel itself."""
        found = self.channel(channel)
        return found.adapter if found is not None and found.adapter else provider.name

    def channel(self, name: str | None) -> Channel | None:
        return self._by_name.get(name) if name else None

    def channel_health(self) -> list[dict[str, Any]]:
        """Every channel with its circuit state and counts (never its credentials): what the
        admin API and the admin console show."""
        rows = []
        for channel in self.channels:
            health = self.breaker.health(channel.name)
            rows.append(
                {
                    "name": channel.name,
                    "adapter": channel.adapter,
                    "upstream_model": channel.upstream_model,
                    "routes": None
                    if channel.routes is None
                    else sorted(str(key) for key in channel.routes),
                    "priority": channel.priority,
                    "weight": channel.weight,
                    "circuit": health.state.value,
                    "consecutive_failures": health.consecutive_failures,
                    "failures": health.total_failures,
                    "successes": health.total_successes,
                    "last_error": health.last_error,
                    "max_concurrency": channel.max_concurrency,
                    "in_flight": self.slots.in_flight(channel),
                    "refused": self.slots.refused(channel),
                }
            )
        return rows

    def provider_for(self, provider_name: str, channel: str | None) -> Provider:
        if channel is None or provider_name == self.sandbox.name:
            return self.sandbox
        found = self._by_name.get(channel)
        if found is None:
            raise ServiceUnavailable(f"The channel '{channel}' is no longer configured")
        return found.provider  # type: ignore[return-value]
