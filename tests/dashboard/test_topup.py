"""Top-up: redemption codes (each redeemed once) and Stripe Checkout orders (credited
exactly once, from a webhook verified by its signature; events are signed locally)."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.dashboard.conftest import WEBHOOK_SECRET
from tests.dashboard.fake_stripe import FakeStripe
from tests.dashboard.web import balance, browser, csrf, member, signed_event, signup, submit
from tests.support.server import Server

WEBHOOK = "/billing/stripe/webhook"


def make_codes(admin_web: httpx.Client, credits: int, count: int) -> list[str]:
    page = submit(
        admin_web, "/admin/codes", "/admin/codes", {"credits": str(credits), "count": str(count)}
    )
    assert page.status_code == 200, page.text
    codes = re.findall(r"AIO(?:-[0-9A-Z]{4}){4}", page.text.split('<textarea id="new-codes"')[1])
    assert len(codes) == count
    return codes


def redeem(client: httpx.Client, code: str) -> str:
    response = client.post("/billing/redeem", data={"code": code, "csrf_token": csrf(client)})
    assert response.status_code == 303
    return client.get("/billing").text


def test_a_code_is_redeemed_once(dash: Server, admin_web: httpx.Client, new_email: str) -> None:
    (code,) = make_codes(admin_web, 250, 1)
    first = member(dash, new_email)
    assert "Code redeemed: 250 credits added" in redeem(first, code.lower().replace("-", " "))
    assert balance(first) == 350
    assert "already been redeemed" in redeem(first, code)
    second = member(dash, "second-" + new_email)
    assert "already been redeemed" in redeem(second, code)
    assert balance(first) == 350 and balance(second) == 100
    assert "not a valid redemption code" in redeem(second, "AIO-0000-0000-0000-0000")
    assert first.get("/usage", params={"kind": "redeem"}).text.count("redemption code …") == 1
    batches = admin_web.get("/admin/codes").text
    assert "1 / 1" in batches


def test_racing_redemptions_credit_one_account(
    dash: Server, admin_web: httpx.Client, new_email: str
) -> None:
    (code,) = make_codes(admin_web, 40, 1)
    clients = [member(dash, f"race{i}-" + new_email) for i in range(6)]
    tokens = [csrf(c) for c in clients]

    def go(index: int) -> None:
        clients[index].post("/billing/redeem", data={"code": code, "csrf_token": tokens[index]})

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(go, range(6)))
    assert sorted(balance(c) for c in clients) == [100] * 5 + [140]


def test_codes_are_stored_hashed(dash: Server, admin_web: httpx.Client) -> None:
    from tests.support.server import stored_bytes

    codes = make_codes(admin_web, 5, 3)
    stored = stored_bytes(dash.data_dir)
    for code in codes:
        assert code.encode() not in stored
        assert code.replace("-", "")[3:].encode() not in stored


def _checkout(client: httpx.Client, fake: FakeStripe, package: str = "starter") -> dict[str, Any]:
    response = client.post(
        "/billing/checkout", data={"package": package, "csrf_token": csrf(client)}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("https://checkout.stripe.test/pay/cs_test_")
    session_id = response.headers["location"].rsplit("/", 1)[-1]
    return fake.sessions[session_id]


def _event(session: dict[str, Any], kind: str = "checkout.session.completed") -> dict[str, Any]:
    return {
        "id": f"evt_{session['id']}_{kind}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": session},
    }


def test_checkout_opens_a_stripe_session_for_a_pending_order(
    dash: Server, fake_stripe: FakeStripe, new_email: str
) -> None:
    client = member(dash, new_email)
    session = _checkout(client, fake_stripe, "builder")
    assert fake_stripe.auth[-1] == "Bearer sk_test_dashboard_fake"
    _, _, params = fake_stripe.requests[-1]
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "5000"
    assert params["line_items"][0]["price_data"]["currency"] == "usd"
    order_id = params["metadata"]["order_id"]
    assert session["client_reference_id"] == order_id
    assert params["success_url"].endswith(f"/billing?order={order_id}")
    billing = client.get("/billing").text
    assert order_id in billing and "pending" in billing
    assert balance(client) == 100
    # The secret key never reaches a page or the server log.
    assert "sk_test_dashboard_fake" not in billing
    assert "sk_test_dashboard_fake" not in dash.output()


def test_a_paid_order_is_credited_once(
    dash: Server, fake_stripe: FakeStripe, new_email: str
) -> None:
    client = member(dash, new_email)
    session = fake_stripe.pay(_checkout(client, fake_stripe)["id"])
    body, signature = signed_event(_event(session), WEBHOOK_SECRET)
    hook = browser(dash.url)
    first = hook.post(WEBHOOK, content=body, headers={"Stripe-Signature": signature})
    assert first.status_code == 200 and first.json()["outcome"] == "credited"
    assert balance(client) == 1100
    replayed = hook.post(WEBHOOK, content=body, headers={"Stripe-Signature": signature})
    assert replayed.status_code == 200 and replayed.json()["outcome"] == "already_done"
    resigned = signed_event(_event(session), WEBHOOK_SECRET)
    again = hook.post(WEBHOOK, content=resigned[0], headers={"Stripe-Signature": resigned[1]})
    assert again.json()["outcome"] == "already_done"
    assert balance(client) == 1100
    assert client.get("/usage", params={"kind": "topup"}).text.count("order ord_") == 1
    assert "paid" in client.get("/billing").text


def test_forged_or_stale_signatures_are_refused(
    dash: Server, fake_stripe: FakeStripe, new_email: str
) -> None:
    client = member(dash, new_email)
    session = fake_stripe.pay(_checkout(client, fake_stripe)["id"])
    event = _event(session)
    hook = browser(dash.url)
    forged_body, forged = signed_event(event, "whsec_someone_else")
    assert (
        hook.post(WEBHOOK, content=forged_body, headers={"Stripe-Signature": forged}).status_code
        == 400
    )
    body, signature = signed_event(event, WEBHOOK_SECRET)
    tampered = body.replace(b'"amount_total": 1000', b'"amount_total": 9000')
    assert tampered != body
    assert (
        hook.post(WEBHOOK, content=tampered, headers={"Stripe-Signature": signature}).status_code
        == 400
    )
    assert hook.post(WEBHOOK, content=body).status_code == 400
    stale_body, stale = signed_event(event, WEBHOOK_SECRET, at=int(time.time()) - 3600)
    assert (
        hook.post(WEBHOOK, content=stale_body, headers={"Stripe-Signature": stale}).status_code
        == 400
    )
    refused = hook.post(WEBHOOK, content=forged_body, headers={"Stripe-Signature": forged})
    assert refused.json()["error"]["type"] == "invalid_request"
    assert balance(client) == 100


def test_unpaid_expired_or_mismatched_sessions_add_nothing(
    dash: Server, fake_stripe: FakeStripe, new_email: str
) -> None:
    client = member(dash, new_email)
    hook = browser(dash.url)

    def send(event: dict[str, Any]) -> str:
        body, signature = signed_event(event, WEBHOOK_SECRET)
        response = hook.post(WEBHOOK, content=body, headers={"Stripe-Signature": signature})
        assert response.status_code == 200
        return str(response.json()["outcome"])

    unpaid = _checkout(client, fake_stripe)
    assert send(_event(unpaid)) == "ignored"  # payment_status "unpaid"
    wrong_amount = dict(fake_stripe.pay(_checkout(client, fake_stripe)["id"]), amount_total=1)
    assert send(_event(wrong_amount)) == "ignored"
    expired = dict(_checkout(client, fake_stripe), status="expired")
    assert send(_event(expired, "checkout.session.expired")) == "closed"
    assert send({"id": "evt_x", "type": "customer.created", "data": {"object": {}}}) == "ignored"
    assert balance(client) == 100
    assert "expired" in client.get("/billing").text


def test_the_success_page_reconciles_with_stripe(
    dash: Server, fake_stripe: FakeStripe, new_email: str
) -> None:
    client = member(dash, new_email)
    session = _checkout(client, fake_stripe)
    order_id = session["metadata"]["order_id"]
    pending = client.get("/billing", params={"order": order_id}).text
    assert "waiting for the payment" in pending
    fake_stripe.pay(session["id"])
    paid = client.get("/billing", params={"order": order_id}).text
    assert "Payment received" in paid
    assert balance(client) == 1100
    body, signature = signed_event(_event(session), WEBHOOK_SECRET)
    late = browser(dash.url).post(WEBHOOK, content=body, headers={"Stripe-Signature": signature})
    assert late.json()["outcome"] == "already_done"
    assert balance(client) == 1100


def test_without_stripe_top_up_offers_codes_only(server: Server, new_email: str) -> None:
    client = signup(server.url, new_email)
    page = client.get("/billing").text
    assert "Card payments are not set up" in page and "Redeem a code" in page
    assert "/billing/checkout" not in page
    refused = client.post(
        "/billing/checkout", data={"package": "starter", "csrf_token": csrf(client)}
    )
    assert refused.status_code == 303
    assert browser(server.url).post(WEBHOOK, content=b"{}").status_code == 404
