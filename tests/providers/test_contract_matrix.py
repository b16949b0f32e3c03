"""The contract matrix: every catalog model x variant x mode x each enum value and range bound
of its parameters, translated for every channel of examples/providers.toml that binds it,
and checked against the provider's published input schema (tests/fixtures/*/schemas/).

Nothing goes over the network: the adapters' own ``build_submit`` builds each request, and
the route key and checked part of it come from :mod:`tests.fakes.schemas`, as the fakes
take them. A case the catalog refuses (the client gets a 400 before any charge) or the
adapter refuses before sending is not a violation; a body the provider would refuse is.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from apiinone.catalog import load_catalog
from apiinone.catalog.routing import route_of
from apiinone.catalog.spec import ModelSpec, ParamSpec
from apiinone.catalog.validate import validate_request
from apiinone.errors import APIError
from apiinone.providers.base import JobRequest
from apiinone.providers.bindings import parse_binding
from apiinone.providers.channels import ADAPTERS
from apiinone.providers.http import ChannelConfig, HttpRequest
from tests.fakes.schemas import has_schema, subject, violations

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "providers.toml"
CHANNELS: list[dict[str, Any]] = tomllib.loads(EXAMPLE.read_text()).get("channels", [])
CATALOG = load_catalog()
IMAGE_INPUTS = ("image", "images", "image_urls", "input_urls")
SAMPLE_URL = "https://example.com/input.png"
CREDENTIAL = "matrix-credential-0123456789abcdef"


def fixture_provider(channel: Mapping[str, Any]) -> str:
    """Which fixture directory holds the schemas of a channel's upstream."""
    adapter = str(channel.get("adapter"))
    if adapter == "openai_images":
        host = urlsplit(str(channel.get("base_url"))).hostname or ""
        return {"api.z.ai": "zhipu", "api.onekeymodel.com": "onekeymodel"}.get(host, "openai")
    return adapter


def upstream_id(
    channel: Mapping[str, Any], model: ModelSpec, variant: str | None, params: Mapping[str, Any]
) -> str | None:
    """The upstream id ``channel`` binds for this request's variant and mode (None when it
    does not bind them), read by the gateway's own binding and routing code."""
    bound = dict(channel.get("models", {})).get(model.slug)
    if bound is None:
        return None
    route = route_of(model, variant, params)
    return parse_binding(model, bound).upstreams.get(route)


# -- the cases -----------------------------------------------------------------------


def _sample(name: str, spec: ParamSpec) -> Any:
    """A value the catalog accepts for a field the case does not vary."""
    if spec.enum:
        return spec.default if spec.default is not None else spec.enum[0]
    if spec.type == "string":
        if spec.format == "url" or name in IMAGE_INPUTS or name.endswith(("image", "video")):
            return SAMPLE_URL
        return "a lighthouse at dusk" if "prompt" in name or name == "text" else f"{name}-0"
    if spec.type in ("integer", "number"):
        return spec.minimum if spec.minimum is not None else 1
    if spec.type == "boolean":
        return False
    if spec.type == "array":
        item = spec.items or ParamSpec(name=name, type="string", format="url")
        return [_sample(name, item)]
    if spec.type == "object":
        return {k: _sample(k, p) for k, p in spec.properties.items() if p.required}
    return None


def _variation(spec: ParamSpec) -> list[Any]:
    if spec.enum:
        return list(spec.enum)
    if spec.type == "boolean":
        return [True, False]
    return [v for v in (spec.minimum, spec.maximum) if v is not None]


@dataclass(frozen=True)
class Case:
    model: ModelSpec
    variant: str | None
    params: dict[str, Any]
    label: str


def _validated(model: ModelSpec, body: dict[str, Any]) -> tuple[str | None, dict[str, Any]] | None:
    """The catalog's reading of a body, filling fields it names as missing; None if refused."""
    body = dict(body)
    for _ in range(6):
        try:
            checked = validate_request(CATALOG, model.endpoint, body)
        except APIError as exc:
            param = getattr(exc, "param", None)
            if param in model.params and param not in body:
                body[param] = _sample(param, model.params[param])
                continue
            return None
        return checked.variant, {k: v for k, v in checked.params.items() if k != "callback_url"}
    return None


