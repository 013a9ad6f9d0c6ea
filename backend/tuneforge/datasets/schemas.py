"""Request and response bodies of /api/teams/{team_id}/datasets (see docs/api/datasets.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tuneforge.training.catalogue import DEFAULT_BASE_MODEL, BundledModelName
from tuneforge.training.data_kinds import DataKind



class IngestOptionsIn(BaseModel):
    """How to read an upload. Sent as the JSON form field `options` with the files."""

    model_config = ConfigDict(extra="forbid")

    base_model: BundledModelName = Field(
        DEFAULT_BASE_MODEL, description="whose tokenizer counts tokens (and renders the preview)")
    max_length: int = Field(2048, ge=16, le=131072, description="rows longer than this many tokens are reported")
    exact_token_rows: int | None = Field(
        20_000, ge=100, le=100_000_000,
        description="rows tokenised exactly; later rows get estimated lengths (rows that could be over max_length "
                    "are always tokenised, so that count stays exact). null: tokenise every row")
    allow_transcode: bool = Field(True, description="convert non-UTF-8 text (with a notice) instead of refusing it")
    chunk_chars: int = Field(6000, ge=0, le=1_000_000, description="documents are cut into rows of at most this many characters; 0 = whole documents")
    participants: dict[str, list[str | dict[str, str]]] | None = Field(
        None, description='markdown transcripts: {"user": ["User:", {"regex": "^Q\\\\d*:"}], "assistant": [...], "system": [...]}')
    conversation_separator: str | dict[str, str] | None = Field(
        None, description="a line matching this ends one conversation and starts the next (transcripts)")
    row_limit: int | None = Field(
        None, ge=1, le=100_000_000, description="keep only the first this many rows of the files (e.g. a Hub import)")


class MappingIn(BaseModel):
    """Which source columns fill which canonical slots, e.g. {"format": "prompt_completion", "columns":
    {"prompt": "question_text", "completion": "answer_text"}}. Give `format` or `kind`."""

    model_config = ConfigDict(extra="forbid")

    format: str | None = Field(None, max_length=40)
    kind: DataKind | None = Field(None, description="use this kind's default format (any kind but 'prompt')")
    columns: dict[str, str] = Field(default_factory=dict)


class FormatRead(BaseModel):
    """A column-based format: which columns ("slots") it reads, and the column names it recognises."""

    name: str
    kind: DataKind
    title: str
    required: dict[str, list[str]]
    optional: dict[str, list[str]]


class DatasetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    archived: bool | None = None

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else value


class DropInvalidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drop_duplicates: bool = False
    drop_over_length: bool = False
    notes: str = Field("", max_length=5000)


class MappingChangeIn(BaseModel):
    """Re-read the uploaded files with another column mapping and/or other reading options (e.g.
    participant patterns for markdown transcripts). Omitted `mapping` = detect again."""

    model_config = ConfigDict(extra="forbid")

    mapping: MappingIn | None = None
    options: IngestOptionsIn | None = None
    notes: str = Field("", max_length=5000)

    @model_validator(mode="after")
    def _something_changes(self) -> MappingChangeIn:
        if self.mapping is None and self.options is None:
            raise ValueError("give a mapping, options, or both")
        return self


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    train: float = Field(0.8, gt=0, le=1)
    validation: float = Field(0.1, ge=0, lt=1)
    test: float = Field(0.1, ge=0, lt=1)
    seed: int = Field(42, ge=0, le=2**31 - 1)
    notes: str = Field("", max_length=5000)


class FillPlaceholdersIn(BaseModel):
    """Values for the template placeholders left in the rows ("{{name}}" -> "Ada"), as a new version.
    Keys are the placeholder names, with or without the braces; placeholders not named stay as they are."""

    model_config = ConfigDict(extra="forbid")

    values: dict[str, str] = Field(min_length=1, max_length=50,
                                   description='e.g. {"name": "Ada", "author": "Acme"}; at most 10,000 characters each')
    notes: str = Field("", max_length=5000)

    @field_validator("values")
    @classmethod
    def _names(cls, values: dict[str, str]) -> dict[str, str]:
        cleaned: dict[str, str] = {}
        for key, value in values.items():
            name = key.strip().removeprefix("{{").removesuffix("}}").strip()
            if not name or len(name) > 64 or not (name[0].isalpha() or name[0] == "_") or not all(
                    c.isalnum() or c in "_.-" for c in name):
                raise ValueError(f"{key!r} is not a placeholder name (letters, digits, _ . -, like name or author)")
            if len(value) > 10_000:
                raise ValueError(f"the value for {{{{{name}}}}} is longer than 10,000 characters")
            cleaned[name] = value
        return cleaned


class SourceFileRead(BaseModel):
    name: str
    size: int
    sha256: str


class VersionRead(BaseModel):
    id: uuid.UUID
    dataset_id: uuid.UUID
    number: int
    sha256: str
    parent_id: uuid.UUID | None
    operation: str
    notes: str
    author_id: uuid.UUID | None
    created_at: datetime
    kind: DataKind | None = Field(description="the training library's data kind of the rows; null: not recognised")
    mapping: dict[str, Any] | None
    detection: dict[str, Any]
    stats: dict[str, Any]
    issues_summary: dict[str, Any]
    split: dict[str, Any] | None
    splits: list[str] = Field(description='"rows" for an unsplit version, else train/validation/test')
    sources: list[SourceFileRead]
    options: dict[str, Any]
    rows: int
    size_bytes: int
    status: str
    usable: bool


class StatsRead(BaseModel):
    kind: DataKind | None
    rows: int
    status: str
    stats: dict[str, Any]
    issues_summary: dict[str, Any]
    split: dict[str, Any] | None


class DatasetRead(BaseModel):
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    description: str
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    archived: bool
    versions: int
    latest_version: VersionRead | None


class HubImportIn(BaseModel):
    """Import a dataset from the Hugging Face Hub: its files for one config and split, read like an upload."""

    model_config = ConfigDict(extra="forbid")

    hub_id: str = Field(min_length=3, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$",
                        description="owner/name, e.g. 'HuggingFaceH4/no_robots'")
    config: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                               description="the config (subset) folder; default: files under data/ or the top level")
    split: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                              description="default: train (or all the files when none is named train)")
    revision: str = Field("main", min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
                          description="branch, tag or commit sha; the version records the commit it resolved to")
    row_limit: int | None = Field(None, ge=1, le=100_000_000, description="keep only the first this many rows")
    name: str | None = Field(None, min_length=1, max_length=200, description="new dataset's name (default: the id)")
    dataset_id: uuid.UUID | None = Field(None, description="add a version to this dataset instead of creating one")
    base_model: BundledModelName = Field(DEFAULT_BASE_MODEL, description="whose tokenizer counts tokens")

    @field_validator("hub_id", "revision")
    @classmethod
    def _no_dots(cls, value: str) -> str:
        if ".." in value or "--" in value:
            raise ValueError("must not contain '..' or '--'")
        return value


class UploadResult(BaseModel):
    dataset: DatasetRead
    version: VersionRead
    created: bool = Field(description="false when identical content already existed: that version is returned")


class IssueRead(BaseModel):
    severity: Literal["error", "warning", "info"]
    code: str
    message: str
    hint: str
    row: int | None
    file: str | None
    line: int | None
    column: int | None
    field: str | None


class IssuePage(BaseModel):
    items: list[IssueRead]
    total: int
    offset: int
    limit: int
    summary: dict[str, Any]


class PreviewRow(BaseModel):
    row: int
    normalized: Any = Field(description="the canonical row, or null when the row could not be read")
    raw: Any = Field(description="the row as uploaded (object, or the line's text); null for derived versions")
    invalid: bool
    issues: list[IssueRead]


class PreviewPage(BaseModel):
    items: list[PreviewRow]
    total: int
    offset: int
    limit: int
    split: str


class RenderedToken(BaseModel):
    id: int
    text: str
    trained: bool


class RenderedSegment(BaseModel):
    label: str = Field(description='"conversation", "document", "chosen", "rejected" or "completion"')
    text: str
    tokens: list[RenderedToken]
    total_tokens: int
    trained_tokens: int
    truncated: bool = Field(description="tokens past max_length are cut during training (shown as not trained)")


class RenderedRow(BaseModel):
    row: int
    split: str
    base_model: str
    max_length: int
    kind: DataKind
    segments: list[RenderedSegment]
