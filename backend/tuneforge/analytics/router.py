"""The team analytics dashboard: its numbers as JSON, and the same tables as CSV."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from tuneforge.analytics import service
from tuneforge.analytics.schemas import TeamAnalytics
from tuneforge.teams.models import Membership, Role
from tuneforge.web.deps import SessionDep, TeamMember

router = APIRouter(tags=["analytics"])

FROM = Query(default=None, alias="from", description="first day (UTC), included; default: 29 days before `to`")
TO = Query(default=None, alias="to", description="last day (UTC), included; default: today")


@router.get("/teams/{team_id}/analytics", response_model_by_alias=True)
async def analytics(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer),
    start: date | None = FROM, end: date | None = TO,
) -> TeamAnalytics:
    """The team's jobs created in the period, aggregated (at most 366 days)."""
    start, end = service.period(start, end)
    return await service.team_analytics(session=session, team_id=team_id, start=start, end=end)


@router.get("/teams/{team_id}/analytics.csv", response_class=PlainTextResponse)
async def analytics_csv(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer),
    start: date | None = FROM, end: date | None = TO,
    table: str | None = Query(default=None, description=f"one of {', '.join(service.CSV_TABLES)}; default: all, one after the other"),
) -> PlainTextResponse:
    """The dashboard's tables as CSV: the same numbers as the JSON, for a spreadsheet."""
    start, end = service.period(start, end)
    service.check_table(table)
    data = await service.team_analytics(session=session, team_id=team_id, start=start, end=end)
    name = f"analytics-{start}-{end}" + (f"-{table}" if table else "")
    return PlainTextResponse(
        service.to_csv(data, table), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
