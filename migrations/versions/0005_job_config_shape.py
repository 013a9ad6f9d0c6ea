"""Stored job configurations take the shape of `JobConfig` (tuneforge.jobs.schemas).

`job.config` used to hold the launch body plus storage keys of the dataset files the job trains on:
`data.files` ({train, validation}) and `data.mixture` ([{key, weight, dataset_version_id}]). It now
holds exactly `JobConfig.model_dump(mode="json")`: no file keys (the worker looks the files up from
the dataset version ids when it resolves the spec), the mixture at the top level as
[{dataset_version_id, weight}], and the user's `name` (null: the job row keeps the generated one).

Settings an old row left out (it stored only what the user set, e.g. `lora: {}`) are not filled in
here: `JobConfig` fills them with the same defaults the old code used when the row is read, and
copying today's defaults into a migration would freeze them in the wrong place.

Revision ID: 0005_job_config_shape
Revises: 0004_data_kind_vocabulary
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_job_config_shape"
down_revision = "0004_data_kind_vocabulary"
branch_labels = None
depends_on = None

_job = sa.table("job", sa.column("id", sa.Uuid()), sa.column("config", postgresql.JSONB()))
_version = sa.table("dataset_version", sa.column("id", sa.Uuid()), sa.column("files", postgresql.JSONB()))


def new_shape(config: Any) -> Any:
    """An old-shape stored config in the JobConfig shape (new-shape configs come back unchanged)."""
    if not isinstance(config, dict):
        return config
    config = dict(config)
    data = dict(config.get("data") or {})
    old_mixture = data.pop("mixture", None) or []
    data.pop("files", None)
    config["data"] = data
    if "mixture" not in config:
        config["mixture"] = [
            {"dataset_version_id": str(part["dataset_version_id"]), "weight": part.get("weight", 1.0)}
            for part in old_mixture
            if isinstance(part, dict) and part.get("dataset_version_id")
        ]
    config.setdefault("name", None)
    return config


def _train_files(files: Any) -> dict[str, Any]:
    files = files if isinstance(files, dict) else {}
    return {"train": files.get("train") or files.get("rows"), "validation": files.get("validation")}


def old_shape(config: Any, version_files: dict[str, Any]) -> Any:
    """A JobConfig-shaped stored config back in the old shape, with the file keys looked up again."""
    if not isinstance(config, dict) or "files" in (config.get("data") or {}):
        return config
    config = dict(config)
    mixture = config.pop("mixture", None) or []
    config.pop("name", None)
    data = dict(config.get("data") or {})
    data["files"] = _train_files(version_files.get(str(config.get("dataset_version_id"))))
    data["mixture"] = [
        {
            "key": _train_files(version_files.get(str(part["dataset_version_id"])))["train"],
            "weight": part.get("weight", 1.0),
            "dataset_version_id": str(part["dataset_version_id"]),
        }
        for part in mixture
        if isinstance(part, dict) and part.get("dataset_version_id")
    ]
    config["data"] = data
    return config


def _rewrite(change) -> None:
    bind = op.get_bind()
    for job_id, config in bind.execute(sa.select(_job.c.id, _job.c.config)).all():
        changed = change(config)
        if changed != config:
            bind.execute(_job.update().where(_job.c.id == job_id).values(config=changed))


def upgrade() -> None:
    _rewrite(new_shape)


def downgrade() -> None:
    # The old shape kept the storage keys of the dataset files; they are read back from the versions.
    files = {str(vid): vfiles for vid, vfiles in op.get_bind().execute(sa.select(_version.c.id, _version.c.files)).all()}
    _rewrite(lambda config: old_shape(config, files))
