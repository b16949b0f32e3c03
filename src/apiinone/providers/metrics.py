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

    def record(self, channel: str, outcome: str, state: CircuitState) -> None:
        self.calls.labels(channel=channel, outcome=outcome).inc()
        self.circuit.labels(channel=channel).set(STATE_VALUE[state])
