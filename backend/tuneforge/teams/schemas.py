"""Request and response bodies of the teams domain: teams, members, invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, EmailStr, Field, field_validator

from tuneforge.teams.models import Role

InvitationStatus = Literal["pending", "expired", "accepted", "declined", "revoked"]


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)

    _name = field_validator("name", mode="before")(_strip)


class TeamUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=100)

    _name = field_validator("name", mode="before")(_strip)


class TeamRead(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    personal: bool
    created_at: datetime
    role: Role = Field(description="the caller's role in this team")


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    display_name: str
    role: Role
    joined_at: datetime


class TeamDetail(TeamRead):
    members: list[MemberRead]


class MemberUpdate(BaseModel):
    role: Role


class OwnershipTransfer(BaseModel):
    user_id: uuid.UUID = Field(description="the member who becomes owner; you become an admin")


class InvitationCreate(BaseModel):
    email: EmailStr
    role: Role = Role.member
    expires_in_days: int = Field(default=7, ge=1, le=30, description="how long the link works (1 to 30 days)")

    @field_validator("email", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class InvitationRead(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    status: InvitationStatus
    invited_by: str | None = Field(description="the inviter's display name (null if their account is gone)")
    created_at: datetime
    expires_at: datetime


class InvitationCreated(InvitationRead):
    link: str = Field(description="/invitations/<token>: shown once — copy it to the invitee now")
    emailed: bool = Field(default=False, description="the link was also mailed to the invitee (TUNEFORGE_SMTP_URL)")
    email_problem: str | None = Field(default=None, description="why mailing it failed, when a mail server is set up")


class InvitationView(BaseModel):
    """What the invitation link shows the signed-in person who opens it."""

    team_id: uuid.UUID
    team_name: str
    email: str = Field(description="the address the invitation was sent to")
    role: Role
    invited_by: str | None
    expires_at: datetime
    status: InvitationStatus
    for_you: bool = Field(description="the signed-in account's email is the invited one")
    already_member: bool
    can_accept: bool
    message: str = Field(description="the invitation's state, in plain words, with what to do")
