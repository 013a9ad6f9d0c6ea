"""Whose Modal token pays for a Modal job's run.

The person acting pays: whoever launches a Modal job, retries it or resumes it becomes its
`billed_user_id`, and their own saved Modal token runs it — or, when they have none, their team's
(`credentials.team_service`; the job's `credential_sources["modal"]` says which). The API refuses the
action, changing nothing, when neither exists. An automatic resume after a worker loss keeps that person: the worker
runs it on the token of whoever last started the job — and if that person has no Modal token any more
or has left the team, the run fails with a message saying so instead of billing someone else.
Only the person's name and a token hint (`ak-…abcd`) are ever shown; the secret stays on the server.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.credentials import service as credentials_service
from tuneforge.credentials.models import Credential, Provider
from tuneforge.errors import BadRequest
from tuneforge.teams.models import Membership, Role

NEEDS_OWN_TOKEN = (
    "Add a Modal token in Settings first: a Modal job runs on the Modal token of whoever launches, retries "
    "or resumes it (or on the team's, which an admin sets on the Team page), and neither is saved."
)
TEAM_SUFFIX = ", the team's"


def token_hint(last4: str) -> str:
    """How a saved Modal token is shown: its id's last four characters (ids start with `ak-`)."""
    return f"ak-…{last4}"


class BillingUnavailable(PermissionError):
    """Nobody may be billed for this run; the message says why and what to do."""


@dataclass
class Payer:
    user_id: uuid.UUID
    name: str
    token_hint: str
    token: dict[str, str]  # the decrypted secret: for the executor only, never shown
    source: str = "user"  # credentials.CredentialSource: their own token or the team's

    def describe(self) -> str:
        return f"billed to {self.name}'s Modal token ({self.token_hint})"


async def _hint_of(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    last4 = await session.scalar(
        select(Credential.last4).where(Credential.user_id == user_id, Credential.provider == Provider.modal)
    )
    return token_hint(last4) if last4 is not None else None


async def require_own_token(*, session: AsyncSession, user: User) -> str:
    """The acting user's Modal token hint; BadRequest (nothing changed) when they have no token."""
    hint = await _hint_of(session, user.id)
    if hint is None:
        raise BadRequest(NEEDS_OWN_TOKEN)
    return hint


async def require_token(*, session: AsyncSession, user: User, team_id: uuid.UUID) -> tuple[str, str]:
    """(hint, source) of the Modal token that would run the acting user's job: their own, else the team's;
    BadRequest (nothing changed) when neither exists. Nothing is decrypted here."""
    from tuneforge.credentials import team_service

    credential, source = await team_service.which(session=session, user_id=user.id, team_id=team_id, provider=Provider.modal)
    if credential is None or source is None:
        raise BadRequest(NEEDS_OWN_TOKEN)
    hint = token_hint(credential.last4) + (TEAM_SUFFIX if source == "team" else "")
    return hint, source.value


async def payer(*, session: AsyncSession, settings: Settings, job) -> Payer:
    """Who pays for the job's next Modal run, with their token; BillingUnavailable when nobody may."""
    user_id = job.billed_user_id
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise BillingUnavailable(
            "Nobody can be billed for this Modal run: the person who last started it no longer has an account. "
            "Retry or Resume it to run it on your own Modal token."
        )
    member = await session.scalar(
        select(Membership.role).where(Membership.team_id == job.team_id, Membership.user_id == user.id)
    )
    if member is None or member.rank < Role.member.rank:
        raise BillingUnavailable(
            f"This Modal run was not started: it is billed to {user.display_name}, who last started it and is no "
            "longer a member of this team. Retry or Resume it to run it on your own Modal token."
        )
    from tuneforge.credentials import team_service

    credential, source = await team_service.which(session=session, user_id=user.id, team_id=job.team_id,
                                                  provider=Provider.modal)
    if credential is None or source is None:
        raise BillingUnavailable(
            f"This Modal run was not started: it is billed to {user.display_name}, who last started it and no longer "
            "has a Modal token saved, and the team has none. They can add one in Settings, or Retry or Resume it to "
            "run it on your own token."
        )
    secret = credentials_service.decrypt(settings=settings, credential=credential)
    hint = token_hint(credential.last4) + (TEAM_SUFFIX if source == "team" else "")
    return Payer(user_id=user.id, name=user.display_name, token_hint=hint, token=secret, source=source.value)


@dataclass
class BilledTo:
    user_id: uuid.UUID
    name: str
    token_hint: str | None  # None: they have no Modal token saved now


async def billed_to(*, session: AsyncSession, jobs: list) -> dict[uuid.UUID, BilledTo]:
    """For each Modal job with a payer: who, and the hint of their currently saved token (one query)."""
    user_ids = {job.billed_user_id for job in jobs if job.billed_user_id is not None}
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.display_name, Credential.last4)
        .outerjoin(Credential, (Credential.user_id == User.id) & (Credential.provider == Provider.modal))
        .where(User.id.in_(user_ids))
    )
    people = {row.id: BilledTo(user_id=row.id, name=row.display_name, token_hint=token_hint(row.last4) if row.last4 else None) for row in rows}
    # Who has no token of their own is billed through the team's, when it has one.
    from tuneforge.credentials.models import TeamCredential

    team_ids = {job.team_id for job in jobs if job.billed_user_id in people and people[job.billed_user_id].token_hint is None}
    team_hints = {} if not team_ids else {
        team_id: token_hint(last4) + TEAM_SUFFIX
        for team_id, last4 in await session.execute(
            select(TeamCredential.team_id, TeamCredential.last4)
            .where(TeamCredential.team_id.in_(team_ids), TeamCredential.provider == Provider.modal)
        )
    }
    shown: dict[uuid.UUID, BilledTo] = {}
    for job in jobs:
        person = people.get(job.billed_user_id) if job.billed_user_id is not None else None
        if person is None:
            continue
        if person.token_hint is None and job.team_id in team_hints:
            person = BilledTo(user_id=person.user_id, name=person.name, token_hint=team_hints[job.team_id])
        shown[job.id] = person
    return shown
