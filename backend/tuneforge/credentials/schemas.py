from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from tuneforge.credentials.models import Provider, VerificationStatus


def _no_whitespace(value: str) -> str:
    value = value.strip()
    if any(ch.isspace() for ch in value):
        raise ValueError("Tokens contain no spaces or line breaks; paste the token alone.")
    return value


class HuggingFaceTokenIn(BaseModel):
    token: str = Field(min_length=8, max_length=400, description="A Hugging Face access token (hf_...)")

    _clean = field_validator("token")(_no_whitespace)


class ModalTokenIn(BaseModel):
    token_id: str = Field(min_length=4, max_length=200, description="Modal token id (ak-...)")
    token_secret: str = Field(min_length=4, max_length=200, description="Modal token secret (as-...)")

    _clean = field_validator("token_id", "token_secret")(_no_whitespace)


class CredentialRead(BaseModel):
    provider: Provider
    configured: bool
    last4: str | None = None
    saved_at: datetime | None = None
    verified_at: datetime | None = None
    username: str | None = None
    status: VerificationStatus | None = None
    message: str | None = None
