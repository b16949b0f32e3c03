"""Slow and vanishing clients cannot hold the gateway's connections, end to end on a real
gateway (SQLite and PostgreSQL) through raw sockets: a body that does not arrive in
``body_timeout_seconds`` is a 408 and a closed connection, whichever layer reads it; headers
that do not arrive in ``header_timeout_seconds`` (or arrive a byte at a time) are cut by the
server, with a 408 once a request has begun; an unread body closes the connection after the
answer; and a client that goes away mid-stream or mid-body is one INFO line in the log, no
traceback. No assertion is about time: the timeouts are short and the reads bounded."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator

import pytest

from apiinone.auth.secrets import generate_key
from tests.support.server import Server, base_env

READ_BOUND = 30.0  # seconds a read may wait: far above the configured timeouts


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("slow-clients")
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        APIINONE_SIGNUP_BONUS="100000",
        APIINONE_BODY_TIMEOUT_SECONDS="1",
        APIINONE_HEADER_TIMEOUT_SECONDS="1",
        APIINONE_LOG_LEVEL="info",
    )
    server = Server(data_dir=data_dir, env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture(scope="module")
def key(gateway: Server) -> str:
    with gateway.client(gateway.admin_key) as admin:  # type: ignore[attr-defined]
        r = admin.post("/api/v1/admin/accounts", json={"email": "slow@example.com"})
        assert r.status_code == 201, r.text
        return str(r.json()["data"]["key"]["key"])


def connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(READ_BOUND)
    return sock


def read_to_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a bounded wait)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def split(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def request_head(path: str, key: str, length: int, *extra: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {key}",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_408_and_closed(response: bytes, what: str) -> None:
    status, headers, body = split(response)
    assert status == 408, response
    assert headers["connection"] == "close", headers
    error = json.loads(body)["error"]
    assert error["code"] == 408 and error["type"] == "request_timeout", error
    assert what in error["message"], error


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/api/v1/images/generations", ()),  # the fast lane
        ("/api/v1/admin/accounts", ()),  # a body FastAPI parses into a model
        ("/v1/images/generations", ()),  # a route that reads the body as a dependency
        ("/api/v1/images/generations", ("Idempotency-Key: slow-1",)),  # idempotency reads it
    ],
)
def test_a_body_that_does_not_arrive_is_408_and_the_connection_closed(
    gateway: Server, key: str, path: str, extra: tuple[str, ...]
) -> None:
    admin = gateway.admin_key  # type: ignore[attr-defined]
    with connect(gateway) as sock:
        sock.sendall(request_head(path, admin if "admin" in path else key, 200, *extra))
        sock.sendall(b'{"model": "flux-2", "prompt": "a')  # and nothing more
        assert_408_and_closed(read_to_close(sock), "body did not arrive within 1 seconds")


def test_headers_that_do_not_arrive_are_cut_with_a_408(gateway: Server) -> None:
    with connect(gateway) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert_408_and_closed(read_to_close(sock), "headers did not arrive within 1 seconds")


def test_headers_sent_byte_by_byte_are_cut(gateway: Server) -> None:
    """A header a byte every 50 ms would take 50 s to finish: the server cuts it first."""
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000 + b"\r\n\r\n"
    sent = 0
    answer = b""
    with connect(gateway) as sock:
        for byte in head:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                answer = read_to_close(sock)
                break
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 1
    assert sent < len(head), "the server waited for the whole header"
    assert_408_and_closed(answer, "headers did not arrive")


def test_a_silent_connection_is_closed(gateway: Server) -> None:
    with connect(gateway) as sock:
        assert read_to_close(sock) == b""  # closed by the server, nothing said


def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(
    gateway: Server,
) -> None:
    with connect(gateway) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        assert_408_and_closed(read_to_close(sock), "headers did not arrive")


def test_an_unread_body_closes_the_connection_after_the_answer(gateway: Server, key: str) -> None:
    with connect(gateway) as sock:
        # Cancelling names no task: answered 404 without reading the body that never comes.
        sock.sendall(request_head("/api/v1/tasks/task_none/cancel", key, 100) + b"{")
        status, headers, _ = split(read_to_close(sock))
        assert status == 404
        assert headers["connection"] == "close", headers


def _log_lines_of(server: Server, request_id: str) -> list[str]:
    lines: list[str] = []
    for _ in range(100):  # bounded: the line is written as the server notices the close
        lines = [line for line in server.output().splitlines() if request_id in line]
        if lines:
            time.sleep(0.3)  # anything else about this request would follow it closely
            return [line for line in server.output().splitlines() if request_id in line]
        time.sleep(0.1)
    return lines


def test_a_client_gone_mid_stream_is_one_info_line(gateway: Server, key: str) -> None:
    body = json.dumps(
        {
            "model": "deepseek-chat",
            "stream": True,
            "max_tokens": 500,
            "messages": [{"role": "user", "content": "tell a long story sandbox:slow"}],
        }
    ).encode()
    with connect(gateway) as sock:
        sock.sendall(request_head("/api/v1/chat/completions", key, len(body)) + body)
        received = b""
        while b"data: " not in received:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
        _, headers, _ = split(received)
        assert headers["content-type"].startswith("text/event-stream")
        request_id = headers["x-request-id"]
    lines = _log_lines_of(gateway, request_id)
    assert len(lines) == 1, lines
    assert lines[0].startswith("INFO") and "client disconnected" in lines[0], lines
    assert "during the answer" in lines[0]
    assert "Traceback" not in gateway.output()


@pytest.mark.parametrize("path", ["/api/v1/images/generations", "/api/v1/admin/accounts"])
def test_a_client_gone_mid_body_is_one_info_line(gateway: Server, key: str, path: str) -> None:
    request_id = "gone-" + generate_key()[-12:]
    admin = gateway.admin_key  # type: ignore[attr-defined]
    with connect(gateway) as sock:
        head = request_head(path, admin if "admin" in path else key, 500)
        sock.sendall(head.replace(b"\r\n\r\n", f"\r\nX-Request-Id: {request_id}\r\n\r\n".encode()))
        sock.sendall(b'{"model": "flux-2"')
    lines = _log_lines_of(gateway, request_id)
    assert len(lines) == 1, lines
    assert lines[0].startswith("INFO") and "before the answer" in lines[0], lines
    assert "Traceback" not in gateway.output()
