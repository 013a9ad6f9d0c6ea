"""Team quotas: the limits, what the team uses against them, and the checks that refuse a launch or an
upload before anything is queued or stored.

Every check locks the team's `team_quota` row (SELECT … FOR UPDATE, the row is created on first use)
and holds it until the caller's transaction ends, so two launches against a limit of 1 cannot both
see 0 in use. A refusal is `QuotaExceeded` (409, code `quota_exceeded`) naming the limit, the use and
who can raise it, and is audited as `quota.refused` in a transaction of its own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tuneforge.audit import service as audit
from tuneforge.audit.context import current as current_audit_context
from tuneforge.auth.models import User
from tuneforge.datasets.models import Dataset, DatasetVersion
from tuneforge.errors import QuotaExceeded
from tuneforge.jobs.models import Executor, Job, JobStatus
from tuneforge.quotas.models import TeamQuota
from tuneforge.quotas.schemas import QuotaMeter, QuotasRead, QuotasUpdate, Raiser
from tuneforge.teams.models import Membership, Role

# Jobs that hold a place against max_concurrent_jobs (an interrupted job holds none until resumed).
OCCUPYING = (JobStatus.queued, JobStatus.running, JobStatus.cancelling)
LIMITS = ("max_concurrent_jobs", "gpu_hours_per_month", "modal_usd_per_month", "storage_bytes")
TITLES = {
    "max_concurrent_jobs": ("Concurrent jobs", "jobs"),
    "gpu_hours_per_month": ("GPU-hours this month", "GPU-hours"),
    "modal_usd_per_month": ("Modal spend this month", "USD"),
    "storage_bytes": ("Storage", "bytes"),
}


def human_bytes(num_bytes: float) -> str:
    for unit, factor in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if num_bytes >= factor:
            return f"{num_bytes / factor:.1f} {unit}"
    return f"{int(num_bytes)} bytes"


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Usage:
    concurrent_jobs: int
    gpu_hours: float
    modal_usd: float
    storage_bytes: int

    def of(self, name: str) -> float:
        return {"max_concurrent_jobs": self.concurrent_jobs, "gpu_hours_per_month": self.gpu_hours,
                "modal_usd_per_month": self.modal_usd, "storage_bytes": self.storage_bytes}[name]


async def concurrent_jobs(session: AsyncSession, team_id: uuid.UUID) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(Job).where(Job.team_id == team_id, Job.status.in_(OCCUPYING))
    ) or 0)


async def month_compute(session: AsyncSession, team_id: uuid.UUID, now: datetime) -> tuple[float, float]:
    """(GPU-hours, Modal USD) of the team's jobs that started this calendar month (UTC); GPU time by the
    jobs' own rule (`jobs.service.compute_seconds`), spend from the Modal bills recorded on the jobs."""
    from tuneforge.jobs import service as jobs_service  # jobs' service imports datasets', which checks quotas

    jobs = list(await session.scalars(
        select(Job).where(Job.team_id == team_id, Job.started_at.is_not(None), Job.started_at >= month_start(now))
    ))
    # The device the trainer reported is kept on the job (job.device_type): no event is read.
    gpu_seconds = sum(jobs_service.compute_seconds(job, job.device_type, now)[0] for job in jobs)
    spend = sum(job.cost_usd or 0.0 for job in jobs if job.executor == Executor.modal)
    return gpu_seconds / 3600, spend


async def storage_bytes(session: AsyncSession, team_id: uuid.UUID) -> int:
    """Bytes the team keeps in storage, from sizes recorded in the database: its dataset versions' files,
    its jobs' outputs (model versions are those outputs) and its publications' files (GGUF)."""
    datasets = await session.scalar(
        select(func.coalesce(func.sum(DatasetVersion.size_bytes), 0))
        .join(Dataset, Dataset.id == DatasetVersion.dataset_id).where(Dataset.team_id == team_id)
    )
    outputs = await session.scalar(
        select(func.coalesce(func.sum(Job.output_bytes), 0)).where(Job.team_id == team_id)
    )
    publications = await session.scalar(
        text(
            "SELECT coalesce(sum((f->>'size_bytes')::bigint), 0) FROM publication p, "
            "jsonb_array_elements(CASE WHEN jsonb_typeof(p.result->'files') = 'array' THEN p.result->'files' "
            "ELSE '[]'::jsonb END) f WHERE p.team_id = :team_id"
        ),
        {"team_id": team_id},
    )
    return int(datasets or 0) + int(outputs or 0) + int(publications or 0)


