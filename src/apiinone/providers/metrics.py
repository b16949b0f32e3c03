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

        # Label lookups cost more than the increment: each child is looked up once.
        self._calls: dict[tuple[str, str], Counter] = {}
        self._circuits: dict[str, Gauge] = {}

    def record(self, channel: str, outcome: str, state: CircuitState) -> None:
        calls = self._calls.get((channel, outcome))
        if calls is None:
            calls = self._calls[channel, outcome] = self.calls.labels(channel, outcome)
        calls.inc()
        circuit = self._circuits.get(channel)
        if circuit is None:
            circuit = self._circuits[channel] = self.circuit.labels(channel)
        circuit.set(STATE_VALUE[state])
