"""Every URL a task accepts is found for the submit-time check: the catalog's URL fields,
wherever they sit (top level, array items, object properties, any_of alternatives), and
no field that looks like a URL is missing ``format = "url"``."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest

from apiinone.catalog import ModelSpec, ParamSpec, load_catalog
from apiinone.tasks.submit import url_fields

CATALOG = load_catalog()
TASK_MODELS = [m for m in CATALOG.models if m.kind != "chat"]

# Names that say "URL" to a reader; the exceptions are ids and sizes, not addresses.
URL_LIKE = re.compile(r"url|uri|link|href|image|video|audio|mask|face|background|webhook")
NOT_URLS = {"audio_id", "image_size"}


def _url_paths(spec: ParamSpec, path: str) -> Iterator[str]:
    """Independently of ``url_fields``: the paths of every ``format = "url"`` string."""
    if spec.format == "url":
        yield path
    if spec.items is not None:
        yield from _url_paths(spec.items, f"{path}[0]")
    for key, sub in spec.properties.items():
        yield from _url_paths(sub, f"{path}.{key}")
    for alternative in spec.any_of:
        yield from _url_paths(alternative, path)


def _put(params: dict[str, Any], path: str, value: str) -> None:
    """Set ``a[0].b`` style paths, creating lists and objects on the way."""
    keys: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        keys.append(int(index) if index else name)
    node: Any = params
    for key, following in itertools.pairwise(keys):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(key, int):
            if len(node) <= key:
                node.append(empty)
        else:
            node.setdefault(key, empty)
        node = node[key]
    last = keys[-1]
    if isinstance(last, int):
        node.append(value)
    else:
        node[last] = value


@pytest.mark.parametrize("model", TASK_MODELS, ids=lambda m: m.slug)
def test_every_url_field_of_every_model_is_checked(model: ModelSpec) -> None:
    paths = sorted({p for name, spec in model.params.items() for p in _url_paths(spec, name)})
    assert "callback_url" in paths  # every async model takes one
    params: dict[str, Any] = {}
    for path in paths:
        _put(params, path, f"http://10.0.0.1/{path}")
    found = dict(url_fields(model, params))
    assert sorted(found) == paths
    assert all(url == f"http://10.0.0.1/{path}" for path, url in found.items())


def _strings(spec: ParamSpec, path: str) -> Iterator[tuple[str, ParamSpec]]:
    if spec.type == "string":
        yield path, spec
    if spec.items is not None:
        yield from _strings(spec.items, path)
    for key, sub in spec.properties.items():
        yield from _strings(sub, f"{path}.{key}")
    for alternative in spec.any_of:
        yield from _strings(alternative, path)


@pytest.mark.parametrize("model", TASK_MODELS, ids=lambda m: m.slug)
def test_no_url_like_field_lacks_the_url_format(model: ModelSpec) -> None:
    missing = [
        path
        for name, spec in model.params.items()
        for path, leaf in _strings(spec, name)
        if leaf.format != "url"
        and leaf.enum is None
        and path.rsplit(".", 1)[-1] not in NOT_URLS
        and (URL_LIKE.search(path.rsplit(".", 1)[-1]) or "url" in leaf.description.lower())
    ]
    assert missing == []


def test_the_catalog_has_the_url_fields_this_audit_expects() -> None:
    names = {
        p.split("[", 1)[0]
        for m in TASK_MODELS
        for name, spec in m.params.items()
        for p in _url_paths(spec, name)
    }
    assert names >= {
        "callback_url",
        "image",
        "images",
        "image_urls",
        "input_urls",
        "reference_images",
        "mask_image",
        "face_image",
        "video",
        "background_image",
    }


def test_nested_and_any_of_urls_are_found() -> None:
    url = ParamSpec(name="u", type="string", format="url")
    shape = ParamSpec(
        name="refs",
        type="array",
        items=ParamSpec(
            name="item",
            type="object",
            properties={
                "src": url,
                "alt": ParamSpec(name="alt", type="string"),
                "either": ParamSpec(
                    name="either",
                    type="any_of",
                    any_of=(url, ParamSpec(name="list", type="array", items=url)),
                ),
            },
        ),
    )
    model = dataclasses.replace(TASK_MODELS[0], params={"refs": shape})
    params = {
        "refs": [
            {"src": "http://a.test/1", "alt": "http://not-a-url-field.test/"},
            {"either": "http://b.test/2"},
            {"either": ["http://c.test/3", "http://d.test/4"]},
        ]
    }
    assert list(url_fields(model, params)) == [
        ("refs[0].src", "http://a.test/1"),
        ("refs[1].either", "http://b.test/2"),
        ("refs[2].either[0]", "http://c.test/3"),
        ("refs[2].either[1]", "http://d.test/4"),
    ]
