"""The body kept for replays: secrets withheld, everything else byte for byte."""

from __future__ import annotations

import orjson

from apiinone.auth.secrets import generate_key
from apiinone.idempotency.withhold import withhold_secrets
from apiinone.webhooks.secrets import new_secret


def test_a_json_field_holding_a_secret_is_nulled_and_flagged() -> None:
    live, test, hook = generate_key(), generate_key(test=True), new_secret()
    body = orjson.dumps(
        {
            "data": {
                "id": "key_1",
                "prefix": live[:8],
                "key": live,
                "nested": {"secret": hook, "name": "hooks"},
                "keys": [test, "aio_short"],
            }
        }
    )
    kept = orjson.loads(withhold_secrets(body, "application/json"))
    assert kept == {
        "data": {
            "id": "key_1",
            "prefix": live[:8],
            "key": None,
            "nested": {"secret": None, "name": "hooks", "secret_withheld": True},
            "keys": [None, "aio_short"],
            "secret_withheld": True,
        }
    }


def test_a_secret_quoted_in_text_is_replaced_in_place() -> None:
    key, hook = generate_key(), new_secret()
    event = orjson.dumps({"choices": [{"delta": {"content": f"use {key} and {hook}."}}]})
    stream = b"data: " + event + b"\n\ndata: [DONE]\n\n"
    kept = withhold_secrets(stream, "text/event-stream")
    assert key.encode() not in kept and hook.encode() not in kept
    content = orjson.loads(kept.split(b"\n\n")[0][6:])["choices"][0]["delta"]["content"]
    assert content == "use aio_[withheld] and whsec_[withheld]."


def test_an_answer_without_secrets_is_kept_as_it_is() -> None:
    body = b'{"text": "aio_ and whsec_ are prefixes; aio_short is not a key"}'
    assert withhold_secrets(body, "application/json") == body
    assert withhold_secrets(b"data: [DONE]\n\n", "text/event-stream") == b"data: [DONE]\n\n"
