"""Prometheus metrics of the gateway's upstream channels, in the gateway's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from apiinone.providers.circuit import CircuitState

__all__ = ["ChannelMetrics"]

STATE_VALUE = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}


class ChannelMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.circuit = Gauge(
            "apiinone_channel_circuit_state",
            "Circuit state of an upstream channel: 0 closed, 1 half-open, 2 open",
            ["channel"],
            registry=self.registry,
        )
        self.calls = Counter(
            "apiinone_channel_calls",
            "Calls to an upstream channel by outcome (success, failure)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.in_flight_gauge = Gauge(
            "apiinone_channel_in_flight",
            "Requests an upstream channel is carrying now (open streams included), this process",
            ["channel"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "apiinone_channel_refused",
            "Requests a channel refused at its max_concurrency (failed over, or answered 503)",
            ["channel"],
            registry=self.registry,
        )

        # Label lookups cost more than the increment: each child is looked up once.
        self._calls: dict[tuple[str, str], Counter] = {}
        self._circuits: dict[str, Gauge] = {}
        self._in_flight: dict[str, Gauge] = {}
        self._refused: dict[str, Counter] = {}

    def record(self, channel: str, outcome: str, state: CircuitState) -> None:
        calls = self._calls.get((channel, outcome))
        if calls is None:
            calls = self._calls[channel, outcome] = self.calls.labels(channel, outcome)
        calls.inc()
        circuit = self._circuits.get(channel)
        if circuit is None:
            circuit = self._circuits[channel] = self.circuit.labels(channel)
        circuit.set(STATE_VALUE[state])

    def in_flight(self, channel: str, count: int) -> None:
        gauge = self._in_flight.get(channel)
        if gauge is None:
            gauge = self._in_flight[channel] = self.in_flight_gauge.labels(channel)
        gauge.set(count)

    def refused(self, channel: str) -> None:
        counter = self._refused.get(channel)
        if counter is None:
            counter = self._refused[channel] = self.refusals.labels(channel)
        counter.inc()
