"""The shipped examples/providers.toml: every catalog model bound, every channel loadable,
and no credential written into the file."""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiinone.catalog import load_catalog
from apiinone.catalog.routing import route_keys
from apiinone.providers.bindings import parse_binding
from apiinone.providers.channels import ADAPTERS, load_channels

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "providers.toml"
TEXT = EXAMPLE.read_text()
DOCUMENT = tomllib.loads(TEXT)
CHANNELS: list[dict[str, Any]] = DOCUMENT.get("channels", [])
CATALOG = load_catalog()
CATALOG_SLUGS = frozenset(model.slug for model in CATALOG.models)
# What keys look like at the providers this file names (OpenAI/DeepSeek, Replicate, fal's
# "Authorization: Key ...", Google): none of it may appear as a value.
CREDENTIAL_PREFIXES = ("sk-", "r8_", "Key ", "AIza")
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
CHANNEL_HEADER = re.compile(r"^\[\[channels\]\][ \t]*$", re.MULTILINE)


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted path, value) in a parsed TOML value, tables and arrays included."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def _keys(value: Any) -> Iterator[tuple[str, str]]:
    """Every (dotted path, key) of every table in a parsed TOML value."""
    for path, item in _walk(value):
        if isinstance(item, dict):
            for key in item:
                yield path, str(key)


def _missing_builder(adapter: str) -> str | None:
    """Why the adapter's ``build`` cannot be imported yet, or None when it can."""
    target = ADAPTERS.get(adapter)
    if target is None:
        return None  # an unknown adapter is a failure, not a skip (see the test below)
    module, _, function = target.partition(":")
    try:
        getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as exc:
        return f"adapter {adapter!r} is not written yet ({target} does not import: {exc})"
    return None


def _channel_blocks() -> dict[str, str]:
    """Each channel's own TOML text (its ``[[channels]]`` table and sub-tables), by name."""
    starts = [match.start() for match in CHANNEL_HEADER.finditer(TEXT)]
    blocks: dict[str, str] = {}
    for begin, end in zip(starts, [*starts[1:], len(TEXT)], strict=True):
        block = TEXT[begin:end]
        (channel,) = tomllib.loads(block)["channels"]
        blocks[str(channel["name"])] = block
    return blocks


BLOCKS = _channel_blocks()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dummy value for every variable the file names, so the channels can load."""
    for name in sorted({str(channel["credential_env"]) for channel in CHANNELS}):
        monkeypatch.setenv(name, "dummy-credential-for-tests")


def test_the_file_has_channels() -> None:
    assert CHANNELS, "examples/providers.toml defines no [[channels]]"
    assert set(BLOCKS) == {str(channel["name"]) for channel in CHANNELS}


def test_every_catalog_model_has_a_channel() -> None:
    """Counted from the TOML itself, so a channel whose adapter is missing still counts."""
    bound = {slug for channel in CHANNELS for slug in channel.get("models", {})}
    assert sorted(CATALOG_SLUGS - bound) == [], "catalog models without a channel"
    assert sorted(bound - CATALOG_SLUGS) == [], "bindings for models the catalog lacks"


def test_every_channel_binds_real_upstream_ids() -> None:
    """Each binding fits its model's variants and modes, with a non-empty id for each."""
    for channel in CHANNELS:
        models = channel.get("models", {})
        assert models, f"channel {channel['name']} binds no model"
        for slug, value in models.items():
            model = next(m for m in CATALOG.models if m.slug == slug)
            binding = parse_binding(model, value)
            assert binding.upstreams, f"{channel['name']}: {slug} binds nothing"
            assert all(u.strip() for u in binding.upstreams.values())


