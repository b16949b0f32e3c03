"""How many requests each channel carries at once, and its cap (``max_concurrency``).

A chat request takes a slot on the channel it goes to and gives it back when its answer is
over (a stream: when the last event is written or the client is gone). A channel whose
operator set ``max_concurrency`` refuses a request when all its slots are taken: the
request moves on to the next channel binding the model, and when every one is full it is
answered at once with 503 and ``Retry-After`` (:class:`ChannelsBusy`): never a wait in a
queue. A channel without a cap counts its requests all the same, so ``/metrics`` and the
admin channels page show what each one carries.

The count is per providers-file channel (``Channel.group``: every model it binds shares
its slots, as an upstream account's concurrency is shared) and per process: with several
server processes, each one allows ``max_concurrency`` of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from apiinone.errors import ServiceUnavailable

if TYPE_CHECKING:
    from apiinone.providers.metrics import ChannelMetrics
    from apiinone.providers.registry import Channel

__all__ = ["RETRY_AFTER_SECONDS", "ChannelSlots", "ChannelsBusy", "Slot"]

RETRY_AFTER_SECONDS = 1


class ChannelsBusy(ServiceUnavailable):
    """Every channel that could serve the request is at its ``max_concurrency``."""

    def __init__(self, model: str) -> None:
        super().__init__(
            f"Every provider channel for '{model}' is at its concurrency limit; retry shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class Slot:
    """One request's place on a channel; ``release`` gives it back (once, however often it
    is called; a slot dropped unreleased is given back when it is collected)."""

    __slots__ = ("_group", "_slots")

    def __init__(self, slots: ChannelSlots, group: str) -> None:
        self._slots: ChannelSlots | None = slots
        self._group = group

    def release(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            slots._give_back(self._group)

    def __del__(self) -> None:
        self.release()


class ChannelSlots:
    def __init__(self, metrics: ChannelMetrics) -> None:
        self._metrics = metrics
        self._in_flight: dict[str, int] = {}
        self._refused: dict[str, int] = {}

    @staticmethod
    def group(channel: Channel) -> str:
        return channel.group or channel.name

    def has_room(self, channel: Channel) -> bool:
        cap = channel.max_concurrency
        return cap <= 0 or self._in_flight.get(self.group(channel), 0) < cap

    def any_room(self, channels: Iterable[Channel]) -> bool:
        return any(self.has_room(channel) for channel in channels)

    def take(self, channel: Channel) -> Slot | None:
        """A slot on ``channel``, or None (counted as a refusal) when it is full."""
        group = self.group(channel)
        if not self.has_room(channel):
            self._refused[group] = self._refused.get(group, 0) + 1
            self._metrics.refused(group)
            return None
        count = self._in_flight[group] = self._in_flight.get(group, 0) + 1
        self._metrics.in_flight(group, count)
        return Slot(self, group)

    def refuse_all(self, channels: Iterable[Channel]) -> None:
        """Count a refusal on each of ``channels`` (a request none of them had room for)."""
        for group in {self.group(channel) for channel in channels}:
            self._refused[group] = self._refused.get(group, 0) + 1
            self._metrics.refused(group)

    def _give_back(self, group: str) -> None:
        count = self._in_flight[group] = max(0, self._in_flight.get(group, 0) - 1)
        self._metrics.in_flight(group, count)

    def in_flight(self, channel: Channel) -> int:
        return self._in_flight.get(self.group(channel), 0)

    def refused(self, channel: Channel) -> int:
        return self._refused.get(self.group(channel), 0)
