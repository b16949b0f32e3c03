"""Prices: every documented figure, and every combination inside its documented range."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiinone.catalog import (
    Catalog,
    ModelSpec,
    chat_cost,
    chat_hold,
    price_bounds,
    price_request,
    price_table,
    validate_request,
)

from .bodies import IMAGE_URL, body_for, priced_bodies


def model_of(catalog: Catalog, name: str) -> ModelSpec:
    resolved = catalog.get(name)
    assert resolved is not None, name
    return resolved.model


def price(catalog: Catalog, name: str, **fields: object) -> int:
    model = model_of(catalog, name)
    body = body_for(catalog, model, model=name, **fields)
    validated = validate_request(catalog, model.endpoint, body)
    return price_request(model, validated)


DOCUMENTED = [
    ("flux-2", {"type": "pro", "resolution": "1K"}, 5),
    ("flux-2", {"type": "pro", "resolution": "2K"}, 7),
    ("flux-2", {"type": "flex", "resolution": "1K"}, 14),
    ("flux-2", {"type": "flex", "resolution": "2K"}, 24),
    ("flux-2", {}, 5),
    ("gpt-image-1-5", {}, 10),
    ("gpt-image-1.5-official", {"quality": "high"}, 28),
    ("ideogram-v3", {}, 8),
    ("ideogram-v3-balanced", {}, 13),
    ("ideogram-v3-quality", {}, 20),
    ("ideogram-v4", {}, 12),
    ("imagen4-fast", {}, 4),
    ("imagen-4", {}, 8),
    ("imagen4-ultra", {}, 12),
    ("cogview-4", {}, 4),
    ("grok-imagine", {}, 5),
    ("grok-imagine/upscale", {"task_id": "t1"}, 12),
    ("kling-image-o1", {}, 6),
    ("kling-image-o1", {"type": "ai-multi-shot"}, 16),
    ("recraft-v4", {}, 10),
    ("recraft-v4-text-to-vector", {}, 20),
    ("recraft-v4-pro-text-to-image", {}, 60),
    ("recraft-v4-text-to-vector-pro", {}, 70),
    ("hunyuan-image-3", {}, 25),
    ("seedream", {}, 12),
    ("seedream/4.5-edit", {"image_urls": [IMAGE_URL]}, 12),
    ("kling-3", {"mode": "std", "duration": 5, "sound": True}, 300),
    ("pixverse-5-6", {}, 90),
    ("suno", {}, 10),  # the default variant, chirp-v4-5
    ("suno-v3-5", {}, 5),
    ("chirp-v4-0", {}, 8),
    ("chirp-v4-5", {}, 10),
    ("suno-v4-5", {}, 10),
    ("chirp-v4-5-plus", {}, 10),
    ("chirp-v5", {}, 12),
    ("suno-v5-0", {}, 12),
    ("chirp-v5-5", {}, 12),
    ("minimax-music", {}, 30),
    ("suno-cover", {}, 1),
    ("suno-lyrics", {}, 2),
    ("bg-remover", {}, 1),
    ("face-swap", {}, 4),
    ("image-upscale", {}, 1),
    ("video-bg-remover", {}, 10),
    ("video-upscale", {}, 10),
]


@pytest.mark.parametrize(("name", "fields", "credits"), DOCUMENTED)
def test_documented_prices(
    catalog: Catalog, name: str, fields: dict[str, object], credits: int
) -> None:
    assert price(catalog, name, **fields) == credits


def test_gemini_reproduces_the_docs_example(catalog: Catalog) -> None:
    assert chat_cost(model_of(catalog, "gemini"), 12, 156) == 2


@given(prompt=st.integers(0, 10**9), completion=st.integers(0, 10**9))
def test_chat_cost_is_the_exact_ceiling(catalog: Catalog, prompt: int, completion: int) -> None:
    gemini = model_of(catalog, "gemini")
    rates = gemini.price.tokens
    assert rates is not None
    exact = Fraction(
        prompt * rates.input_per_million + completion * rates.output_per_million, 1_000_000
    )
    assert chat_cost(gemini, prompt, completion) == max(math.ceil(exact), gemini.price.minimum)


def test_chat_hold_is_the_worst_case(catalog: Catalog) -> None:
    gemini = model_of(catalog, "gemini")
    assert chat_hold(gemini, 12, 156) == chat_cost(gemini, 12, 156)
    assert chat_hold(gemini, 100, None) == chat_cost(gemini, 100, 4096)
    deepseek = model_of(catalog, "deepseek-chat")
    assert deepseek.operator_set
    assert chat_cost(deepseek, 10_000, 10_000) < chat_cost(gemini, 10_000, 10_000)


def test_chat_quote_holds_for_max_tokens(catalog: Catalog) -> None:
    gemini = model_of(catalog, "gemini")
    body = {"model": "gemini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100}
    validated = validate_request(catalog, gemini.endpoint, body)
    assert price_request(gemini, validated) >= chat_cost(gemini, 1, 100)


@pytest.mark.parametrize(
    ("chars", "credits"), [(1, 1), (999, 28), (1000, 28), (1001, 29), (5000, 140)]
)
def test_elevenlabs_by_characters(catalog: Catalog, chars: int, credits: int) -> None:
    assert price(catalog, "elevenlabs-v3", dialogue=[{"text": "a" * chars}]) == credits


def test_elevenlabs_counts_every_line_together(catalog: Catalog) -> None:
    lines = [{"text": "a" * 500, "voice": "narrator"}, {"text": "b" * 500}]
    assert price(catalog, "elevenlabs-v3", dialogue=lines) == 28


def test_kling_3_every_combination_in_range(catalog: Catalog) -> None:
    prices = {
        (mode, sound, seconds): price(catalog, "kling-3", mode=mode, sound=sound, duration=seconds)
        for mode in ("std", "pro")
        for sound in (False, True)
        for seconds in range(3, 16)
    }
    assert prices[("std", True, 5)] == 300
    assert all(120 <= p <= 1200 for p in prices.values())
    assert (min(prices.values()), max(prices.values())) == (120, 1200)


def test_hailuo_variants_stay_in_their_own_ranges(catalog: Catalog) -> None:
    for variant, (low, high) in {
        "hailuo/2-3-image-to-video-standard": (30, 40),
        "hailuo/2-3-image-to-video-pro": (45, 65),
    }.items():
        prices = [
            price(catalog, variant, duration=d, resolution=r)
            for d, r in (("6", "768P"), ("6", "1080P"), ("10", "768P"))  # no 1080P at 10 s
        ]
        assert min(prices) == low and max(prices) == high


def test_audio_doubles_and_vidu_audio_off_halves(catalog: Catalog) -> None:
    assert price(catalog, "pixverse-5-6", generate_audio_switch=True) == 180
    assert price(catalog, "seedance", generateAudio=True) == 2 * price(catalog, "seedance")
    with_audio = price(catalog, "vidu-q3", duration=4)
    assert price(catalog, "vidu-q3", duration=4, generate_audio=False) * 2 == with_audio


@pytest.mark.parametrize("slug", ["suno-extend", "suno-upload-cover"])
def test_suno_sub_routes_price_by_their_own_variant(catalog: Catalog, slug: str) -> None:
    model = model_of(catalog, slug)
    endpoint = model.endpoint
    base = body_for(catalog, model)
    del base["model"]
    default = validate_request(catalog, endpoint, base)
    assert default.variant == "chirp-v4-5"
    v5 = validate_request(catalog, endpoint, {**base, "model": "chirp-v5-5"})
    assert price_request(model, v5) == 12
    assert price_request(model, default) == 10


def test_every_combination_of_every_model_is_within_its_documented_range(
    catalog: Catalog,
) -> None:
    checked = 0
    for model in catalog.models:
        if model.price.tokens is not None or model.price.per_characters is not None:
            continue
        prices = [
            price_request(model, validate_request(catalog, model.endpoint, body))
            for body in priced_bodies(catalog, model)
        ]
        assert (min(prices), max(prices)) == price_bounds(model), model.slug
        documented = model.price.documented_range
        if documented is not None:
            low, high = documented
            assert all(low <= p <= high for p in prices), model.slug
            checked += 1
    assert checked == 7


def test_ranged_prices_are_marked_operator_set(catalog: Catalog) -> None:
    for slug in (
        "kling-3",
        "hailuo-2-3",
        "pixverse-5-6",
        "seedance-1-5-pro",
        "vidu-q3",
        "wan-2-6",
        "wan2.7-t2v",
        "wan2.7-image",
        "deepseek-chat",
        "video-upscale",
    ):
        model = model_of(catalog, slug)
        assert model.operator_set and model.price.note, slug
    assert not model_of(catalog, "flux-2").operator_set


def test_price_table_lists_every_combination(catalog: Catalog) -> None:
    rows = price_table(model_of(catalog, "flux-2"))
    assert [(r["when"], r["credits"]) for r in rows] == [
        ({"type": "pro", "resolution": "1K"}, 5),
        ({"type": "pro", "resolution": "2K"}, 7),
        ({"type": "flex", "resolution": "1K"}, 14),
        ({"type": "flex", "resolution": "2K"}, 24),
    ]
    kling = price_table(model_of(catalog, "kling-3"))
    assert {"when": {"mode": "std", "sound": True}, "credits": 60, "per": "duration"} in kling
    pixverse = price_table(model_of(catalog, "pixverse-5-6"))
    assert len(pixverse) == 24
    assert all(len(price_table(m)) >= 1 for m in catalog.models)