def test_no_channel_serves_a_variant_or_mode_with_another_ones_id() -> None:
    """The shipped bindings of the silently wrong cases: each variant and mode has an id of
    its own, and what no upstream serves is left unbound (refused, not served wrongly)."""
    served: dict[tuple[str, str], set[str]] = {}
    for channel in CHANNELS:
        for slug, value in channel.get("models", {}).items():
            model = next(m for m in CATALOG.models if m.slug == slug)
            for key, upstream in parse_binding(model, value).upstreams.items():
                served.setdefault((slug, str(key)), set()).add(upstream)
    assert served[("recraft-v4", "recraft-v4-text-to-vector")] == {"recraft-ai/recraft-v4-svg"}
    assert served[("recraft-v4", "recraft-v4-pro-text-to-vector")] == {
        "recraft-ai/recraft-v4-pro-svg"
    }
    assert served[("kling-3", "pro/image-to-video")] == {"fal-ai/kling-video/v3/pro/image-to-video"}
    for slug in ("wan-2-6", "vidu-q3", "pixverse-5-6", "seedance-1-5-pro"):
        assert all("image-to-video" in u for u in served[(slug, "image-to-video")]), slug
        assert all("text-to-video" in u for u in served[(slug, "text-to-video")]), slug
    assert "fal-ai/imagen4/preview/ultra" in served[("imagen-4", "imagen4-ultra")]
    assert "fal-ai/imagen4/preview" not in served[("imagen-4", "imagen4-fast")]
    assert served[("ideogram-v3", "ideogram-v3-quality/text-to-image")] == {
        "ideogram-ai/ideogram-v3-quality"
    }
    pro_1080 = served[("hailuo-2-3", "hailuo/2-3-image-to-video-pro/1080P")]
    assert "fal-ai/minimax/hailuo-2.3/pro/image-to-video" in pro_1080
    assert ("hailuo-2-3", "hailuo/2-3-image-to-video-pro/768P") not in served
    assert ("video-bg-remover", "replace-background") not in served
    assert ("grok-imagine", "grok-imagine/upscale") not in served
    assert served[("hunyuan-image-3", "edit")] == {"wavespeed-ai/hunyuan-image-3-instruct-edit"}


def test_every_adapter_is_registered() -> None:
    unknown = {
        str(channel["name"]): channel.get("adapter")
        for channel in CHANNELS
        if channel.get("adapter") not in ADAPTERS
    }
    assert unknown == {}, f"adapters not in ADAPTERS ({sorted(ADAPTERS)})"


def test_channel_names_are_unique() -> None:
    names = [str(channel["name"]) for channel in CHANNELS]
    assert len(names) == len(set(names))


def test_credentials_are_only_named() -> None:
    for channel in CHANNELS:
        env = channel.get("credential_env")
        assert isinstance(env, str) and ENV_NAME.fullmatch(env), channel["name"]
        assert "credential_file" not in channel, channel["name"]


def test_no_value_looks_like_a_credential() -> None:
    credential_keys = [path for path, key in _keys(DOCUMENT) if key == "credential"]
    assert credential_keys == [], "a `credential =` key puts the secret in the file"
    assert not re.search(r"^\s*credential\s*=", TEXT, re.MULTILINE)
    suspicious = [
        (path, value)
        for path, value in _walk(DOCUMENT)
        if isinstance(value, str) and value.startswith(CREDENTIAL_PREFIXES)
    ]
    assert suspicious == []
    keys = [(path, key) for path, key in _keys(DOCUMENT) if key.startswith(CREDENTIAL_PREFIXES)]
    assert keys == []


def test_models_bound_twice_fail_over_in_order() -> None:
    """A variant and mode served by several channels has one primary: distinct priorities,
    lowest first."""
    priorities: dict[str, list[int]] = {}
    for channel in CHANNELS:
        for slug, value in channel.get("models", {}).items():
            model = next(m for m in CATALOG.models if m.slug == slug)
            for key in parse_binding(model, value).upstreams:
                where = f"{slug} {key}"
                priorities.setdefault(where, []).append(int(channel.get("priority", 0)))
    tied = {slug: found for slug, found in priorities.items() if len(set(found)) != len(found)}
    assert tied == {}, "variants/modes whose channels share a priority (no failover order)"


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_channel_loads(name: str, credentials: None, tmp_path: Path) -> None:
    """Each channel on its own through load_channels: its adapter builds it, its options
    pass the adapter's checks, and every model it binds gets a channel."""
    (channel,) = tomllib.loads(BLOCKS[name])["channels"]
    reason = _missing_builder(str(channel.get("adapter")))
    if reason is not None:
        pytest.skip(reason)
    path = tmp_path / f"{name}.toml"
    path.write_text(BLOCKS[name])
    loaded = load_channels(path, CATALOG)
    assert set(loaded) == set(channel["models"])
    for slug, built in loaded.items():
        model = next(m for m in CATALOG.models if m.slug == slug)
        binding = parse_binding(model, channel["models"][slug])
        assert [one.upstream_model for one in built] == binding.ids
        for one in built:
            assert one.name.startswith(f"{name}/{slug}")
            assert one.adapter == channel["adapter"]
            assert one.priority == int(channel.get("priority", 0))
            assert one.routes == binding.routes_of(one.upstream_model)
            assert one.routes and one.routes <= set(route_keys(model))


def test_whole_file_loads(credentials: None) -> None:
    missing = sorted(
        {
            reason
            for channel in CHANNELS
            if (reason := _missing_builder(str(channel.get("adapter")))) is not None
        }
    )
    if missing:
        pytest.skip("; ".join(missing))
    loaded = load_channels(EXAMPLE, CATALOG)
    assert sorted(CATALOG_SLUGS - set(loaded)) == []
    for slug, channels in loaded.items():
        assert channels, slug
