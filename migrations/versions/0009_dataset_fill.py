"""A dataset version can be made by filling template placeholders: operation 'fill'.

"Fill placeholders" (POST …/versions/{id}/fill-placeholders) derives a version whose `{{name}}`-style
placeholders hold the user's values. The `operation` check constraint of dataset_version gains
'fill'. (Archiving datasets needs nothing new: `dataset.archived` exists since 0002.)

Downgrade: versions made by filling are recorded as 'drop_invalid' (the other operation that derives
a version from canonical rows), so the old constraint holds again; their rows are kept.

Revision ID: 0009_dataset_fill
Revises: 0008_job_billing
"""

from __future__ import annotations

from alembic import op

revision = "0009_dataset_fill"
down_revision = "0008_job_billing"
branch_labels = None
depends_on = None

_OLD = "operation IN ('upload', 'drop_invalid', 'mapping', 'split')"
_NEW = "operation IN ('upload', 'drop_invalid', 'mapping', 'split', 'fill')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_dataset_version_operation"), "dataset_version", type_="check")
    op.create_check_constraint(op.f("ck_dataset_version_operation"), "dataset_version", _NEW)


def downgrade() -> None:
    op.execute("UPDATE dataset_version SET operation = 'drop_invalid' WHERE operation = 'fill'")
    op.drop_constraint(op.f("ck_dataset_version_operation"), "dataset_version", type_="check")
    op.create_check_constraint(op.f("ck_dataset_version_operation"), "dataset_version", _OLD)
