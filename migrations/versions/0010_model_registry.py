"""The model registry: `registered_model`, `model_version`, `model_tag`, and `job.register_as`.

A model is a named lineage in a team; every succeeded job adds a version to it (tuneforge.registry),
numbered 1, 2, ... per model, with its lineage recorded once when the job succeeds.

Existing succeeded jobs get their versions here, each in a model named after the job (jobs of the same
name in a team become versions of one model, oldest first). What the database still knows is recorded
(job, who launched it, dataset versions, resolved spec, worker, duration, GPU-hours, cost, final
metrics); what only the files or the run knew is recorded as unknown and listed in `lineage.unknown`:
the base model's and the train files' sha256, the library versions, the device, the evaluation report
and the list of output files (the version page still shows whether the output folder exists).

Downgrade drops the tables and the column (the versions and tags are lost; the jobs are kept).

Revision ID: 0010_model_registry
Revises: 0009_dataset_fill
"""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010_model_registry"
down_revision = "0009_dataset_fill"
branch_labels = None
depends_on = None

# As of this revision (frozen here: a migration does not follow later catalogue changes).
_BUNDLED = ("tiny-llama", "SmolLM2-135M-Instruct")
_UNKNOWN = [
    "base_model.files_sha256", "datasets.file_sha256", "libraries", "hardware.device_type", "hardware.device_name",
    "evaluation", "files",
]


