"""The team analytics dashboard: the period, the numbers shaped from the aggregates that
`repository` has PostgreSQL compute, and the same tables as CSV.

Every number is about jobs *created* in the period [start, end] (UTC days, both included), of one
team. Compute hours follow `jobs.service.compute_seconds` (docs/api/jobs.md, "Compute hours"),
written again in SQL (analytics/repository.py); tests/analytics holds both to the same cases.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.analytics import repository
from tuneforge.analytics.schemas import FAILURE_CAUSES, TeamAnalytics
from tuneforge.errors import BadRequest

DEFAULT_DAYS = 30
MAX_DAYS = 366


def period(start: date | None, end: date | None, *, today: date | None = None) -> tuple[date, date]:
    """The period asked for, checked: by default the last 30 days up to today (UTC)."""
    today = today or datetime.now(UTC).date()
    end = end or max(today, start or today)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadRequest(f"The period starts ({start}) after it ends ({end}): swap 'from' and 'to'.")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequest(
            f"The period {start} to {end} is {(end - start).days + 1} days long; analytics cover at most "
            f"{MAX_DAYS} days at a time. Pick a shorter range."
        )
    return start, end


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 3)


async def team_analytics(
    *, session: AsyncSession, team_id: uuid.UUID, start: date, end: date, now: datetime | None = None
) -> TeamAnalytics:
    now = now or datetime.now(UTC)
    data = await repository.aggregate(
        session=session, team_id=team_id, start=datetime.combine(start, time.min, tzinfo=UTC),
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC), now=now,
    )
    budget = await repository.modal_budget(session=session, team_id=team_id)

    days: dict[str, dict[str, int]] = {}
    for row in data["per_day"]:
        days.setdefault(row["day"], {})[row["status"]] = row["n"]
    per_day = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        counts = days.get(day.isoformat(), {})
        per_day.append({"day": day, "total": sum(counts.values()), "by_status": counts})

    # Every month the period touches, so the budget line has a point where nothing was spent too.
    spent = {row["month"]: row["cost_usd"] for row in data["modal_by_month"]}
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append({"month": month, "cost_usd": round(spent.get(month.isoformat(), 0.0), 2), "budget_usd": budget})
        month = (month + timedelta(days=32)).replace(day=1)

    causes = {row["cause"]: row for row in data["causes"]}
    totals = data["totals"]
    return TeamAnalytics.model_validate({
        "from": start,
        "to": end,
        "inventory": data["inventory"],
        "total_jobs": totals["jobs"],
        "by_status": data["by_status"],
        "per_day": per_day,
        "gpu_hours": _hours(totals["gpu_s"]),
        "cpu_hours": _hours(totals["cpu_s"]),
        "cost_usd": round(totals["cost_usd"], 2),
        "compute_by_method": [
            {"method": m["method"], "jobs": m["jobs"], "gpu_hours": _hours(m["gpu_s"]), "cpu_hours": _hours(m["cpu_s"])}
            for m in data["by_method"]
        ],
        "compute_by_member": [
            {"user_id": m["user_id"], "name": m["name"], "jobs": m["jobs"], "gpu_hours": _hours(m["gpu_s"]),
             "cpu_hours": _hours(m["cpu_s"])}
            for m in data["by_member"]
        ],
        "modal_cost_by_month": months,
        "modal_budget_usd": budget,
        "success_rate": round(totals["succeeded"] / totals["ended"], 4) if totals["ended"] else None,
        "failure_causes": [
            {"cause": cause, "jobs": causes[cause]["jobs"], "examples": causes[cause]["examples"]}
            for cause in FAILURE_CAUSES if cause in causes
        ],
        "median_queue_wait_s": _round(totals["median_wait_s"], 1),
        "median_run_time_s": _round(totals["median_run_s"], 1),
        "loss_by_method": [
            {"method": m["method"], "jobs": m["losses"], "median_final_loss": _round(m["median_final_loss"], 4),
             "mean_final_loss": _round(m["mean_final_loss"], 4), "median_eval_loss": _round(m["median_eval_loss"], 4)}
            for m in data["by_method"] if m["losses"]
        ],
        "recent_jobs": data["recent"],
    })


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


# -- CSV -----------------------------------------------------------------------------------------

CSV_TABLES = (
    "summary", "jobs_per_day", "compute_by_method", "compute_by_member", "modal_cost_by_month",
    "failure_causes", "loss_by_method", "recent_jobs",
)


def check_table(table: str | None) -> None:
    """Before any query runs: a table name the CSV does not have is the caller's mistake."""
    if table is not None and table not in CSV_TABLES:
        raise BadRequest(f"There is no analytics table '{table}'. Pick one of: {', '.join(CSV_TABLES)}.")