def cases() -> Iterator[Case]:
    for model in CATALOG.models:
        if model.kind == "chat":
            continue
        base = {n: _sample(n, p) for n, p in model.params.items() if p.required}
        if model.require_any_of:
            for group in model.require_any_of:
                base.setdefault(group[0], _sample(group[0], model.params[group[0]]))
        variants = model.variants.values if model.variants else (None,)
        for variant in variants:
            head = {"model": variant or model.slug, **base}
            images = [n for n in IMAGE_INPUTS if n in model.params and n not in base]
            shapes = [("", head)] + [
                (f"{n}=<url>", {**head, n: _sample(n, model.params[n])}) for n in images
            ]
            for shape, start in shapes:
                seen = _validated(model, start)
                if seen is not None:
                    yield Case(model, seen[0], seen[1], f"{shape or 'defaults'}")
                for name, spec in model.params.items():
                    for value in _variation(spec):
                        got = _validated(model, {**start, name: value})
                        if got is not None:
                            yield Case(model, got[0], got[1], f"{shape} {name}={value!r}".strip())


# -- translation -----------------------------------------------------------------------


def _parent(model: ModelSpec) -> dict[str, Any] | None:
    if not model.slug.startswith("suno-") or model.slug == "suno-upload-cover":
        return None
    clips = [
        {
            "id": f"task_0-{i}",
            "title": "Harbour Light",
            "tags": "folk",
            "duration": 180.0,
            "upstream_id": f"audio-{i}",
            "upstream_task_id": "up-task-0",
        }
        for i in range(2)
    ]
    return {
        "task_id": "task_0",
        "model": "suno",
        "params": {"gpt_description_prompt": "a song"},
        "result": {"clips": clips},
        "response": [],
    }


def _body(provider: str, request: HttpRequest) -> Any:
    if request.json is not None:
        return request.json
    if provider == "removebg" and request.data is not None:
        return dict(parse_qsl(request.data.decode()))
    return None  # a multipart upload (OpenAI image edits): its fields are files


def _build(adapter: str, config: ChannelConfig) -> Any:
    module, _, function = ADAPTERS[adapter].partition(":")
    return getattr(importlib.import_module(module), function)(config)


def test_every_binding_sends_what_the_provider_schema_accepts() -> None:
    checked = refused = unchecked = 0
    failures: list[str] = []
    missing: set[str] = set()
    for case in cases():
        for channel in CHANNELS:
            upstream = upstream_id(channel, case.model, case.variant, case.params)
            if upstream is None:
                continue
            provider = fixture_provider(channel)
            config = ChannelConfig(
                name=f"{channel['name']}/{case.model.slug}",
                base_url=str(channel.get("base_url", "")).rstrip("/"),
                credential=CREDENTIAL,
                upstream_model=upstream,
                options=dict(channel.get("options", {})),
            )
            job = JobRequest(
                task_id="task_matrix",
                model=case.model.slug,
                variant=case.variant,
                endpoint=case.model.endpoint,
                kind=case.model.kind,
                params=case.params,
                parent=_parent(case.model),
            )
            try:
                request = _build(str(channel["adapter"]), config).translator.build_submit(
                    job, config
                )
            except ValueError:  # the adapter refuses the job before sending anything
                refused += 1
                continue
            body = _body(provider, request)
            if body is None:
                unchecked += 1
                continue
            key, instance = subject(provider, urlsplit(request.url).path, body)
            if not has_schema(provider, key):
                missing.add(f"{provider}:{key}")
                continue
            checked += 1
            for problem in violations(provider, key, instance):
                where = ".".join(str(p) for p in problem["loc"][1:])
                failures.append(
                    f"{case.model.slug} [{case.variant}] {case.label} via {channel['name']} "
                    f"-> {key}: {where}: {problem['msg']}"
                )
    print(
        f"contract matrix: {checked} bodies checked against provider schemas, "
        f"{refused} refused by the adapter before sending, {unchecked} multipart not checked, "
        f"{len(failures)} violations"
    )
    assert not missing, f"bound upstream endpoints without a fixture schema: {sorted(missing)}"
    assert checked > 500
    assert not failures, "\n".join(failures[:60]) + f"\n({len(failures)} in all)"
