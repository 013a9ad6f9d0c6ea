"""How the caller of a request signed in, remembered on the request's own database session.

Authentication (`tuneforge.web.deps.authenticate_token`, the WebSockets) writes it; the one membership check
(`tuneforge.teams.repository.require_membership`) reads it to keep password sessions and API tokens out of
SSO-only teams. Kept on the session rather than in a global: it lives exactly as long as the request's
transaction, and sessions of the worker or the CLI, which act for nobody, carry none (no check)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "tuneforge.sign_in_via"


def remember(session: AsyncSession, via: str) -> None:
    session.info[_KEY] = via


def via_of(session: AsyncSession) -> str | None:
    return session.info.get(_KEY)
