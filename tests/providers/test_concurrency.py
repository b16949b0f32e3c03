"""Channel slots: a cap shared by every model binding of one providers-file channel, slots
given back once, refusals counted, and the option read (and checked) from the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import generate_latest

from apiinone.providers.channels import ChannelFileError, load_channels
from apiinone.providers.concurrency import ChannelSlots
from apiinone.providers.metrics import ChannelMetrics
from apiinone.providers.registry import Channel
from apiinone.providers.sandbox.chat import SandboxChat

CHANNEL = """
[[channels]]
name = "capped"
adapter = "openai"
base_url = "http://127.0.0.1:9/v1"
credential_env = "CAPPED_TEST_KEY"
{cap}
[channels.models]
gemini = "gemini-3-flash"
deepseek-chat = "deepseek-v4-flash"
"""


def channel(name: str, group: str, cap: int) -> Channel:
    return Channel(name=name, provider=SandboxChat(), max_concurrency=cap, group=group)


def test_a_cap_is_shared_by_the_channel_s_models_and_slots_come_back_once() -> None:
    metrics = ChannelMetrics()
    slots = ChannelSlots(metrics)
    a, b = channel("up/gemini", "up", 2), channel("up/gpt-5", "up", 2)
    first, second = slots.take(a), slots.take(b)
    assert first is not None and second is not None
    assert slots.take(a) is None and slots.take(b) is None  # full across both models
    assert not slots.any_room([a, b])
    first.release()
    first.release()  # once only
    assert slots.in_flight(a) == 1 and slots.refused(a) == 2
    third = slots.take(b)
    assert third is not None
    text = generate_latest(metrics.registry).decode()
    assert 'apiinone_channel_in_flight{channel="up"} 2.0' in text
    assert 'apiinone_channel_refused_total{channel="up"} 2.0' in text
    second.release()
    third.release()
    assert slots.in_flight(a) == 0


def test_an_uncapped_channel_counts_but_never_refuses() -> None:
    slots = ChannelSlots(ChannelMetrics())
    free = channel("free/gemini", "free", 0)
    taken = [slots.take(free) for _ in range(1000)]
    assert all(taken) and slots.in_flight(free) == 1000 and slots.refused(free) == 0
    del taken  # dropped unreleased: given back when collected
    assert slots.in_flight(free) == 0


def test_the_providers_file_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPPED_TEST_KEY", "sk-capped-test-key-0123456789")
    path = tmp_path / "providers.toml"
    path.write_text(CHANNEL.format(cap="max_concurrency = 3"))
    loaded = load_channels(path, {"gemini", "deepseek-chat"})
    bound = [*loaded["gemini"], *loaded["deepseek-chat"]]
    assert [(c.max_concurrency, c.group) for c in bound] == [(3, "capped"), (3, "capped")]
    path.write_text(CHANNEL.format(cap=""))
    assert load_channels(path, {"gemini", "deepseek-chat"})["gemini"][0].max_concurrency == 0
    for bad in ("-1", '"10"', "1.5", "true"):
        path.write_text(CHANNEL.format(cap=f"max_concurrency = {bad}"))
        with pytest.raises(ChannelFileError, match="max_concurrency"):
            load_channels(path, {"gemini", "deepseek-chat"})
