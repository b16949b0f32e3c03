"""Schemathesis fuzzes every operation of ``/openapi.json`` against a real gateway process.

Each generated request (valid and invalid ones) must get an answer that is not a 5xx, whose
status code is documented for the operation, whose content type is documented, and whose
body matches the documented schema. User routes run with a user key holding plenty of credits,
admin routes with the admin key. The dashboard's JSON routes, which the document leaves out,
get random bodies from a signed-in session: a 4xx in the error JSON, never a 5xx.

Bounded by default (``FUZZ_EXAMPLES`` per operation, 8 unless set; ``make fuzz`` runs 500)
with a fixed seed, so ``make test`` stays quick and reproducible.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import BaseSchema, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apiinone.app import create_app
from apiinone.auth.secrets import generate_key
from apiinone.settings import Settings
from tests.dashboard.web import csrf, member
from tests.support.server import Server, base_env

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CREDITS = 10**12
WEBHOOK_SECRET = "whsec_fuzz"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Routes of the gateway's operator, fuzzed with the admin key (and every other route with a
# user key, to which the admin routes would only ever answer 403).
ADMIN_PATHS = r"^/api/v1/admin/"

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A gateway of its own: fuzz traffic creates keys, tasks and webhooks that no other test
    should see. On the PostgreSQL pass ``base_env`` gives it its own database there too."""
    data_dir: Path = tmp_path_factory.mktemp("fuzz-gateway")
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_RATE_LIMIT_PER_MINUTE="10000000",
        APIINONE_MAX_BODY_BYTES="1048576",
        APIINONE_SANDBOX_SPEED="50",
        # Stripe's webhook receiver only verifies signatures: it is fuzzed too, no call leaves.
        APIINONE_STRIPE_SECRET_KEY="sk_test_fuzz",
        APIINONE_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        APIINONE_STRIPE_API_BASE="http://127.0.0.1:9",
    )
    srv = Server(data_dir=data_dir, env=env).start()
    srv.admin_key = admin_key  # type: ignore[attr-defined]
    yield srv
    srv.stop()
    log = srv.output()
    assert "Traceback" not in log, log[-4000:]


@pytest.fixture(scope="module")
def user_key(fuzz_server: Server) -> str:
    with fuzz_server.client(fuzz_server.admin_key) as admin:  # type: ignore[attr-defined]
        r = admin.post("/api/v1/admin/accounts", json={"email": "fuzz@example.com"})
        assert r.status_code == 201, r.text
        data = r.json()["data"]
        r = admin.post(
            f"/api/v1/admin/accounts/{data['id']}/credits",
            json={"amount": CREDITS, "reason": "fuzzing"},
        )
        assert r.status_code == 200, r.text
        return str(data["key"]["key"])


@pytest.fixture(scope="module")
def api_schema(fuzz_server: Server) -> BaseSchema:
    return schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _operations() -> list[tuple[str, str]]:
    """``(method, path)`` of every operation in the app's OpenAPI document, built in-process
    at collection time (no server needed); the fuzzed schema itself comes from the server."""
    document = create_app(Settings(data_dir=Path("unused"))).openapi()
    return [(m.upper(), path) for path, ops in document["paths"].items() for m in ops]


OPERATIONS = _operations()
USER_OPERATIONS = [op for op in OPERATIONS if not re.match(ADMIN_PATHS, op[1])]
ADMIN_OPERATIONS = [op for op in OPERATIONS if re.match(ADMIN_PATHS, op[1])]


# Generated URLs (callback_url, input_urls, upload urls) would send the gateway to random real
# hosts; their host becomes one under the reserved .invalid TLD (RFC 6761), which never
# resolves, so the gateway's URL checks and fetch errors are fuzzed without leaving the machine.
_URL = re.compile(r"^(https?://)([^/?#]*)(.*)$", re.IGNORECASE | re.DOTALL)


def _contain(value: object) -> object:
    if isinstance(value, str):
        return _URL.sub(r"\1fuzz.invalid\3", value)
    if isinstance(value, list):
        return [_contain(v) for v in value]
    if isinstance(value, dict):
        return {k: _contain(v) for k, v in value.items()}
    return value


def _fuzz(
    api_schema: BaseSchema, method: str, path: str, key: str, session: requests.Session
) -> None:
    operation = api_schema[path][method]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        case.body = _contain(case.body)
        case.call_and_validate(
            session=session,
            headers={"Authorization": f"Bearer {key}"},
            checks=CHECKS,
            timeout=60,
        )

    run()


@pytest.mark.parametrize(("method", "path"), USER_OPERATIONS, ids=lambda v: str(v))
def test_user_routes(
    method: str, path: str, api_schema: BaseSchema, user_key: str, session: requests.Session
) -> None:
    _fuzz(api_schema, method, path, user_key, session)


