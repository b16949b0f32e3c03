"""The admin's price form: each kind of rule the catalog uses renders prefilled, saves as
an override that quotes then charge, refuses a bad value naming the field (and changes
nothing), and previews sample requests at the prices quotes give once it is saved."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.dashboard.web import csrf, member, submit
from tests.support.server import Server

# (model, what the page shows prefilled, the edited fields, a bad edit and its field)
KINDS: list[tuple[str, dict[str, str], dict[str, Any], dict[str, Any], str]] = [
    (
        "cogview-4",
        {"base": "4"},
        {"kind": "fixed", "base": "9"},
        {"kind": "fixed", "base": "-3"},
        "base",
    ),
    (
        "gpt-image-1.5-official",
        {"row:medium": "10", "row:high": "28"},
        {"kind": "table", "table_keys": ["quality"], "row:medium": "11", "row:high": "31"},
        {"kind": "table", "table_keys": ["quality"], "row:medium": "11"},
        "row:high",
    ),
    (
        "wan-2-6",
        {"row:720p": "10", "row:1080p": "15"},
        {
            "kind": "table",
            "table_keys": ["resolution"],
            "row:720p": "13",
            "row:1080p": "17",
            "per": "duration",
        },
        {"kind": "table", "table_keys": ["resolution"], "row:720p": "1.5", "row:1080p": "2"},
        "row:720p",
    ),
    (
        "vidu-q3",
        {"row:540p": "8", "mult_num_0": "1", "mult_den_0": "2"},
        {
            "kind": "table",
            "table_keys": ["resolution"],
            "row:540p": "9",
            "row:720p": "12",
            "row:1080p": "16",
            "per": "duration",
            "mult_param_0": "generate_audio",
            "mult_equals_0": "false",
            "mult_num_0": "1",
            "mult_den_0": "3",
        },
        {
            "kind": "table",
            "table_keys": ["resolution"],
            "row:540p": "9",
            "row:720p": "12",
            "row:1080p": "16",
            "mult_param_0": "generate_audio",
            "mult_equals_0": "false",
            "mult_num_0": "1",
            "mult_den_0": "0",
        },
        "mult_den_0",
    ),
    (
        "elevenlabs-v3",
        {"chars_credits": "28", "chars_per": "1000"},
        {
            "kind": "per_characters",
            "chars_field": "dialogue[].text",
            "chars_per": "1",
            "chars_credits": "3",
            "minimum": "1",
        },
        {
            "kind": "per_characters",
            "chars_field": "dialogue[].text",
            "chars_per": "0",
            "chars_credits": "3",
        },
        "chars_per",
    ),
    (
        "deepseek-chat",
        {"input_per_million": "100", "output_per_million": "200"},
        {
            "kind": "tokens",
            "input_per_million": "0",
            "output_per_million": "1000000",
            "default_max_tokens": "7",
        },
        {
            "kind": "tokens",
            "input_per_million": "100",
            "output_per_million": "-200",
            "default_max_tokens": "4096",
        },
        "output_per_million",
    ),
]


def _value(html: str, name: str) -> str:
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    if select:
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
        return chosen.group(1) if chosen else ""
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    assert found, f"no field {name}"
    return found.group(1)


def _api(dash: Server) -> httpx.Client:
    key = dash.admin_key  # type: ignore[attr-defined]
    return httpx.Client(base_url=dash.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _quote(api: httpx.Client, path: str, body: dict[str, Any]) -> int:
    response = api.post("/api/v1/quotes", json={"path": path, "body": body})
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["credits"])


def _preview(client: httpx.Client, slug: str, fields: dict[str, Any]) -> httpx.Response:
    return client.post(
        f"/dashboard/api/admin/prices/{slug}/preview",
        json={"fields": fields},
        headers={"X-CSRF-Token": csrf(client)},
    )


@pytest.mark.parametrize(("slug", "shown", "edit", "bad", "bad_field"), KINDS)
def test_each_kind_of_rule_is_edited_as_fields(
    dash: Server,
    admin_web: httpx.Client,
    slug: str,
    shown: dict[str, str],
    edit: dict[str, Any],
    bad: dict[str, Any],
    bad_field: str,
) -> None:
    api = _api(dash)
    page = f"/admin/models/{slug}"
    html = admin_web.get(page).text
    assert 'name="price"' not in html  # no TOML box
    for name, value in shown.items():
        assert _value(html, name) == value, name
    kind = edit["kind"]
    assert re.search(rf'<option value="{kind}" selected>', html)

    previewed = _preview(admin_web, slug, edit)
    assert previewed.status_code == 200, previewed.text
    data = previewed.json()["data"]
    path, samples = data["endpoint"], data["samples"]
    priced = [s for s in samples if s["credits"] is not None]
    assert len(priced) >= 2 if kind == "table" else len(priced) >= 1
    before = [_quote(api, path, s["body"]) for s in priced]
    assert before != [s["credits"] for s in priced]  # the preview is the edited rule

    refused = submit(admin_web, page, page, {**bad, "action": "save"})
    assert refused.status_code == 400
    assert f'data-error-for="{bad_field}"' in refused.text
    assert [_quote(api, path, s["body"]) for s in priced] == before
    bad_preview = _preview(admin_web, slug, bad)
    assert bad_preview.status_code == 400
    assert bad_preview.json()["error"]["param"] == bad_field

    try:
        saved = submit(admin_web, page, page, {**edit, "action": "save"})
        assert saved.status_code == 303, saved.text
        assert [_quote(api, path, s["body"]) for s in priced] == [s["credits"] for s in priced]
        html = admin_web.get(page).text
        assert "override in force" in html
        for name, value in edit.items():
            if isinstance(value, str) and name != "kind":
                assert _value(html, name) == value, name
    finally:
        reset = submit(admin_web, page, page, {"action": "reset"})
        assert reset.status_code == 303
    assert [_quote(api, path, s["body"]) for s in priced] == before


def test_a_chat_price_is_the_token_rates(dash: Server, admin_web: httpx.Client) -> None:
    api = _api(dash)
    page = "/admin/models/deepseek-chat"
    body = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}
    fields = {"kind": "tokens", "input_per_million": "0", "output_per_million": "1000000"}
    try:
        saved = submit(
            admin_web, page, page, {**fields, "default_max_tokens": "5", "action": "save"}
        )
        assert saved.status_code == 303
        assert _quote(api, "/api/v1/chat/completions", {**body, "max_tokens": 7}) == 7
    finally:
        submit(admin_web, page, page, {"action": "reset"})
    assert _quote(api, "/api/v1/chat/completions", {**body, "max_tokens": 7}) < 7


def test_a_non_integer_and_a_wrong_kind_are_refused(dash: Server, admin_web: httpx.Client) -> None:
    page = "/admin/models/cogview-4"
    for fields, name in (
        ({"kind": "fixed", "base": "2.5"}, "base"),
        ({"kind": "fixed", "base": ""}, "base"),
        ({"kind": "tokens", "input_per_million": "1"}, "kind"),
        ({"kind": "fixed", "base": "1", "minimum": "x"}, "minimum"),
    ):
        refused = submit(admin_web, page, page, {**fields, "action": "save"})
        assert refused.status_code == 400, fields
        assert f'data-error-for="{name}"' in refused.text
        assert f'value="{fields.get("base", "")}"' in refused.text  # the form is kept
    assert "override in force" not in admin_web.get(page).text


def test_changing_the_table_keys_shows_their_rows(admin_web: httpx.Client) -> None:
    page = "/admin/models/flux-2"
    fields = {"kind": "table", "table_keys": ["type"], "row:pro": "3", "action": "rows"}
    shown = submit(admin_web, page, page, fields)
    assert shown.status_code == 200
    names = re.findall(r'name="row:([^"]+)"', shown.text)
    assert names == ["pro", "flex"]
    assert _value(shown.text, "row:pro") == "3"


def test_the_preview_is_for_admins_with_the_csrf_header(
    dash: Server, admin_web: httpx.Client, new_email: str
) -> None:
    path = "/dashboard/api/admin/prices/cogview-4/preview"
    fields = {"fields": {"kind": "fixed", "base": "5"}}
    assert admin_web.post(path, json=fields).status_code == 403
    user = member(dash, new_email)
    refused = user.post(path, json=fields, headers={"X-CSRF-Token": csrf(user)})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Admins only"
    unknown = _preview(admin_web, "no-such-model", {"kind": "fixed", "base": "1"})
    assert unknown.status_code == 404
    shaped = admin_web.post(path, json={"fields": 3}, headers={"X-CSRF-Token": csrf(admin_web)})
    assert shaped.status_code == 400 and shaped.json()["error"]["param"] == "fields"
