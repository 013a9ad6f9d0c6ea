from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from tuneforge.credentials.models import Provider, VerificationStatus


# Token formats, checked before anything is saved. Messages are shown to users as they are.
HF_TOKEN_PREFIX = "hf_"
HF_TOKEN_MIN_CHARS = 20  # today's tokens are 37 characters; shorter is a partial paste
MODAL_ID_PREFIX = "ak-"
MODAL_SECRET_PREFIX = "as-"
MODAL_TOKEN_MIN_CHARS = 11  # the prefix and at least 8 more
MAX_TOKEN_CHARS = 400


def _clean(value: object, *, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"Paste your {what} first.")
    value = value.strip()
    if any(ch.isspace() for ch in value):
        raise ValueError("Tokens contain no spaces or line breaks; paste the token alone.")
    if len(value) > MAX_TOKEN_CHARS:
        raise ValueError(f"This is too long to be a {what}; paste the token alone.")
    return value


class HuggingFaceTokenIn(BaseModel):
    token: str = Field(description='A Hugging Face access token: "hf_" and at least 17 more characters')

    @field_validator("token", mode="before")
    @classmethod
    def _check(cls, value: object) -> str:
        value = _clean(value, what="Hugging Face token")
        if not value.startswith(HF_TOKEN_PREFIX):
            raise ValueError(
                'This is not a Hugging Face token: they start with "hf_". '
                "Create one at huggingface.co/settings/tokens and paste it whole."
            )
        if len(value) < HF_TOKEN_MIN_CHARS:
            raise ValueError(
                f"This Hugging Face token is too short ({len(value)} characters): part of it is missing. "
                "Copy the whole token (about 37 characters) and paste it again."
            )
        return value


class ModalTokenIn(BaseModel):
    token_id: str = Field(description='Modal token id: "ak-" and at least 8 more characters')
    token_secret: str = Field(description='Modal token secret: "as-" and at least 8 more characters')

    @field_validator("token_id", mode="before")
    @classmethod
    def _check_id(cls, value: object) -> str:
        return _modal_half(value, what="ID", prefix=MODAL_ID_PREFIX, other="secret", other_prefix=MODAL_SECRET_PREFIX)

    @field_validator("token_secret", mode="before")
    @classmethod
    def _check_secret(cls, value: object) -> str:
        return _modal_half(value, what="secret", prefix=MODAL_SECRET_PREFIX, other="ID", other_prefix=MODAL_ID_PREFIX)


def _modal_half(value: object, *, what: str, prefix: str, other: str, other_prefix: str) -> str:
    """One half of a Modal token pair, checked for its prefix and length (the halves are easily swapped)."""
    value = _clean(value, what=f"Modal token {what}")
    if value.startswith(other_prefix):
        raise ValueError(f'This is the token {other}; the token {what} is the other half and starts with "{prefix}".')
    if not value.startswith(prefix):
        raise ValueError(f'Modal token {what}s start with "{prefix}". Copy the {what} from modal.com/settings/tokens.')
    if len(value) < MODAL_TOKEN_MIN_CHARS:
        raise ValueError(f"This Modal token {what} is too short: part of it is missing. Copy the whole {what}.")
    return value


class CredentialRead(BaseModel):
    provider: Provider
    configured: bool
    last4: str | None = None
    saved_at: datetime | None = None
    verified_at: datetime | None = None
    username: str | None = None
    status: VerificationStatus | None = None
    message: str | None = None


class TeamCredentialRead(CredentialRead):
    saved_by_name: str | None = None


class TeamOllamaRead(BaseModel):
    url: str | None = Field(description="the team's Ollama server (one of TUNEFORGE_OLLAMA_URLS); null: the server's default")
    set_at: datetime | None = None
    set_by_name: str | None = None


class TeamCredentialsRead(BaseModel):
    """What a team has set — never a secret."""

    credentials: list[TeamCredentialRead]
    ollama: TeamOllamaRead


class TeamOllamaIn(BaseModel):
    url: str = Field(min_length=1, max_length=500)
