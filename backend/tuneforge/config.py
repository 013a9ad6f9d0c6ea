"""The one settings object. Every variable is documented in .env.example."""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from cryptography.fernet import Fernet
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]

# Values that people copy from examples; refused outside development.
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "placeholder", "please-change-me"}


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
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    rate_limit_login: str = "10/minute"
    rate_limit_register: str = "5/minute"
    rate_limit_default: str = "300/minute"
    rate_limit_enabled: bool = True
    hf_endpoint: str = "https://huggingface.co"
    # Comma-separated directories whose model folders (config.json inside) teams may train from.
    # Any other path is refused, so a job cannot read the server's files or another team's models.
    model_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    spa_dir: Path | None = REPO_ROOT / "frontend" / "dist"
    log_level: str = "INFO"
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    # Largest dataset upload accepted, in bytes (nginx's client_max_body_size must allow it too).
    dataset_max_upload_bytes: int = Field(default=2 << 30, ge=1 << 20)
    # Running jobs per team at once; more wait in the queue so other teams get workers too.
    team_max_running_jobs: int = Field(default=2, ge=1)
    # Where a job's WebSocket sends keep-alive pings when nothing else happens (seconds).
    ws_ping_seconds: float = Field(default=15.0, gt=0)

    @field_validator("encryption_keys", "cors_origins", "model_dirs", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("spa_dir", "database_url", "jwt_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def is_production(self) -> bool:
        return self.environment == Environment.production

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
