"""One Settings class for the whole service.

Every variable carries the ``BCA_`` prefix, except the names the original AWS deployment used
(``AWS_REGION``, ``AWS_S3_BUCKET_NAME``, ...), which keep working unchanged so that an old
environment file can be pointed at this server.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    AliasChoices,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# src/bca/settings.py -> the repository's web/dist (the package is installed editable).
WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


class Mode(StrEnum):
    embedded = "embedded"
    production = "production"


class MailBackend(StrEnum):
    console = "console"
    smtp = "smtp"
    ses = "ses"
    off = "off"


class StorageBackend(StrEnum):
    local = "local"
    s3 = "s3"


def _aws(name: str) -> AliasChoices:
    """Accept both the original deployment's bare name and the ``BCA_``-prefixed one."""
    return AliasChoices(name, f"BCA_{name}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BCA_", env_file=".env", extra="ignore", validate_default=True
    )

    mode: Mode = Mode.embedded
    data_dir: Path = Path("var")
    database_url: str | None = None
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    redis_url: str | None = None
    broker_url: str | None = None
    storage: StorageBackend | None = None
    storage_path: Path | None = None
    secret_key: str | None = None
    # Unset, `bca serve` uses the address it listens on; other processes (a separate worker
    # sending mails) fall back to this default.
    public_url: str = "http://localhost:8000"
    log_level: str = "INFO"
    log_json: bool | None = None

    mail_backend: MailBackend = MailBackend.console
    mail_from: str = "B.Ca <noreply@bca.local>"
    smtp_url: str | None = None

    require_email_verification: bool = True
    rate_limit_enabled: bool = True
    max_upload_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    # Every request body that is not a multipart upload (JSON, forms, CardDAV's XML) is held
    # whole to be parsed: this bounds it, counted while it arrives.
    max_json_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024
    # `bca serve`: a request's head (request line and headers) must arrive within this many
    # seconds, and an idle keep-alive connection is closed after the other (bca.protocol).
    http_head_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    http_keep_alive_seconds: Annotated[int, Field(ge=1, le=300)] = 5
    # An animated image is decoded frame by frame and encoded again: these bound that work,
    # checked before any frame is decoded.
    max_image_frames: Annotated[int, Field(ge=1)] = 500
    max_animation_pixels: Annotated[int, Field(ge=1)] = 10_000_000

    # argon2id cost; lower only for test suites (a hash then costs microseconds, not 0.25 s).
    password_hash_time_cost: Annotated[int, Field(ge=1, le=20)] = 3
    password_hash_memory_kib: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 64 * 1024

    access_token_ttl_seconds: Annotated[int, Field(ge=30, le=86400)] = 15 * 60
    refresh_token_ttl_days: Annotated[int, Field(ge=1, le=365)] = 30
    # An account its owner deleted is erased this many days later; signing in before cancels.
    erasure_grace_days: Annotated[int, Field(ge=0, le=365)] = 14
    # Chat messages older than this are redacted in every chat (a chat's owner may choose
    # less); unset keeps them as long as each chat's own setting says.
    chat_retention_max_days: Annotated[int | None, Field(ge=1, le=3650)] = None
    # Message requests (chats with profiles that do not follow the inviter) one profile may
    # start in 24 hours, counted in the database (so across instances); always on.
    chat_requests_per_day: Annotated[int, Field(ge=1)] = 20

    # One endpoint override for every AWS client (S3, SQS, SES): any compatible store works.
    aws_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("BCA_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL")
    )
    aws_region: str = Field(default="us-east-1", validation_alias=_aws("AWS_REGION"))
    aws_access_key_id: str | None = Field(default=None, validation_alias=_aws("AWS_ACCESS_KEY_ID"))
    aws_secret_access_key: str | None = Field(
        default=None, validation_alias=_aws("AWS_SECRET_ACCESS_KEY")
    )
    aws_s3_bucket_name: str | None = Field(
        default=None, validation_alias=_aws("AWS_S3_BUCKET_NAME")
    )
    aws_task_sqs_url: str | None = Field(default=None, validation_alias=_aws("AWS_TASK_SQS_URL"))
    firebase_certificate: Path | None = Field(
        default=None, validation_alias=_aws("FIREBASE_CERTIFICATE")
    )
    fcm_base_url: str = "https://fcm.googleapis.com"
    # Web Push (RFC 8030/8291/8292; see docs/operations.md). The VAPID private key: a
    # P-256 key as PEM or as the base64url of its 32-byte secret (what `web-push
    # generate-vapid-keys` prints); unset, the embedded default generates one under the data
    # dir, and production sends no Web Push.
    web_push_vapid_private_key: str | None = None
    # The VAPID `sub` claim: a mailto: or https: address push services may contact.
    web_push_subject: str | None = None
    # The push services subscriptions may point at (comma-separated; `*.` allows subdomains).
    web_push_hosts: str = (
        "fcm.googleapis.com,updates.push.services.mozilla.com,*.notify.windows.com,"
        "web.push.apple.com"
    )
    # Tests only (refused in production): origins such as http://127.0.0.1:8123 accepted as
    # push services as they are, without the https, host and address checks.
    web_push_test_origins: str = ""

    # Link previews (docs/api.md "Link previews"): the worker fetches the first http(s) link of
    # a message (public addresses only, at most 1 MB and 5 s) and attaches a preview.
    link_previews: bool = True
    # The ports a preview may fetch from (comma-separated).
    link_preview_ports: str = "80,443"
    # Previews fetched per user and per chat per minute; links beyond them get none.
    link_previews_per_user_per_minute: Annotated[int, Field(ge=1)] = 20
    link_previews_per_chat_per_minute: Annotated[int, Field(ge=1)] = 30
    # Tests only (refused in production): origins such as http://127.0.0.1:8123 fetched as
    # they are, without the port and address checks.
    link_preview_test_origins: str = ""

    # Task layer and sync (see README "Background work and offline sync").
    # Seconds a broker waits for a task's acknowledgement before handing it to another worker
    # (tasks are acknowledged only when finished); also the TTL of a snapshot build's lock.
    task_visibility_timeout: Annotated[int, Field(ge=1, le=43200)] = 900
    task_max_retries: Annotated[int, Field(ge=0, le=100)] = 8
    # A snapshot update runs at most once per user per this many seconds, after the writes.
    sync_snapshot_debounce_seconds: Annotated[float, Field(ge=0, le=3600)] = 5.0
    # Compaction keeps change-log entries younger than this, and the last N of every user.
    sync_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    sync_keep_last: Annotated[int, Field(ge=0)] = 1000
    fcm_token_uri: str | None = None
    # Business-card scans: the region phone numbers without a country code are read in, and
    # how long reading one card may take before it ends as failed.
    scan_default_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "KR"
    scan_time_limit_seconds: Annotated[float, Field(gt=0, le=600)] = 60.0

    # Addresses or networks (comma-separated, CIDR allowed) of the proxies whose
    # X-Forwarded-For and X-Forwarded-Proto are believed; nobody's by default, so a client
    # cannot choose the address its rate limits count against.
    trusted_proxies: str = ""
    # Who may read /metrics: these addresses or networks, or anyone with the bearer token.
    metrics_allow: str = "127.0.0.1,::1"
    metrics_token: str | None = None

    # The web app's built files (`web/` built by Vite), served at /app/; by default the
    # repository's web/dist, which `make run` builds.
    web_dist: Path = WEB_DIST

    @field_validator("trusted_proxies", "metrics_allow")
    @classmethod
    def _check_networks(cls, value: str) -> str:
        _networks(value)
        return value

    @property
    def trusted_proxy_networks(self) -> list[Network]:
        return _networks(self.trusted_proxies)

    @property
    def metrics_networks(self) -> list[Network]:
        return _networks(self.metrics_allow)

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        if self.storage is StorageBackend.s3 and not self.aws_s3_bucket_name:
            raise ValueError("BCA_STORAGE=s3 needs AWS_S3_BUCKET_NAME")
        if self.mail_backend is MailBackend.smtp and not self.smtp_url:
            raise ValueError("BCA_MAIL_BACKEND=smtp needs BCA_SMTP_URL")
        if self.mode is Mode.production and not self.secret_key:
            raise ValueError("BCA_SECRET_KEY is required when BCA_MODE=production")
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise ValueError("BCA_SECRET_KEY must be at least 32 characters")
        if self.broker_url and self.aws_task_sqs_url:
            raise ValueError("set either BCA_BROKER_URL or AWS_TASK_SQS_URL, not both")
        if self.mode is Mode.production and self.web_push_test_origins.strip():
            raise ValueError("BCA_WEB_PUSH_TEST_ORIGINS is for tests: not allowed in production")
        if self.mode is Mode.production and self.link_preview_test_origins.strip():
            raise ValueError(
                "BCA_LINK_PREVIEW_TEST_ORIGINS is for tests: not allowed in production"
            )
        ports = self.link_preview_ports.split(",")
        if not all(port.strip().isdigit() and 0 < int(port) < 65536 for port in ports):
            raise ValueError("BCA_LINK_PREVIEW_PORTS must be port numbers separated by commas")
        if self.firebase_certificate is not None and not self.firebase_certificate.is_file():
            raise ValueError(f"FIREBASE_CERTIFICATE: no such file {self.firebase_certificate}")
        url = self.resolved_database_url
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "BCA_DATABASE_URL must start with sqlite+aiosqlite://, postgresql://,"
                " postgres:// or postgresql+asyncpg://"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            # Plain postgres URLs (as RDS consoles print them) get the async driver added.
            for plain in ("postgresql://", "postgres://"):
                if self.database_url.startswith(plain):
                    return "postgresql+asyncpg://" + self.database_url[len(plain) :]
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'bca.db'}"

    @property
    def storage_backend(self) -> StorageBackend:
        if self.storage is not None:
            return self.storage
        return StorageBackend.s3 if self.aws_s3_bucket_name else StorageBackend.local

    @property
    def resolved_storage_path(self) -> Path:
        return self.storage_path or self.data_dir / "storage"

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def json_logs(self) -> bool:
        """JSON lines unless a person reads along: BCA_LOG_JSON decides when set; otherwise
        production logs JSON, and the embedded default reads as text on a terminal."""
        if self.log_json is not None:
            return self.log_json
        return self.mode is Mode.production or not sys.stderr.isatty()

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def signing_key(self) -> str:
        """The JWT signing key; in embedded mode generated once and kept under the data dir."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key

    @cached_property
    def vapid_private_key(self) -> str | None:
        """The VAPID private key (PEM or base64url): the configured one, else in embedded mode
        one generated once and kept beside the signing key; None (no Web Push) otherwise."""
        if self.web_push_vapid_private_key:
            return self.web_push_vapid_private_key
        if self.mode is not Mode.embedded:
            return None
        key_file = self.data_dir / "vapid_private_key.pem"
        if key_file.exists():
            return key_file.read_text()
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        # Several processes may start at once: the first file linked in place wins.
        self.data_dir.mkdir(parents=True, exist_ok=True)
        draft = self.data_dir / f".vapid_private_key.{secrets.token_hex(8)}"
        draft.touch(mode=0o600)
        draft.write_text(pem)
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pem = key_file.read_text()
        finally:
            draft.unlink()
        return pem


def _networks(value: str) -> list[Network]:
    networks: list[Network] = []
    for part in value.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(f"not an address or network: {part.strip()!r}") from None
    return networks


class SettingsError(Exception):
    """Raised with one human line per bad variable, so start-up can print it and stop."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # overrides are validated here
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            variable = "BCA_" + "_".join(str(part) for part in problem["loc"]).upper()
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(message if not problem["loc"] else f"{variable}: {message}")
        raise SettingsError("; ".join(lines)) from None