@pytest.mark.parametrize(("method", "path"), ADMIN_OPERATIONS, ids=lambda v: str(v))
def test_admin_routes(
    method: str, path: str, api_schema: BaseSchema, fuzz_server: Server, session: requests.Session
) -> None:
    _fuzz(api_schema, method, path, fuzz_server.admin_key, session)  # type: ignore[attr-defined]


def test_every_operation_is_fuzzed(api_schema: BaseSchema) -> None:
    """The served document has exactly the operations parametrized above."""
    served = sorted(
        (op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()
    )
    assert served == sorted(OPERATIONS)
    assert ADMIN_OPERATIONS and USER_OPERATIONS


# Receivers that are not in the OpenAPI document (providers and Stripe call them, not clients)
# and need a signature or a per-task token: random requests must be refused with a 4xx.
RECEIVERS = st.one_of(
    st.builds(
        lambda task, token: f"/hooks/tasks/{task}/{token}",
        st.text("abcdefghijklmnopqrstuvwxyz_0123456789-.%", min_size=1, max_size=80),
        st.text("abcdefghijklmnopqrstuvwxyz_0123456789-.%", min_size=1, max_size=80),
    ),
    st.just("/billing/stripe/webhook"),
)
# Header values as HTTP carries them (no leading or trailing blanks, which the client refuses).
HEADERS = st.dictionaries(
    st.sampled_from(["Stripe-Signature", "Content-Type", "webhook-id", "webhook-signature"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=120).map(str.strip),
)


def _containers(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Arrays and objects of ``inner`` (a function: Hypothesis reads a lambda's source to
    check that it recurses, and misreads one followed by another lambda)."""
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner)


BODIES = st.one_of(
    st.binary(max_size=2000),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=50),
        _containers,
        max_leaves=20,
    ).map(lambda v: json.dumps(v).encode()),
    st.builds(lambda t: json.dumps({"challenge": t}).encode(), st.text(max_size=40)),
)


def test_webhook_receivers_refuse_garbage(fuzz_server: Server, session: requests.Session) -> None:
    @FUZZ_SETTINGS
    @given(path=RECEIVERS, headers=HEADERS, body=BODIES)
    def run(path: str, headers: dict[str, str], body: bytes) -> None:
        r = session.post(fuzz_server.url + path, data=body, headers=headers, timeout=60)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert set(r.json()) == {"error"}, r.text

    run()


# The dashboard's JSON API (``/dashboard/api``, not in the OpenAPI document), as a session.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    _containers,
    max_leaves=20,
)
RUN_PATHS = st.sampled_from(
    ["/api/v1/images/generations", "/api/v1/chat/completions", "/api/v1/audio/speech", "/x"]
)
DASHBOARD_CALLS = st.one_of(
    st.tuples(
        st.just("POST"),
        st.sampled_from(["/dashboard/api/run", "/dashboard/api/quotes"]),
        st.fixed_dictionaries(
            {},
            optional={
                "path": RUN_PATHS | JSON_VALUES,
                "body": st.fixed_dictionaries(
                    {"model": st.sampled_from(["flux-2", "gemini", "tts-1", "nope"])},
                    optional={"prompt": st.text(max_size=30), "n": JSON_VALUES},
                )
                | JSON_VALUES,
                "mode": st.sampled_from(["live", "test"]) | JSON_VALUES,
                "model": st.sampled_from(["flux-2", "gemini"]) | JSON_VALUES,
            },
        ).map(lambda v: json.dumps(v).encode())
        | st.binary(max_size=200),
    ),
    st.tuples(
        st.just("POST"),
        st.just("/dashboard/api/uploads"),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200),
    ),
    st.tuples(
        st.sampled_from(["GET", "POST"]),
        st.builds(
            lambda kind, ident: f"/dashboard/api/{kind}/{ident}",
            st.sampled_from(["models", "tasks"]),
            st.text("abcdefghijklmnopqrstuvwxyz_0123456789-.%/", min_size=1, max_size=80),
        ),
        st.just(b""),
    ),
)


def test_dashboard_json_routes_refuse_garbage(fuzz_server: Server) -> None:
    with closing(member(fuzz_server, "fuzz-dashboard@example.com")) as browser:
        token = csrf(browser)

        @FUZZ_SETTINGS
        @given(call=DASHBOARD_CALLS)
        def run(call: tuple[str, str, bytes]) -> None:
            method, path, body = call
            if method == "POST" and path.startswith("/dashboard/api/tasks/"):
                path += "/cancel"
            r = browser.request(
                method,
                path,
                content=body or None,
                headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
            )
            assert r.status_code < 500, (method, path, body, r.status_code, r.text)
            if r.status_code >= 400:
                assert set(r.json()) == {"error"}, r.text

        run()
