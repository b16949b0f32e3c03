"""Configuration: the only place the environment and the settings file are read.

Sources, highest priority first: init arguments, ``APIINONE_*`` environment variables,
the TOML file named by ``APIINONE_CONFIG`` (default ``./apiinone.toml`` if it exists).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["CreditPackage", "Settings", "load_settings"]

KEY_PATTERN = re.compile(r"^aio_(test_)?[A-Za-z0-9_-]{43,}$")
DEFAULT_SECRET = "change-me"


def _config_file() -> Path:
    return Path(os.environ.get("APIINONE_CONFIG", "apiinone.toml"))


class CreditPackage(BaseModel):
    """A top-up offer: ``credits`` for ``price_cents`` in ``Settings.stripe_currency``."""

    id: str = Field(pattern="^[a-z0-9_-]{1,40}$")
    name: str = Field(min_length=1, max_length=80)
    credits: int = Field(gt=0)
    price_cents: int = Field(ge=50, description="Stripe's smallest charge is about 50 cents")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APIINONE_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default: SQLite in data_dir"
    )
    # Results and uploads: a local directory, or an S3-compatible bucket.
    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_prefix: str = ""
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None

    db_pool_size: int = Field(default=10, ge=1, le=500, description="per process (PostgreSQL)")
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="server processes of `apiinone serve`; more than 1 needs redis_url",
    )
    public_base_url: str | None = None

    signup_bonus: int = Field(default=100, ge=0)
    test_credits: int = Field(default=10_000, ge=0)
    rate_limit_per_minute: int = Field(default=60, ge=1)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_json_depth: int = Field(
        default=64, ge=2, le=512, description="levels of arrays and objects in a JSON body"
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="a request's whole body must arrive within this time"
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="a request's headers must arrive within this time of its first byte "
        "(of the connection, for its first request)",
    )
    catalog_file: Path | None = None
    providers_file: Path | None = None

    admin_key: SecretStr | None = None
    admin_email: str = "admin@localhost"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    previous_secret_keys: list[SecretStr] = Field(
        default_factory=list,
        description="old secret_key values: secrets sealed under them still open "
        "(until `apiinone secrets rotate` seals them again under secret_key)",
    )

    # Outbound URLs (callbacks, inputs): private addresses are refused unless allowed.
    allow_private_urls: bool = False
    allowed_url_hosts: list[str] = Field(default_factory=list)
    max_input_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)

    # Limits on what one task, or one account, may ask for (docs/security.md).
    max_concurrent_tasks_per_account: int = Field(
        default=64, ge=0, description="queued or running tasks per account; 0 = no limit"
    )
    max_input_urls: int = Field(
        default=32, ge=1, description="URLs one task may give the gateway to fetch"
    )
    max_array_items: int = Field(
        default=1000,
        ge=1,
        description="items in any array of a task's parameters, whatever the catalog says",
    )

    # Tasks and results.
    worker_enabled: bool = True
    worker_concurrency: int = Field(default=8, ge=1, le=256)
    task_lease_seconds: float = Field(default=30.0, gt=0)
    file_retention_hours: float = Field(default=7 * 24, gt=0)
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 21600.0],
        description="seconds before each delivery attempt; the default spans 24 hours",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    chat_hold_lease_seconds: float = Field(
        default=60.0,
        ge=0.5,
        description="a dead process's chat holds are released once its lease lapses (renewed "
        "every third of it while the process lives)",
    )
    chat_keepalive_seconds: float = Field(
        default=15.0,
        gt=0,
        description="SSE comment sent while a chat stream is silent: after this many seconds "
        "without a chunk (at most a quarter, and 1 s, later)",
    )
    responses_retention_days: float = Field(
        default=30.0,
        gt=0,
        description="how long a stored /v1/responses answer can be retrieved and continued",
    )
    request_log_retention_days: float = Field(
        default=30.0,
        gt=0,
        description="how long each chat request's row of the request log is kept",
    )
    openai_wait_seconds: float = Field(
        default=120.0, gt=0, description="how long /v1 images and speech wait for their task"
    )
    openai_default_image_model: str = Field(
        default="flux-2",
        max_length=200,
        description="the model of /v1/images requests that name none; empty: model required",
    )
    sandbox_speed: float = Field(
        default=1.0, gt=0, description="divides the sandbox's simulated processing times"
    )

    upstream_connections: int = Field(
        default=10_000,
        ge=0,
        description="connections open at once to upstream providers, per process (an open "
        "stream holds one); 0 = no limit. Caps per channel: max_concurrency in the providers "
        "file",
    )

    # Upstream channels: open a circuit after this many consecutive failures.
    circuit_failures: int = Field(default=5, ge=1)
    circuit_cooldown_seconds: float = Field(default=30.0, gt=0)

    key_cache_ttl_seconds: float = Field(default=0.5, gt=0, le=1.0)
    idempotency_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="an Idempotency-Key record's lease, renewed every third of it while its "
        "request runs; a duplicate takes over only a record whose lease lapsed",
    )
    rotation_grace_seconds: int = Field(default=0, ge=0)
    log_level: str = "info"
    access_log: bool = Field(
        default=False,
        description="one line per request (uvicorn's); secrets in URLs are redacted",
    )
    fast_lane: bool = Field(
        default=True,
        description="answer chat, task submission and task polling below the router",
    )

    # Dashboard (the HTML pages at /): sessions, sign-up, top-up.
    signup_enabled: bool = True
    session_lifetime_hours: float = Field(default=7 * 24, gt=0, le=90 * 24)
    login_attempts_per_minute: int = Field(
        default=10, ge=1, description="per email and client address"
    )
    signups_per_minute: int = Field(default=5, ge=1, description="per client address")
    # Stripe Checkout: without a secret key, top-up offers redemption codes only.
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = Field(
        default=None, description="another Stripe API address (a local fake in tests)"
    )
    stripe_currency: str = Field(default="usd", pattern="^[a-z]{3}$")
    credit_packages: list[CreditPackage] = Field(
        default_factory=lambda: [
            CreditPackage(id="starter", name="Starter", credits=1_000, price_cents=1_000),
            CreditPackage(id="builder", name="Builder", credits=5_500, price_cents=5_000),
            CreditPackage(id="scale", name="Scale", credits=12_000, price_cents=10_000),
        ]
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml, file_secret_settings)

    @field_validator("admin_key")
    @classmethod
    def _strong_admin_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        if not KEY_PATTERN.match(raw) or raw.startswith("aio_test_"):
            raise ValueError(
                "APIINONE_ADMIN_KEY must look like a real key: 'aio_' followed by at least "
                "43 url-safe characters (32 random bytes); generate one with "
                "`apiinone keys generate`"
            )
        if len(set(raw[4:])) < 12:
            raise ValueError("APIINONE_ADMIN_KEY is too weak: it repeats too few characters")
        return value

    @model_validator(mode="after")
    def _s3_complete(self) -> Settings:
        if self.storage_backend == "s3":
            missing = [
                name
                for name in (
                    "s3_endpoint_url",
                    "s3_bucket",
                    "s3_access_key_id",
                    "s3_secret_access_key",
                )
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"storage_backend s3 needs {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _production_refuses_defaults(self) -> Settings:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET or len(secret) < 32:
                raise ValueError(
                    "production mode refuses the default secret_key: set APIINONE_SECRET_KEY "
                    "to at least 32 random characters"
                )
        return self

    @model_validator(mode="after")
    def _topup_consistent(self) -> Settings:
        if self.stripe_secret_key is not None and self.stripe_webhook_secret is None:
            raise ValueError(
                "stripe_secret_key needs stripe_webhook_secret too: without the webhook, "
                "paid orders would never be credited"
            )
        ids = [p.id for p in self.credit_packages]
        if len(set(ids)) != len(ids):
            raise ValueError("credit_packages: every package needs its own id")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'apiinone.db').resolve()}"

    @property
    def base_url(self) -> str:
        """Where clients reach this gateway: used for result URLs in webhooks."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
