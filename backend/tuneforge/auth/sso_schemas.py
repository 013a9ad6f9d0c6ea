"""Request and response bodies of single sign-on and of a team's SSO-only setting."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SsoInfo(BaseModel):
    enabled: bool = Field(description="single sign-on is set up: the login page shows its button")
    label: str = Field(description="the button's provider name (TUNEFORGE_OIDC_NAME)")


class SsoExchangeIn(BaseModel):
    code: str = Field(min_length=1, max_length=100, description="the one-time code from /sso/callback#code=...")


class TeamSsoRead(BaseModel):
    sso_only: bool = Field(description="only sessions signed in with single sign-on reach this team")
    sso_available: bool = Field(description="single sign-on is set up on this TuneForge")
    label: str
    session_via: Literal["password", "sso", "token"] = Field(description="how the caller's session signed in")


class TeamSsoUpdate(BaseModel):
    sso_only: bool