async def usage(session: AsyncSession, team_id: uuid.UUID, now: datetime | None = None) -> Usage:
    now = now or datetime.now(UTC)
    gpu_hours, spend = await month_compute(session, team_id, now)
    return Usage(
        concurrent_jobs=await concurrent_jobs(session, team_id), gpu_hours=gpu_hours, modal_usd=spend,
        storage_bytes=await storage_bytes(session, team_id),
    )


async def raisers(session: AsyncSession, team_id: uuid.UUID) -> list[Raiser]:
    rows = await session.execute(
        select(User.display_name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id, Membership.role.in_((Role.owner, Role.admin)))
        .order_by(User.email)
    )
    return [Raiser(name=name, email=email, role=role.value) for name, email, role in rows]


async def _locked(session: AsyncSession, team_id: uuid.UUID) -> TeamQuota:
    """The team's quota row, created when missing, locked until the transaction ends."""
    await session.execute(insert(TeamQuota).values(team_id=team_id, updated_at=datetime.now(UTC))
                          .on_conflict_do_nothing(index_elements=["team_id"]))
    return await session.scalar(
        select(TeamQuota).where(TeamQuota.team_id == team_id).with_for_update().execution_options(populate_existing=True)
    )


async def read(*, session: AsyncSession, membership: Membership) -> QuotasRead:
    team_id = membership.team_id
    quota = await session.get(TeamQuota, team_id)
    now = datetime.now(UTC)
    used = await usage(session, team_id, now)
    meters = []
    for name in LIMITS:
        limit = getattr(quota, name) if quota else None
        value = used.of(name)
        title, unit = TITLES[name]
        meters.append(QuotaMeter(
            name=name, title=title, unit=unit, limit=limit, used=round(value, 3) if isinstance(value, float) else value,
            percent=round(100 * value / limit, 1) if limit else (None if limit is None else (100.0 if value else 0.0)),
        ))
    updated_by = await session.get(User, quota.updated_by) if quota and quota.updated_by else None
    return QuotasRead(
        meters=meters, period_start=month_start(now), who_can_raise=await raisers(session, team_id),
        can_edit=membership.role.rank >= Role.admin.rank,
        updated_at=quota.updated_at if quota and quota.updated_by else None,
        updated_by_name=updated_by.display_name if updated_by else None,
    )


async def update(*, session: AsyncSession, membership: Membership, actor: User, data: QuotasUpdate) -> QuotasRead:
    quota = await _locked(session, membership.team_id)
    old = {name: getattr(quota, name) for name in LIMITS}
    new = data.model_dump()
    for name in LIMITS:
        setattr(quota, name, new[name])
    quota.updated_by, quota.updated_at = actor.id, datetime.now(UTC)
    await session.flush()
    changed = {name: {"old": old[name], "new": new[name]} for name in LIMITS if old[name] != new[name]}
    await audit.record(session, action="quota.changed", actor=actor, team_id=membership.team_id, target_type="team",
                       target_id=membership.team_id, detail={"changes": changed})
    return await read(session=session, membership=membership)


# -- enforcement ------------------------------------------------------------------------------------


def _people(raisers_: list[Raiser]) -> str:
    return ", ".join(r.email for r in raisers_) or "none: the team has no admin or owner"


async def _refuse(
    session: AsyncSession, *, team_id: uuid.UUID, actor: User | None, limit_name: str, limit: float, used: float,
    sentence: str, remedy: str, attempted: str, extra: dict | None = None,
) -> QuotaExceeded:
    """The refusal to raise, audited: what the limit is, what is used, what to do, who can raise it."""
    people = await raisers(session, team_id)
    message = f"{sentence} {remedy}, or ask an admin or owner ({_people(people)}) to raise the limit on the Team page."
    # In a request the audit middleware writes it after the rollback; elsewhere (worker, tests) a session of its own.
    own = None if current_audit_context() is not None else async_sessionmaker(session.bind, expire_on_commit=False)
    await audit.record_detached(
        action="quota.refused", actor=actor, team_id=team_id, target_type="team", target_id=team_id, outcome="refused",
        detail={"limit": limit_name, "limit_value": limit, "used": used, "attempted": attempted, **(extra or {})},
        sessionmaker=own,
    )
    return QuotaExceeded(message)