def upgrade() -> None:
    op.add_column("job", sa.Column("register_as", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_table(
        "registered_model",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"], name=op.f("fk_registered_model_created_by_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_registered_model_team_id_team"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registered_model")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_registered_model_team_id")),
    )
    op.create_index(op.f("ix_registered_model_team_id"), "registered_model", ["team_id"], unique=False)
    op.create_table(
        "model_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("output_key", sa.Text(), nullable=False),
        sa.Column("lineage", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_model_version_job_id_job"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["model_id"], ["registered_model.id"], name=op.f("fk_model_version_model_id_registered_model"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_model_version_team_id_team"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_version")),
        sa.UniqueConstraint("job_id", name=op.f("uq_model_version_job_id")),
        sa.UniqueConstraint("model_id", "number", name=op.f("uq_model_version_model_id")),
    )
    op.create_index(op.f("ix_model_version_model_id"), "model_version", ["model_id"], unique=False)
    op.create_index("ix_model_version_team_id_created_at", "model_version", ["team_id", "created_at"], unique=False)
    op.create_table(
        "model_tag",
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["registered_model.id"], name=op.f("fk_model_tag_model_id_registered_model"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["model_version.id"], name=op.f("fk_model_tag_version_id_model_version"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_id", "name", name=op.f("pk_model_tag")),
    )
    op.create_index(op.f("ix_model_tag_version_id"), "model_tag", ["version_id"], unique=False)
    _backfill()


def _kind(reference: str) -> str:
    if reference in _BUNDLED:
        return "bundled"
    if reference.startswith("storage:"):
        return "job_output"
    if reference.startswith("/"):
        return "folder"
    return "hub"


def _backfill() -> None:
    bind = op.get_bind()
    jobs = bind.execute(sa.text(
        "SELECT j.id, j.team_id, j.name, j.created_by, u.display_name, j.base_model, j.config, j.resolved_spec, j.executor,"
        " j.worker_name, j.gpu_type, j.started_at, j.finished_at, j.gpu_seconds, j.cost_usd, j.result, j.created_at"
        " FROM job j LEFT JOIN user_account u ON u.id = j.created_by WHERE j.status = 'succeeded'"
        " ORDER BY j.finished_at NULLS FIRST, j.created_at"
    )).mappings().all()
    models: dict[tuple, list] = {}  # (team, name) -> [model id, last number]
    for job in jobs:
        name = (job["name"] or f"job {job['id']}")[:200]
        key = (job["team_id"], name)
        if key not in models:
            models[key] = [uuid.uuid4(), 0]
            bind.execute(sa.text(
                "INSERT INTO registered_model (id, team_id, name, description, created_by, last_number, updated_at, created_at)"
                " VALUES (:id, :team, :name, '', :by, 0, now(), :at)"
            ), {"id": models[key][0], "team": job["team_id"], "name": name, "by": job["created_by"], "at": job["created_at"]})
        models[key][1] += 1
        bind.execute(sa.text(
            "INSERT INTO model_version (id, model_id, team_id, number, job_id, output_key, lineage, notes, archived, updated_at, created_at)"
            " VALUES (:id, :model, :team, :number, :job, :key, CAST(:lineage AS jsonb), '', false, now(), COALESCE(:at, now()))"
        ), {"id": uuid.uuid4(), "model": models[key][0], "team": job["team_id"], "number": models[key][1], "job": job["id"],
            "key": f"jobs/{job['id']}/output", "lineage": json.dumps(_lineage(bind, job)), "at": job["finished_at"]})
        bind.execute(sa.text("UPDATE registered_model SET last_number = :n WHERE id = :id"), {"n": models[key][1], "id": models[key][0]})


def _lineage(bind, job) -> dict:
    config = job["config"] or {}
    parts = [(config.get("dataset_version_id"), config.get("weight", 1.0))] + [
        (p.get("dataset_version_id"), p.get("weight", 1.0)) for p in config.get("mixture") or []
    ]
    datasets = []
    for version_id, weight in parts:
        if not version_id:
            continue
        row = bind.execute(sa.text(
            "SELECT v.dataset_id, d.name, v.number, v.files FROM dataset_version v JOIN dataset d ON d.id = v.dataset_id WHERE v.id = :id"
        ), {"id": version_id}).mappings().first()
        files = (row["files"] or {}) if row else {}
        train = files.get("train") or files.get("rows")
        datasets.append({
            "dataset_id": str(row["dataset_id"]) if row else None, "dataset_name": row["name"] if row else None,
            "version_id": str(version_id), "version_number": row["number"] if row else None, "weight": weight,
            "file": f"storage:{train}" if train else None, "file_sha256": None,
        })
    started, finished = job["started_at"], job["finished_at"]
    duration = (finished - started).total_seconds() if started and finished else None
    result = job["result"] or {}
    return {
        "recorded": "backfilled",
        "unknown": _UNKNOWN,
        "job_id": str(job["id"]),
        "job_name": job["name"],
        "launched_by": {"user_id": str(job["created_by"]) if job["created_by"] else None, "name": job["display_name"]},
        "base_model": {"reference": job["base_model"], "kind": _kind(job["base_model"]), "files_sha256": None,
                       "note": "recorded by migration 0010_model_registry: the files were not hashed"},
        "datasets": datasets,
        "spec": job["resolved_spec"],
        "libraries": {},
        "hardware": {"executor": job["executor"], "worker": job["worker_name"], "gpu_type": job["gpu_type"]},
        "started_at": started.isoformat() if started else None,
        "finished_at": finished.isoformat() if finished else None,
        "duration_s": round(duration, 1) if duration is not None else None,
        "gpu_hours": round(job["gpu_seconds"] / 3600, 6) if job["gpu_seconds"] is not None else None,
        "cost_usd": job["cost_usd"],
        "metrics": result.get("metrics") or {},
        "evaluation": None,
        "files": [],
    }


def downgrade() -> None:
    op.drop_index(op.f("ix_model_tag_version_id"), table_name="model_tag")
    op.drop_table("model_tag")
    op.drop_index("ix_model_version_team_id_created_at", table_name="model_version")
    op.drop_index(op.f("ix_model_version_model_id"), table_name="model_version")
    op.drop_table("model_version")
    op.drop_index(op.f("ix_registered_model_team_id"), table_name="registered_model")
    op.drop_table("registered_model")
    op.drop_column("job", "register_as")