def csv_rows(analytics: TeamAnalytics, table: str) -> list[list[Any]]:
    """One table of the dashboard as CSV rows (a header, then the same numbers the charts show)."""
    a = analytics
    if table == "summary":
        rows: list[list[Any]] = [["metric", "value"], ["from", a.start.isoformat()], ["to", a.end.isoformat()]]
        for name, counts in a.inventory.model_dump().items():
            rows += [[f"{name}_total", counts["total"]], [f"{name}_created", counts["created"]]]
        rows += [["jobs", a.total_jobs]]
        rows += [[f"jobs_{status}", n] for status, n in sorted(a.by_status.items())]
        rows += [["gpu_hours", a.gpu_hours], ["cpu_hours", a.cpu_hours], ["cost_usd", a.cost_usd],
                 ["modal_budget_usd", _blank(a.modal_budget_usd)], ["success_rate", _blank(a.success_rate)],
                 ["median_queue_wait_s", _blank(a.median_queue_wait_s)], ["median_run_time_s", _blank(a.median_run_time_s)]]
        return rows
    if table == "jobs_per_day":
        statuses = sorted({status for day in a.per_day for status in day.by_status} | set(a.by_status))
        return [["day", "total", *statuses]] + [
            [day.day.isoformat(), day.total, *(day.by_status.get(s, 0) for s in statuses)] for day in a.per_day
        ]
    if table == "compute_by_method":
        return [["method", "jobs", "gpu_hours", "cpu_hours"]] + [
            [r.method, r.jobs, r.gpu_hours, r.cpu_hours] for r in a.compute_by_method
        ]
    if table == "compute_by_member":
        return [["member", "user_id", "jobs", "gpu_hours", "cpu_hours"]] + [
            [r.name, _blank(r.user_id), r.jobs, r.gpu_hours, r.cpu_hours] for r in a.compute_by_member
        ]
    if table == "modal_cost_by_month":
        return [["month", "cost_usd", "budget_usd"]] + [
            [r.month.isoformat()[:7], r.cost_usd, _blank(r.budget_usd)] for r in a.modal_cost_by_month
        ]
    if table == "failure_causes":
        return [["cause", "jobs", "recent_job_ids"]] + [
            [r.cause, r.jobs, " ".join(str(job.id) for job in r.examples)] for r in a.failure_causes
        ]
    if table == "loss_by_method":
        return [["method", "jobs", "median_final_loss", "mean_final_loss", "median_eval_loss"]] + [
            [r.method, r.jobs, _blank(r.median_final_loss), _blank(r.mean_final_loss), _blank(r.median_eval_loss)]
            for r in a.loss_by_method
        ]
    if table == "recent_jobs":
        return [["id", "name", "status", "method", "created_at", "started_at", "finished_at"]] + [
            [r.id, r.name, r.status, r.method, r.created_at.isoformat(), _blank(r.started_at and r.started_at.isoformat()),
             _blank(r.finished_at and r.finished_at.isoformat())]
            for r in a.recent_jobs
        ]
    check_table(table)
    raise AssertionError(table)


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _cell(value: Any) -> Any:
    """Names are typed by users: one that starts like a formula is quoted so a spreadsheet shows it as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(analytics: TeamAnalytics, table: str | None = None) -> str:
    """One table, or all of them one after the other, each under a `# name` line and a blank line apart."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if table is not None:
        writer.writerows([_cell(v) for v in row] for row in csv_rows(analytics, table))
        return out.getvalue()
    for i, name in enumerate(CSV_TABLES):
        if i:
            out.write("\n")
        out.write(f"# {name}\n")
        writer.writerows([_cell(v) for v in row] for row in csv_rows(analytics, name))
    return out.getvalue()
