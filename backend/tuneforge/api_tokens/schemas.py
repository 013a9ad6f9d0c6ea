from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tuneforge.api_tokens.models import TokenScope

DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 365


class ApiTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="what the token is for, e.g. 'CI uploads'")
    scope: TokenScope = Field(default=TokenScope.read, description="read: GET and HEAD only; write: everything your roles allow")
    expires_in_days: int = Field(default=DEFAULT_EXPIRY_DAYS, ge=1, le=MAX_EXPIRY_DAYS)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Give the token a name, e.g. what it is for.")
        return value


class ApiTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    scope: TokenScope
    last_four: str = Field(description="the token's last 4 characters, to tell tokens apart")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="the token itself: shown in this answer only, never again")
