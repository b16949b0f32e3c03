"""A local stand-in for the two Stripe API calls the gateway makes (create and retrieve a
Checkout Session), so the top-up path runs with no network."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` form fields (Stripe's encoding) → nested dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = out
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = parts[index + 1] if not last else None
            container: Any = [] if nxt is not None and nxt.isdigit() else {}
            if isinstance(node, list):
                slot = int(part)
                while len(node) <= slot:
                    node.append({})
                if last:
                    node[slot] = value
                else:
                    if not node[slot]:
                        node[slot] = container
                    node = node[slot]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, container)
    return out


class FakeStripe:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.auth: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                params = _nest(parse_qsl(self.rfile.read(length).decode()))
                fake.requests.append(("POST", self.path, params))
                fake.auth.append(self.headers.get("Authorization", ""))
                if self.path != "/v1/checkout/sessions":
                    self._send(404, {"error": {"message": "unknown path"}})
                    return
                session_id = f"cs_test_{len(fake.sessions) + 1}"
                item = params["line_items"][0]["price_data"]
                session = {
                    "id": session_id,
                    "object": "checkout.session",
                    "url": f"https://checkout.stripe.test/pay/{session_id}",
                    "status": "open",
                    "payment_status": "unpaid",
                    "amount_total": int(item["unit_amount"]),
                    "currency": item["currency"],
                    "client_reference_id": params.get("client_reference_id"),
                    "metadata": params.get("metadata", {}),
                    "payment_intent": None,
                }
                fake.sessions[session_id] = session
                self._send(200, session)

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path, {}))
                session_id = self.path.rsplit("/", 1)[-1]
                if session_id not in fake.sessions:
                    self._send(404, {"error": {"message": "No such checkout.session"}})
                    return
                self._send(200, fake.sessions[session_id])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pay(self, session_id: str) -> dict[str, Any]:
        """What Stripe records once the customer has paid."""
        session = self.sessions[session_id]
        session.update(status="complete", payment_status="paid", payment_intent="pi_test_1")
        return session
