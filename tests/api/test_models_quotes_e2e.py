"""The catalog over HTTP, and quotes that price a request without charging."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.test_auth_e2e import error_of
from tests.conftest import Account
from tests.support.server import Server

IMAGES = "/api/v1/images/generations"
SLUGS = {
    "gemini",
    "deepseek-chat",
    "flux-2",
    "gpt-image-1.5-official",
    "ideogram-v3",
    "ideogram-v4",
    "imagen-4",
    "cogview-4",
    "grok-imagine",
    "kling-image-o1",
    "recraft-v4",
    "hunyuan-image-3",
    "seedream-4-5",
    "wan2.7-image",
    "kling-3",
    "hailuo-2-3",
    "wan-2-6",
    "vidu-q3",
    "pixverse-5-6",
    "seedance-1-5-pro",
    "wan2.7-t2v",
    "suno",
    "minimax-music",
    "elevenlabs-v3",
    "bg-remover",
    "face-swap",
    "image-upscale",
}


def test_models_list_and_detail(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        items = c.get("/api/v1/models").json()["data"]["items"]
        assert {m["slug"] for m in items} >= SLUGS
        flux = c.get("/api/v1/models/flux-2").json()["data"]
        schema = flux["parameters"]
        assert schema["properties"]["resolution"]["enum"] == ["1K", "2K"]
        assert "prompt" in schema["required"]
        assert c.get("/api/v1/models/hailuo-2.3").json()["data"]["slug"] == "hailuo-2-3"


def quote(c, path: str, body: dict) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = c.post("/api/v1/quotes", json={"path": path, "body": body})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def test_quotes_price_exactly_and_charge_nothing(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        expect = {("pro", "1K"): 5, ("pro", "2K"): 7, ("flex", "1K"): 14, ("flex", "2K"): 24}
        for (kind, res), credits in expect.items():
            body = {"model": "flux-2", "prompt": "a garden", "type": kind, "resolution": res}
            assert quote(c, IMAGES, body)["credits"] == credits
        assert quote(c, IMAGES, {"model": "flux-2", "prompt": "a garden"})["credits"] == 5
        assert (
            quote(c, "/api/v1/images/tools/remove-bg", {"image": "https://example.com/a.png"})[
                "credits"
            ]
            == 1
        )
        assert (
            quote(
                c,
                "/api/v1/images/tools/face-swap",
                {"image": "https://example.com/a.png", "face_image": "https://example.com/b.png"},
            )["credits"]
            == 4
        )
        kling = {"model": "kling-3", "prompt": "a dog", "mode": "std", "duration": 5, "sound": True}
        assert quote(c, "/api/v1/videos/generations", kling)["credits"] == 300
        chat = quote(
            c,
            "/api/v1/chat/completions",
            {"model": "gemini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100},
        )
        assert chat["pricing"] == "tokens" and chat["credits"] >= 1
        # Nothing was charged or held.
        account = c.get("/api/v1/account").json()["data"]
        assert (account["balance"], account["held"]) == (100, 0)
        assert len(c.get("/api/v1/usage").json()["data"]["items"]) == 1


def test_quote_returns_the_validation_error_the_endpoint_would_give(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        r = c.post("/api/v1/quotes", json={"path": IMAGES, "body": {"model": "flux-2"}})
        assert r.status_code == 400 and error_of(r)["param"] == "prompt"
        r = c.post(
            "/api/v1/quotes", json={"path": IMAGES, "body": {"model": "nope", "prompt": "abc"}}
        )
        assert r.status_code == 404 and error_of(r)["param"] == "model"
        r = c.post(
            "/api/v1/quotes",
            json={"path": IMAGES, "body": {"model": "flux-2", "prompt": "abc", "bogus": 1}},
        )
        assert r.status_code == 400 and error_of(r)["param"] == "bogus"
        r = c.post("/api/v1/quotes", json={"path": "/api/v1/account", "body": {}})
        assert r.status_code == 400 and error_of(r)["param"] == "path"
        r = c.post("/api/v1/quotes", json={"body": {}})
        assert r.status_code == 400 and error_of(r)["param"] == "path"
