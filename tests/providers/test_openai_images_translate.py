"""OpenAI Images translation on recorded payloads: no network, no clock."""

from __future__ import annotations

import base64
import io
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

from apiinone.providers.base import Failed, JobRequest, Succeeded
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpResponse, MalformedResponse
from apiinone.providers.mapping import MappingError
from apiinone.providers.openai_images import InputImage, OpenAIImagesTranslator, build
from apiinone.providers.openai_images.multipart import FilePart, encode_multipart
from tests.support.openai_schema import validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openai_images"
BASE = "https://api.openai.com/v1"
KEY = "sk-proj-secret-key"
T = OpenAIImagesTranslator()


def fixture(name: str) -> Any:
    return orjson.loads((FIXTURES / f"{name}.json").read_bytes())


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


def channel(**options: Any) -> ChannelConfig:
    return ChannelConfig(
        name="openai/gpt-image-1.5-official",
        base_url=BASE,
        credential=KEY,
        upstream_model="gpt-image-1.5",
        options=options,
    )


def job(**params: Any) -> JobRequest:
    defaults = {"prompt": "a lighthouse at dusk", "aspect_ratio": "1:1", "quality": "medium"}
    return JobRequest(
        task_id="task_1",
        model="gpt-image-1.5-official",
        variant=None,
        endpoint="/api/v1/images/generations",
        kind="image",
        params={**defaults, **params},
    )


