"""The one settings object. Every variable is documented in .env.example."""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from cryptography.fernet import Fernet
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]

# Values that people copy from examples; refused outside development.
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "placeholder", "please-change-me"}
# Database passwords from examples and images' defaults; refused in production.
PLACEHOLDER_DB_PASSWORDS = PLACEHOLDER_SECRETS | {"postgres", "password", "example", "tuneforge", "admin", "root"}


class Environment(StrEnum):
    development = "development"
    production = "production"
    test = "test"


class ConfigurationError(RuntimeError):
    """Start-up refused: a setting is missing or unsafe. The message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TUNEFORGE_", env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TUNEFORGE_DATABASE_URL")
    )
    data_dir: Path = REPO_ROOT / "var"
    jwt_secret: str | None = None
    # Comma-separated Fernet keys; the first encrypts, all decrypt (rotation = prepend a new key).
    encryption_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Fractions are allowed (tests use a few seconds); open WebSockets close when their token expires.
    access_token_minutes: float = Field(default=15, gt=0, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    rate_limit_login: str = "10/minute"
    rate_limit_register: str = "5/minute"
    rate_limit_default: str = "300/minute"
    # Token refreshes per signed-in session (refresh-token family) per minute. The SPA refreshes
    # about once per access-token lifetime, shared by all tabs; this only stops a runaway client.
    rate_limit_refresh_per_session: int = Field(default=60, ge=1)
    rate_limit_enabled: bool = True
    # Comma-separated addresses/networks (CIDR) of reverse proxies whose X-Forwarded-For is
    # believed. Empty (default): nobody's, so a client cannot pick its own address for rate limits.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Per-account sign-in throttle: after this many failed sign-ins for one email, every attempt
    # for it is refused for login_throttle_seconds, doubling with each further failure up to
    # login_throttle_max_seconds. A successful sign-in resets it.
    login_throttle_failures: int = Field(default=5, ge=1)
    login_throttle_seconds: float = Field(default=30.0, gt=0)
    login_throttle_max_seconds: float = Field(default=3600.0, gt=0)
    # Largest request body the API reads, in bytes, everywhere except the dataset uploads
    # (which stream to storage and have their own cap, dataset_max_upload_bytes).
    max_request_bytes: int = Field(default=1 << 20, ge=1024)
    hf_endpoint: str = "https://huggingface.co"
    # Ollama servers models may be published to (comma-separated; the first is the default). Only these:
    # the worker sends model files to the URL, so a free-form one would let anyone make it call any address.
    ollama_urls: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["http://localhost:11434"])
    # Comma-separated directories whose model folders (config.json inside) teams may train from.
    # Any other path is refused, so a job cannot read the server's files or another team's models.
    model_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    spa_dir: Path | None = REPO_ROOT / "frontend" / "dist"
    log_level: str = "INFO"
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    # Memory a worker's playground may keep loaded models in (bytes; least recently used ones are
    # unloaded past it). Unset: a third of the machine's memory.
    playground_cache_bytes: int | None = Field(default=None, ge=64 << 20)
    # On a worker without GPUs: how many training processes one job may spread over its CPU cores (they
    # share the cores, so it is for testing the multi-device path and for multi-socket hosts). A worker
    # with CUDA offers its GPUs instead, one with MPS one device.
    worker_cpu_processes: int = Field(default=1, ge=1, le=16)
    # Largest dataset upload accepted, in bytes (nginx's client_max_body_size must allow it too).
    dataset_max_upload_bytes: int = Field(default=2 << 30, ge=1 << 20)
    # Bounds on reading an upload (docs/security.md, "Hostile dataset files"): what its zips and
    # Parquet files may expand to in all, how many times a zip member may expand, the size of one
    # row, of one decoded Parquet row group, the number of zip members, and the memory of the child
    # process that reads it.
    dataset_max_expanded_bytes: int = Field(default=2 << 30, ge=1 << 20)
    dataset_max_zip_ratio: int = Field(default=100, ge=2)
    dataset_max_row_bytes: int = Field(default=16 << 20, ge=64 << 10)
    dataset_max_row_group_bytes: int = Field(default=128 << 20, ge=1 << 20)
    dataset_max_zip_members: int = Field(default=100_000, ge=1)
    dataset_ingest_memory_bytes: int = Field(default=2 << 30, ge=256 << 20)
    # Running jobs per team at once; more wait in the queue so other teams get workers too.
    team_max_running_jobs: int = Field(default=2, ge=1)
    # Where a job's WebSocket sends keep-alive pings when nothing else happens (seconds).
    ws_ping_seconds: float = Field(default=15.0, gt=0)
    # How often an open WebSocket re-checks in the database that its session is live and its user still
    # in the team (a backstop: revocations close sockets at once through NOTIFY session_revoked).
    ws_recheck_seconds: float = Field(default=60.0, gt=0)
    # Serve /api/docs and /api/openapi.json. Unset: on, except in production.
    api_docs: bool | None = None
    # Audit events older than this many days are pruned by the workers (hourly); 0 keeps them forever.
    audit_retention_days: int = Field(default=365, ge=0)
    # Single sign-on with an OpenID Connect provider (docs/api/sso.md): on when the discovery URL and the
    # client id are set. The secret is never logged nor shown (SecretStr). The redirect URL defaults to
    # <the request's origin>/api/auth/sso/callback; set it when a proxy changes the host or scheme.
    oidc_discovery_url: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_name: str = Field(default="Single sign-on", min_length=1, max_length=60)
    oidc_scopes: str = "openid email profile"
    oidc_redirect_url: str | None = None
    # Optional mail for invitation links (tuneforge.mail): smtp://user:pass@host:587 (STARTTLS when the
    # server offers it) or smtps://…:465. Unset: no mail is sent; inviters copy the link, as always.
    smtp_url: SecretStr | None = None
    smtp_from: str = "TuneForge <tuneforge@localhost>"
    # The address people open TuneForge at (https://tuneforge.example.com), for links in mail; unset: the
    # address the inviter's request came to.
    public_url: str | None = None

    @field_validator("encryption_keys", "cors_origins", "model_dirs", "ollama_urls", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        import ipaddress

        items = [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value
        for item in items if isinstance(items, list) else []:
            try:
                ipaddress.ip_network(str(item), strict=False)
            except ValueError:
                raise ValueError(
                    f"TUNEFORGE_TRUSTED_PROXIES: {item!r} is not an IP address or network (e.g. 10.0.0.5, "
                    "172.31.250.0/24). List the reverse proxies in front of the API; '*' is not accepted "
                    "because anyone could then choose the address the rate limits see."
                ) from None
        return items

    @field_validator(
        "spa_dir", "database_url", "jwt_secret", "oidc_discovery_url", "oidc_client_id", "oidc_client_secret",
        "oidc_redirect_url", "smtp_url", "public_url", mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def is_production(self) -> bool:
        return self.environment == Environment.production

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_discovery_url and self.oidc_client_id)

    @property
    def api_docs_enabled(self) -> bool:
        return (not self.is_production) if self.api_docs is None else self.api_docs

    def resolve_secrets(self) -> Settings:
        """Fill missing secrets in development; refuse unsafe ones in production."""
        if self.is_production:
            if self.jwt_secret is None or self.jwt_secret.strip().lower() in PLACEHOLDER_SECRETS:
                raise ConfigurationError(
                    "TUNEFORGE_JWT_SECRET is missing or a placeholder. Set it to a random string of "
                    "at least 32 characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
                )
            if len(self.jwt_secret) < 32:
                raise ConfigurationError("TUNEFORGE_JWT_SECRET must be at least 32 characters long.")
            if not self.encryption_keys or any(k.lower() in PLACEHOLDER_SECRETS for k in self.encryption_keys):
                raise ConfigurationError(
                    "TUNEFORGE_ENCRYPTION_KEYS is missing or a placeholder. Set it to one or more "
                    "comma-separated Fernet keys, e.g. `python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`."
                )
            if self.database_url is None:
                raise ConfigurationError("DATABASE_URL must be set in production.")
            _refuse_placeholder_database_password(self.database_url)
        else:
            generated = _load_or_create_dev_secrets(self.data_dir)
            if not self.jwt_secret or self.jwt_secret.strip().lower() in PLACEHOLDER_SECRETS:
                self.jwt_secret = generated["jwt_secret"]
            if not self.encryption_keys or any(k.lower() in PLACEHOLDER_SECRETS for k in self.encryption_keys):
                self.encryption_keys = [generated["encryption_key"]]
        for key in self.encryption_keys:
            try:
                Fernet(key.encode())
            except ValueError as exc:
                raise ConfigurationError(
                    "TUNEFORGE_ENCRYPTION_KEYS holds a value that is not a Fernet key "
                    "(32 url-safe base64-encoded bytes)."
                ) from exc
        return self


def _refuse_placeholder_database_password(url: str) -> None:
    """A database password copied from an example is the first thing an attacker tries."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError("DATABASE_URL is not a valid database URL (postgresql://user:password@host/db).") from exc
    if parsed.password is None:
        return  # none in the URL: PGPASSWORD, ~/.pgpass or peer authentication supply it
    if str(parsed.password).strip().lower() in PLACEHOLDER_DB_PASSWORDS:
        raise ConfigurationError(
            "DATABASE_URL has an empty or placeholder password. Set a strong PostgreSQL password (in "
            "docker-compose: POSTGRES_PASSWORD), e.g. `python -c 'import secrets; print(secrets.token_urlsafe(24))'`."
        )


def _load_or_create_dev_secrets(data_dir: Path) -> dict[str, str]:
    """Development secrets are generated once and kept in the data folder, so sessions survive restarts."""
    path = data_dir / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "jwt_secret": secrets.token_urlsafe(48),
        "encryption_key": Fernet.generate_key().decode(),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values))
    tmp.chmod(0o600)
    tmp.replace(path)
    return values


@lru_cache
def get_settings() -> Settings:
    return Settings().resolve_secrets()
