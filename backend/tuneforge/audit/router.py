"""The audit log: a team's (admins), one's own account events, and the team's CSV export. Read-only: there
is no route that changes or removes an event (retention pruning is the workers' job)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from tuneforge.audit import repository
from tuneforge.audit.export import stream_csv
from tuneforge.audit.models import Outcome
from tuneforge.audit.schemas import AuditEventRead, AuditPage
from tuneforge.teams import repository as teams_repository
from tuneforge.teams.models import Membership, Role
from tuneforge.web.deps import CurrentUser, SessionDep, TeamMember
from tuneforge.web.security_headers import no_store

# Events carry addresses and emails: never cached.
router = APIRouter(tags=["audit"], dependencies=[Depends(no_store)])


def _filters(
    action: Annotated[str | None, Query(max_length=64, description="action prefix, e.g. `job.` or `auth.sign_in`")] = None,
    actor: Annotated[str | None, Query(max_length=320, description="the actor's user id or email")] = None,
    outcome: Outcome | None = None,
    target_type: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(alias="from", description="events at or after this time")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="events before this time")] = None,
) -> repository.Filters:
    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    return repository.Filters(action=action, actor=actor, outcome=outcome.value if outcome else None,
                              target_type=target_type, since=aware(since), until=aware(until))


FiltersDep = Annotated[repository.Filters, Depends(_filters)]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=200)]


async def _page(session, scope, filters: repository.Filters, cursor: str | None, limit: int) -> AuditPage:
    rows, next_cursor = await repository.page(session=session, scope=scope, filters=filters, cursor=cursor, limit=limit)
    return AuditPage(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/teams/{team_id}/audit")
async def team_audit(
    team_id: uuid.UUID, session: SessionDep, filters: FiltersDep, cursor: Cursor = None, limit: Limit = 50,
    _: Membership = TeamMember(Role.admin),
) -> AuditPage:
    """The team's events, newest first, plus the account events (sign-ins, API tokens, own credentials) of
    its current members. Admins and owners only."""
    return await _page(session, repository.team_scope(team_id), filters, cursor, limit)


@router.get(
    "/teams/{team_id}/audit.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "every matching event, newest first"}},
)
async def team_audit_csv(
    team_id: uuid.UUID, request: Request, session: SessionDep, filters: FiltersDep,
    _: Membership = TeamMember(Role.admin),
) -> StreamingResponse:
    """The same events as the list, with the same filters, as CSV (all pages)."""
    team = await teams_repository.get_team(session=session, team_id=team_id)
    name = f"audit-{team.slug if team else team_id}-{datetime.now(UTC):%Y%m%d-%H%M}.csv"
    return StreamingResponse(
        stream_csv(sessionmaker=request.app.state.sessionmaker, scope=repository.team_scope(team_id), filters=filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/audit/me")
async def my_audit(
    session: SessionDep, user: CurrentUser, filters: FiltersDep, cursor: Cursor = None, limit: Limit = 50,
) -> AuditPage:
    """The caller's own account events, newest first: sign-ins (failed ones tried against the account too),
    sign-outs, password and email changes, API tokens, saved credentials."""
    return await _page(session, repository.own_scope(user.id), filters, cursor, limit)
