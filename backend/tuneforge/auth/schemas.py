from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from tuneforge.security import BCRYPT_MAX_BYTES
from tuneforge.teams.models import Role

MIN_PASSWORD_CHARS = 8


def normalise_email(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def check_new_password(value: str) -> str:
    if len(value) < MIN_PASSWORD_CHARS:
        raise ValueError(f"Password must be at least {MIN_PASSWORD_CHARS} characters.")
    if len(value.encode()) > BCRYPT_MAX_BYTES:
        raise ValueError(
            f"Password must be at most {BCRYPT_MAX_BYTES} bytes in UTF-8 (accented letters and emoji count "
            "as 2–4 bytes). Choose a shorter passphrase."
        )
    return value


class RegisterIn(BaseModel):
    email: EmailStr
    password: str = Field(max_length=1000)
    display_name: str = Field(default="", max_length=100)

    _email = field_validator("email", mode="before")(normalise_email)
    _password = field_validator("password")(check_new_password)

    @field_validator("display_name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        return value.strip()


class LoginIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1000)

    _email = field_validator("email", mode="before")(normalise_email)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(max_length=1000)

    _password = field_validator("new_password")(check_new_password)


class MeUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None

    _email = field_validator("email", mode="before")(normalise_email)


class TeamSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    role: Role
    personal: bool


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    created_at: datetime
    teams: list[TeamSummary]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserRead
