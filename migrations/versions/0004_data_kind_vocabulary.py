"""One data-kind vocabulary: datasets store the training library's names.

A dataset version of chat rows was kind "messages", of KTO rows "kto"; they are now "chat" and
"unpaired_preference" (tuneforge.training.data_kinds), like every other kind, which keeps its name.
The kind appears in the `kind` column and inside JSON: `mapping.kind`, `stats.kind`,
`detection.mapping.kind` and `detection.candidates[].kind`. Row keys ("messages", "label") and
format names ("openai", "kto") are not kinds and stay as they are.

Revision ID: 0004_data_kind_vocabulary
Revises: 0003_jobs
"""

from __future__ import annotations

from alembic import op

revision = "0004_data_kind_vocabulary"
down_revision = "0003_jobs"
branch_labels = None
depends_on = None

RENAMED = {"messages": "chat", "kto": "unpaired_preference"}


def _rename(renames: dict[str, str]) -> None:
    old = ", ".join(f"'{name}'" for name in renames)
    cases = " ".join(f"WHEN '{a}' THEN '{b}'" for a, b in renames.items())

    def new(expr: str) -> str:
        return f"to_jsonb((CASE {expr} {cases} END)::text)"

    op.execute(f"UPDATE dataset_version SET kind = CASE kind {cases} END WHERE kind IN ({old})")
    for column in ("mapping", "stats"):
        op.execute(
            f"UPDATE dataset_version SET {column} = jsonb_set({column}, '{{kind}}', {new(f'{column} ->> ' + repr('kind'))}) "
            f"WHERE jsonb_typeof({column}) = 'object' AND {column} ->> 'kind' IN ({old})"
        )
    op.execute(
        "UPDATE dataset_version SET detection = jsonb_set(detection, '{mapping,kind}', "
        f"{new('detection #>> ' + repr('{mapping,kind}'))}) "
        f"WHERE jsonb_typeof(detection -> 'mapping') = 'object' AND detection #>> '{{mapping,kind}}' IN ({old})"
    )
    op.execute(
        "UPDATE dataset_version SET detection = jsonb_set(detection, '{candidates}', ("
        "  SELECT jsonb_agg(CASE WHEN jsonb_typeof(c) = 'object' AND c ->> 'kind' IN "
        f"    ({old}) THEN jsonb_set(c, '{{kind}}', {new('c ->> ' + repr('kind'))}) ELSE c END ORDER BY position)"
        "  FROM jsonb_array_elements(detection -> 'candidates') WITH ORDINALITY AS t(c, position))) "
        "WHERE jsonb_typeof(detection -> 'candidates') = 'array' AND EXISTS ("
        "  SELECT 1 FROM jsonb_array_elements(detection -> 'candidates') AS t(c) "
        f"  WHERE jsonb_typeof(c) = 'object' AND c ->> 'kind' IN ({old}))"
    )


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
