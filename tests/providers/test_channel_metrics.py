"""Channel metrics: every call counted under its labels, the latest circuit state kept."""

from __future__ import annotations

from prometheus_client import generate_latest

from apiinone.providers.circuit import CircuitState
from apiinone.providers.metrics import ChannelMetrics


def test_calls_and_circuit_state_per_channel() -> None:
    metrics = ChannelMetrics()
    for _ in range(3):
        metrics.record("a/chat", "success", CircuitState.CLOSED)
    metrics.record("a/chat", "failure", CircuitState.HALF_OPEN)
    metrics.record("b/chat", "failure", CircuitState.OPEN)
    text = generate_latest(metrics.registry).decode()
    assert 'apiinone_channel_calls_total{channel="a/chat",outcome="success"} 3.0' in text
    assert 'apiinone_channel_calls_total{channel="a/chat",outcome="failure"} 1.0' in text
    assert 'apiinone_channel_calls_total{channel="b/chat",outcome="failure"} 1.0' in text
    assert 'apiinone_channel_circuit_state{channel="a/chat"} 1.0' in text
    assert 'apiinone_channel_circuit_state{channel="b/chat"} 2.0' in text
