"""remove.bg translation on recorded payloads: no network, no clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest

from apiinone.providers.base import JobRequest, Succeeded
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpResponse, MalformedResponse
from apiinone.providers.mapping import MappingError
from apiinone.providers.removebg import RemoveBgTranslator, build

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "removebg"
BASE = "https://api.remove.bg"
KEY = "rb-secret-key"
IMAGE = "https://cdn.example.com/photos/shoe.jpg?v=2&s=a b"
T = RemoveBgTranslator()


def fixture(name: str) -> Any:
    return orjson.loads((FIXTURES / f"{name}.json").read_bytes())


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


def channel(**options: Any) -> ChannelConfig:
    return ChannelConfig(
        name="removebg/bg-remover",
        base_url=BASE,
        credential=KEY,
        upstream_model="removebg",
        options=options,
    )


def job(**params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_1",
        model="bg-remover",
        variant=None,
        endpoint="/api/v1/images/tools/remove-bg",
        kind="tool",
        params={"image": IMAGE, **params},
    )


def test_the_request_is_a_urlencoded_form() -> None:
    request = T.build_submit(job(callback_url="https://me.test/hook"), channel())
    assert (request.method, request.url, request.json) == ("POST", f"{BASE}/v1.0/removebg", None)
    assert request.headers == {
        "X-Api-Key": KEY,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert request.data is not None
    assert dict(parse_qsl(request.data.decode())) == {
        "image_url": IMAGE,
        "size": "auto",
        "format": "png",
    }
    assert KEY not in repr(request)


def test_channel_defaults_are_added() -> None:
    form = T.build_form(job(), channel(defaults={"type": "product", "crop": True}))
    assert form == {
        "image_url": IMAGE,
        "size": "auto",
        "format": "png",
        "type": "product",
        "crop": "true",
    }


def test_the_image_answer_with_its_metadata() -> None:
    png = (FIXTURES / "cutout.png").read_bytes()
    headers = {
        "Content-Type": "image/png",
        "X-Type": "product",
        "X-Width": "16",
        "X-Height": "12",
        "X-Credits-Charged": "1",
        "X-RateLimit-Limit": "500",
    }
    outcome = T.parse_submit(job(), response(200, png, **headers))
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert (art.content_type, art.name, art.data) == ("image/png", "no-bg.png", png)
    assert outcome.result == {"type": "product", "width": 16, "height": 12, "credits_charged": 1.0}


def test_a_jpeg_answer_and_missing_metadata() -> None:
    outcome = T.parse_submit(job(), response(200, b"\xff\xd8\xff\xe0rest", **{"X-Width": "x"}))
    assert isinstance(outcome, Succeeded)
    assert outcome.artifacts[0].name == "no-bg.jpg" and outcome.result is None


def test_a_200_that_is_not_an_image_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, b"<html>hiccup</html>"))


@pytest.mark.parametrize(
    ("status", "name", "code", "retryable", "text"),
    [
        (402, "error_402", "upstream_insufficient_credits", False, "run out of credits"),
        (429, "error_429", "upstream_rate_limited", True, "Rate limit exceeded"),
        (403, "error_403", "upstream_auth_failed", False, "API Key invalid (auth_failed)"),
        (400, "error_400_foreground", "upstream_rejected", False, "foreground"),
        (400, "error_400_title_only", "upstream_rejected", False, "Failed to download"),
        (500, "error_429", "upstream_unavailable", True, "HTTP 500"),
    ],
)
def test_errors(status: int, name: str, code: str, retryable: bool, text: str) -> None:
    outcome = T.parse_submit(job(), response(status, fixture(name), **{"Retry-After": "59"}))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (code, retryable, status)
    assert text in outcome.message
    assert outcome.retry_after == (59.0 if retryable else None)


def test_an_error_that_is_not_json() -> None:
    outcome = T.map_error(response(503, b"<html>maintenance</html>"))
    assert outcome.message == "remove.bg answered HTTP 503" and outcome.retryable


def test_build() -> None:
    provider = build(channel())
    assert provider.name == "removebg/bg-remover" and KEY not in repr(provider)
    with pytest.raises(MappingError):
        build(channel(params={"image": {"to": 3}}))
    with pytest.raises(ValueError, match="base_url"):
        build(ChannelConfig(name="c", base_url="", credential=KEY, upstream_model="removebg"))
