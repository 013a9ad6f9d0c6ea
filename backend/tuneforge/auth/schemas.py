from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from tuneforge.auth.passwords import password_problem
from tuneforge.teams.models import Role


def normalise_email(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def check_new_password(value: str, info: ValidationInfo) -> str:
    """The password rule (tuneforge.auth.passwords); the email, when the model has one, may not be it."""
    problem = password_problem(value, email=(info.data or {}).get("email"))
    if problem:
        raise ValueError(problem)
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
    current_password: str | None = Field(
        default=None, max_length=1000, description="required to change the email (a stolen session must not take the account)"
    )

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
