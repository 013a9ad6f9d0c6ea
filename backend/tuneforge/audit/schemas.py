from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    team_id: uuid.UUID | None = Field(description="null for account events (sign-ins, API tokens, own credentials)")
    actor_user_id: uuid.UUID | None = Field(description="null: the system, or someone not signed in")
    actor_email: str | None = Field(description="the actor's email at the time (or the email a failed sign-in tried)")
    via: str | None = Field(description="how the actor signed in: password, sso or token")
    action: str = Field(description="dotted, e.g. auth.sign_in, job.launched, member.role_changed")
    target_type: str | None
    target_id: str | None
    target_label: str | None = Field(description="the target's name at the time")
    outcome: str = Field(description="success, failure or refused")
    detail: dict[str, Any] | None
    ip: str | None
    user_agent: str | None


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None = Field(description="pass as `cursor` for the next (older) page; null on the last page")