def png(size: tuple[int, int] = (4, 4)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def parts(data: bytes, content_type: str) -> list[tuple[str, str | None, str, bytes]]:
    """(name, filename, content type, payload) of each part, read by the stdlib's parser."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + data
    )
    out = []
    for part in message.iter_parts():
        name = part.get_param("name", header="Content-Disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        out.append((name, part.get_filename(), part.get_content_type(), payload))
    return out


# -- requests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "size"), [("1:1", "1024x1024"), ("2:3", "1024x1536"), ("3:2", "1536x1024")]
)
def test_a_generation_is_json_with_size_from_the_aspect_ratio(ratio: str, size: str) -> None:
    request = T.build_submit(job(aspect_ratio=ratio, quality="high"), channel())
    assert (request.method, request.url) == ("POST", f"{BASE}/images/generations")
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.json == {
        "model": "gpt-image-1.5",
        "prompt": "a lighthouse at dusk",
        "size": size,
        "quality": "high",
        "n": 1,
        "output_format": "png",
    }
    assert KEY not in repr(request)


def test_callback_url_is_ours_and_channel_options_layer_over_the_mapping() -> None:
    options = {
        "defaults": {"background": "opaque", "moderation": "low", "output_format": "webp"},
        "params": {"quality": {"to": "quality", "values": {"medium": "low"}}},
        "organization": "org-123",
    }
    request = T.build_submit(job(callback_url="https://me.test/hook"), channel(**options))
    assert request.json == {
        "model": "gpt-image-1.5",
        "prompt": "a lighthouse at dusk",
        "size": "1024x1024",
        "quality": "low",
        "n": 1,
        "output_format": "webp",
        "background": "opaque",
        "moderation": "low",
    }
    assert request.headers["OpenAI-Organization"] == "org-123"


def test_an_edit_is_multipart_with_one_image_part_per_input() -> None:
    first, second = png((4, 4)), b"\xff\xd8\xff\xe0jpeg-bytes"
    j = job(input_urls=["https://img.test/a.png", "https://img.test/b.jpg"], aspect_ratio="2:3")
    translator = T.with_inputs([InputImage(first, "image/png"), InputImage(second, "image/jpeg")])
    request = translator.build_submit(j, channel())
    assert (request.method, request.url, request.json) == ("POST", f"{BASE}/images/edits", None)
    assert request.data is not None
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    got = parts(request.data, content_type)
    fields = {name: payload.decode() for name, filename, _, payload in got if filename is None}
    assert fields == {
        "model": "gpt-image-1.5",
        "prompt": "a lighthouse at dusk",
        "size": "1024x1536",
        "quality": "medium",
        "n": "1",
        "output_format": "png",
    }
    files = [(name, filename, ctype, payload) for name, filename, ctype, payload in got if filename]
    assert files == [
        ("image[]", "image-0.png", "image/png", first),
        ("image[]", "image-1.jpg", "image/jpeg", second),
    ]
    # pure: the same job and inputs always give the same bytes
    assert translator.build_submit(j, channel()).data == request.data
    assert "input_urls" not in request.data.decode("latin-1")


def test_an_edit_without_its_fetched_images_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="with_inputs"):
        T.build_submit(job(input_urls=["https://img.test/a.png"]), channel())


def test_input_checks() -> None:
    assert T.check_inputs([InputImage(png(), "image/png")]) is None
    gif = T.check_inputs([InputImage(b"GIF89a", "image/gif")])
    assert isinstance(gif, Failed) and gif.code == "invalid_input" and "image/gif" in gif.message
    many = T.check_inputs([InputImage(png(), "image/png")] * 17)
    assert isinstance(many, Failed) and "16" in many.message


def test_the_multipart_boundary_never_occurs_in_a_part() -> None:
    files = [FilePart("image[]", "a.png", "image/png", b"x")]
    body, content_type = encode_multipart([("prompt", "p")], files)
    boundary = content_type.split("boundary=")[1]
    trap = [FilePart("image[]", "a.png", "image/png", f"--{boundary}".encode())]
    body2, content_type2 = encode_multipart([("prompt", "p")], trap)
    boundary2 = content_type2.split("boundary=")[1]
    assert boundary2 != boundary
    assert body2.count(f"--{boundary2}".encode()) == 3  # two delimiters and the close
    assert body.endswith(f"--{boundary}--\r\n".encode())


# -- answers --------------------------------------------------------------------------


def test_a_generation_answer_gives_decoded_pngs_and_keeps_usage() -> None:
    body = fixture("generation")
    validate("ImagesResponse", body)
    outcome = T.parse_submit(job(), response(200, body))
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert (art.content_type, art.name, art.url) == ("image/png", "image-0.png", None)
    assert art.data == base64.b64decode(body["data"][0]["b64_json"])
    with Image.open(io.BytesIO(art.data)) as image:
        assert image.format == "PNG"
    assert outcome.result == {
        "size": "1024x1536",
        "quality": "medium",
        "output_format": "png",
        "background": "opaque",
        "usage": body["usage"],
    }


def test_jpeg_answers_and_several_images() -> None:
    body = fixture("edit_jpeg")
    validate("ImagesResponse", body)
    outcome = T.parse_submit(job(), response(200, body))
    assert isinstance(outcome, Succeeded)
    assert [(a.content_type, a.name) for a in outcome.artifacts] == [
        ("image/jpeg", "image-0.jpg"),
        ("image/jpeg", "image-1.jpg"),
    ]


def test_a_dalle_url_answer_is_an_artifact_to_copy() -> None:
    outcome = T.parse_submit(job(), response(200, fixture("dalle_url")))
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.data is None and art.url is not None and art.url.startswith("https://oaidalle")
    assert art.content_type == "image/png"


@pytest.mark.parametrize("name", ["bad_base64", "not_an_image", "empty_data"])
def test_unreadable_answers_are_malformed(name: str) -> None:
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, fixture(name)))


def test_a_200_that_is_not_json_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, b"<html>oops"))


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "code", "retryable"),
    [
        (400, "error_moderation", "upstream_content_policy", False),
        (400, "error_content_policy", "upstream_content_policy", False),
        (400, "error_invalid_value", "upstream_rejected", False),
        (401, "error_invalid_key", "upstream_auth_failed", False),
        (429, "error_rate_limit", "upstream_rate_limited", True),
        (429, "error_quota", "upstream_quota_exceeded", False),
        (500, "error_server", "upstream_unavailable", True),
        (503, "error_server", "upstream_unavailable", True),
    ],
)
def test_errors(status: int, name: str, code: str, retryable: bool) -> None:
    body = fixture(name)
    validate("ErrorResponse", body)
    outcome = T.parse_submit(job(), response(status, body, **{"retry-after": "7"}))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (code, retryable, status)
    assert body["error"]["message"][:40] in outcome.message
    assert outcome.retry_after == (7.0 if retryable else None)


def test_an_error_without_a_json_body() -> None:
    outcome = T.map_error(response(502, b"<html>bad gateway</html>"))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable) == ("upstream_unavailable", True)
    assert outcome.message == "OpenAI answered HTTP 502"


# -- build ----------------------------------------------------------------------------


def test_build_checks_the_channel() -> None:
    assert build(channel()).name == "openai/gpt-image-1.5-official"
    with pytest.raises(ValueError, match="base_url"):
        build(
            ChannelConfig(name="c", base_url="api.openai.com", credential=KEY, upstream_model="m")
        )
    with pytest.raises(MappingError):
        build(channel(params={"quality": {"transform": "nope"}}))
    with pytest.raises(ValueError, match="timeout"):
        build(channel(timeout=0))
    assert KEY not in repr(build(channel()))
