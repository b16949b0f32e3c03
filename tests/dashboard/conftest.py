"""One gateway for the dashboard tests, with Stripe pointed at a local fake."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.dashboard.fake_stripe import FakeStripe
from tests.dashboard.web import login_with_key
from tests.support.server import Server, base_env

WEBHOOK_SECRET = "whsec_test_dashboard_0123456789abcdef"
LOGIN_LIMIT = 5


@pytest.fixture(scope="session")
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def dash(tmp_path_factory: pytest.TempPathFactory, fake_stripe: FakeStripe) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("dashboard")
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        APIINONE_SIGNUP_BONUS="100",
        APIINONE_SANDBOX_SPEED="20",
        APIINONE_ALLOWED_URL_HOSTS='["127.0.0.1"]',
        APIINONE_WEBHOOK_RETRY_SCHEDULE="[0, 0.3, 0.6]",
        APIINONE_LOGIN_ATTEMPTS_PER_MINUTE=str(LOGIN_LIMIT),
        APIINONE_SIGNUPS_PER_MINUTE="100000",
        APIINONE_STRIPE_SECRET_KEY="sk_test_dashboard_fake",
        APIINONE_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        APIINONE_STRIPE_API_BASE=fake_stripe.url,
    )
    server = Server(data_dir=data_dir, env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin_web(dash: Server) -> Iterator[httpx.Client]:
    """The bootstrap admin, signed in to the dashboard with its API key."""
    client = login_with_key(dash.url, dash.admin_key)  # type: ignore[attr-defined]
    yield client
    client.close()


_emails = count()


@pytest.fixture
def new_email() -> str:
    return f"dash-{next(_emails)}-{generate_key()[-8:].lower()}@example.com"
