from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from tuneforge.config import ConfigurationError, Settings


def test_production_refuses_missing_or_placeholder_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("TUNEFORGE_JWT_SECRET", raising=False)
    key = Fernet.generate_key().decode()
    with pytest.raises(ConfigurationError, match="TUNEFORGE_JWT_SECRET"):
        Settings(environment="production", data_dir=tmp_path, encryption_keys=[key], database_url="postgresql://x/y").resolve_secrets()
    with pytest.raises(ConfigurationError, match="TUNEFORGE_JWT_SECRET"):
        Settings(environment="production", jwt_secret="change-me", encryption_keys=[key], database_url="postgresql://x/y").resolve_secrets()
    with pytest.raises(ConfigurationError, match="TUNEFORGE_ENCRYPTION_KEYS"):
        Settings(environment="production", jwt_secret="s" * 40, encryption_keys=["change-me"], database_url="postgresql://x/y").resolve_secrets()
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        Settings(environment="production", jwt_secret="s" * 40, encryption_keys=["abc"], database_url="postgresql://x/y").resolve_secrets()
    ok = Settings(environment="production", jwt_secret="s" * 40, encryption_keys=[key], database_url="postgresql://x/y").resolve_secrets()
    assert ok.is_production


def test_development_generates_secrets_once_and_keeps_them(tmp_path, monkeypatch):
    monkeypatch.delenv("TUNEFORGE_JWT_SECRET", raising=False)
    monkeypatch.delenv("TUNEFORGE_ENCRYPTION_KEYS", raising=False)
    first = Settings(environment="development", data_dir=tmp_path).resolve_secrets()
    second = Settings(environment="development", data_dir=tmp_path).resolve_secrets()
    assert first.jwt_secret and len(first.jwt_secret) >= 32
    assert first.jwt_secret == second.jwt_secret
    assert first.encryption_keys == second.encryption_keys
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


def test_comma_separated_lists_from_the_environment(monkeypatch, tmp_path):
    keys = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    monkeypatch.setenv("TUNEFORGE_ENCRYPTION_KEYS", ",".join(keys))
    monkeypatch.setenv("TUNEFORGE_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    settings = Settings(data_dir=tmp_path)
    assert settings.encryption_keys == keys
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.database_url == "postgres://u@h/db"


def test_development_replaces_copied_placeholders(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEFORGE_JWT_SECRET", "change-me")
    monkeypatch.setenv("TUNEFORGE_ENCRYPTION_KEYS", "change-me")
    monkeypatch.setenv("TUNEFORGE_SPA_DIR", "")
    settings = Settings(environment="development", data_dir=tmp_path).resolve_secrets()
    assert settings.jwt_secret != "change-me" and len(settings.jwt_secret) >= 32
    assert settings.encryption_keys != ["change-me"]
    assert settings.spa_dir is None


@pytest.mark.parametrize("password", ["changeme", "change-me", "postgres", "password", "example", "PASSWORD", ""])
def test_production_refuses_a_placeholder_database_password(password):
    key = Fernet.generate_key().decode()
    url = f"postgresql+asyncpg://tuneforge:{password}@db.internal:5432/tuneforge"
    with pytest.raises(ConfigurationError, match="DATABASE_URL") as refused:
        Settings(environment="production", jwt_secret="s" * 40, encryption_keys=[key], database_url=url).resolve_secrets()
    assert "placeholder password" in str(refused.value)
    if password:
        assert f":{password}@" not in str(refused.value), "the message must not echo the URL"


def test_production_accepts_a_real_database_password_and_development_any(tmp_path):
    key = Fernet.generate_key().decode()
    strong = "postgresql+asyncpg://tuneforge:Vq3-xR9_kLm2@db.internal:5432/tuneforge"
    assert Settings(environment="production", jwt_secret="s" * 40, encryption_keys=[key], database_url=strong).resolve_secrets()
    dev = "postgresql+asyncpg://postgres:postgres@localhost/tuneforge"
    assert Settings(environment="development", data_dir=tmp_path, database_url=dev).resolve_secrets().database_url == dev


def test_api_docs_default_on_in_development_and_off_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("TUNEFORGE_API_DOCS", raising=False)
    assert Settings(environment="development", data_dir=tmp_path).api_docs_enabled
    assert not Settings(environment="production").api_docs_enabled
    monkeypatch.setenv("TUNEFORGE_API_DOCS", "true")
    assert Settings(environment="production").api_docs_enabled
    monkeypatch.setenv("TUNEFORGE_API_DOCS", "false")
    assert not Settings(environment="development", data_dir=tmp_path).api_docs_enabled