async def check_launch(
    *, session: AsyncSession, team_id: uuid.UUID, actor: User | None, executor: Executor,
    estimate_usd: float | None = None, attempted: str = "job.launch",
) -> None:
    """Refuses (QuotaExceeded) a launch, retry or resume that would queue a job past the team's limits.
    Takes the quota row's lock: call it right before queueing, in the transaction that queues."""
    quota = await _locked(session, team_id)
    now = datetime.now(UTC)
    if quota.max_concurrent_jobs is not None:
        running = await concurrent_jobs(session, team_id)
        if running + 1 > quota.max_concurrent_jobs:
            raise await _refuse(
                session, team_id=team_id, actor=actor, limit_name="max_concurrent_jobs", limit=quota.max_concurrent_jobs,
                used=running, attempted=attempted,
                sentence=f"This team runs {running} of its {quota.max_concurrent_jobs} concurrent jobs.",
                remedy="Wait for one to finish",
            )
    if quota.gpu_hours_per_month is None and (quota.modal_usd_per_month is None or executor != Executor.modal):
        return
    gpu_hours, spend = await month_compute(session, team_id, now)
    if quota.gpu_hours_per_month is not None and gpu_hours >= quota.gpu_hours_per_month:
        raise await _refuse(
            session, team_id=team_id, actor=actor, limit_name="gpu_hours_per_month", limit=quota.gpu_hours_per_month,
            used=round(gpu_hours, 3), attempted=attempted,
            sentence=f"This team has used {gpu_hours:,.1f} of its {quota.gpu_hours_per_month:,.1f} GPU-hours this month "
                     "(the count starts again on the 1st, UTC).",
            remedy="Wait for the new month",
        )
    if executor == Executor.modal and quota.modal_usd_per_month is not None and spend >= quota.modal_usd_per_month:
        adds = f" This job's estimate would add about ${estimate_usd:,.2f}." if estimate_usd else ""
        raise await _refuse(
            session, team_id=team_id, actor=actor, limit_name="modal_usd_per_month", limit=quota.modal_usd_per_month,
            used=round(spend, 2), attempted=attempted, extra={"estimate_usd": estimate_usd},
            sentence=f"This team has spent ${spend:,.2f} of its ${quota.modal_usd_per_month:,.2f} Modal budget this "
                     f"month.{adds}",
            remedy="Run it locally, wait for the 1st (UTC)",
        )


async def _storage_refusal(
    session: AsyncSession, *, team_id: uuid.UUID, actor: User | None, limit: int, used: int, adding: int, attempted: str
) -> QuotaExceeded:
    return await _refuse(
        session, team_id=team_id, actor=actor, limit_name="storage_bytes", limit=limit, used=used, attempted=attempted,
        extra={"adding_bytes": adding},
        sentence=f"This team stores {human_bytes(used)} of its {human_bytes(limit)} storage limit, and this would add "
                 f"{human_bytes(adding)}; nothing was stored.",
        remedy="Delete dataset versions, jobs or publications you no longer need",
    )


async def check_storage(
    *, session: AsyncSession, team_id: uuid.UUID, actor: User | None, adding: int, attempted: str
) -> None:
    """Refuses storing `adding` more bytes past the team's storage limit. Takes the quota row's lock: call
    it in the transaction that records what was stored (the caller deletes the files when refused)."""
    quota = await _locked(session, team_id)
    if quota.storage_bytes is None:
        return
    used = await storage_bytes(session, team_id)
    if used + adding > quota.storage_bytes:
        raise await _storage_refusal(session, team_id=team_id, actor=actor, limit=quota.storage_bytes, used=used,
                                     adding=adding, attempted=attempted)


async def precheck_storage(
    *, session: AsyncSession, team_id: uuid.UUID, actor: User | None, declared: int | None, attempted: str
) -> None:
    """Before a body is read: refuses when the team is already at its limit, or when the declared size
    (Content-Length) alone would pass it. No lock: `check_storage` decides for good once the size is known."""
    quota = await session.get(TeamQuota, team_id)
    if quota is None or quota.storage_bytes is None:
        return
    used = await storage_bytes(session, team_id)
    adding = declared or 0
    if used >= quota.storage_bytes or used + adding > quota.storage_bytes:
        raise await _storage_refusal(session, team_id=team_id, actor=actor, limit=quota.storage_bytes, used=used,
                                     adding=adding, attempted=attempted)
