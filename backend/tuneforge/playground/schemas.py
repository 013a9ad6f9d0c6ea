"""Request and response bodies of the playground: chat turns, answers, feedback, batch comparisons."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

MAX_MESSAGES = 200
MAX_MESSAGE_CHARS = 100_000
MAX_STOP = 8


class GenerationParams(BaseModel):
    """How the model answers. Temperature 0 is greedy decoding (the same answer every time)."""

    system: str | None = Field(default=None, max_length=20_000, description="a system prompt put before the conversation")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    max_new_tokens: int = Field(default=256, ge=1, le=4096)
    stop: list[str] = Field(default_factory=list, max_length=MAX_STOP, description="stop strings: the answer ends before one")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="sampling seed (temperature > 0)")

    @field_validator("stop")
    @classmethod
    def _stop_strings(cls, value: list[str]) -> list[str]:
        value = [s for s in value if s]
        if any(len(s) > 64 for s in value):
            raise ValueError("each stop string is at most 64 characters")
        return value


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


class Target(BaseModel):
    """A side of the playground: a model version, or the base model it was trained from."""

    version_id: uuid.UUID
    base: bool = Field(default=False, description="the base model of this version instead of the version itself")


class TurnCreate(BaseModel):
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES,
                                        description="the conversation so far, ending with the user's message")
    targets: list[Target] = Field(min_length=1, max_length=2, description="one side, or two side by side")
    blind: bool = Field(default=False, description="hide which side is which until the user picks (two sides only)")
    params: GenerationParams = Field(default_factory=GenerationParams)

    @model_validator(mode="after")
    def _shape(self) -> TurnCreate:
        if self.messages[-1].role != "user":
            raise ValueError("the conversation must end with the user's message")
        if self.blind and len(self.targets) != 2:
            raise ValueError("blind mode needs two sides")
        if len(self.targets) == 2 and self.targets[0] == self.targets[1]:
            raise ValueError("the two sides are the same model; pick another for one side")
        return self


class GenerationStats(BaseModel):
    prompt_tokens: int | None = None
    new_tokens: int | None = None
    first_token_ms: float | None = Field(default=None, description="from the worker starting the answer to its first token")
    tokens_per_s: float | None = None
    load_ms: float | None = Field(default=None, description="time spent loading the model (0 when it was already loaded)")
    cold: bool | None = Field(default=None, description="the model had to be loaded for this answer")
    queue_ms: float | None = Field(default=None, description="from the request to a worker starting it")


class GenerationRead(BaseModel):
    id: uuid.UUID
    turn_id: uuid.UUID
    slot: int
    side: Literal["A", "B"]
    # Hidden (null) while a blind turn has no pick yet.
    label: str | None = Field(description="which model answered; null while blind")
    version_id: uuid.UUID | None
    base: bool | None
    status: Literal["queued", "loading", "running", "done", "failed", "cancelled"]
    text: str
    seq: int
    finish_reason: str | None = Field(description="stop (end of turn), stop_string, length (max new tokens), cancelled")
    error: str | None
    stats: GenerationStats
    rendered_prompt: str | None = Field(description="the prompt as the model saw it (its chat template); null while blind")
    worker_name: str | None
    rating: Literal["up", "down"] | None
    edited_text: str | None
    created_at: datetime
    updated_at: datetime


class TurnRead(BaseModel):
    id: uuid.UUID
    messages: list[ChatMessage]
    params: GenerationParams
    blind: bool
    revealed: bool = Field(description="whether the sides' models are shown (always, unless blind and not picked)")
    pick: Literal["a", "b", "tie"] | None
    answers: list[GenerationRead]
    created_at: datetime


class PickIn(BaseModel):
    choice: Literal["a", "b", "tie"] = Field(description="the better answer, or tie (no preference row is saved)")


class RatingIn(BaseModel):
    rating: Literal["up", "down"]


class EditIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="the corrected answer")


FeedbackKindName = Literal["preference", "rating", "edit"]


class FeedbackSaved(BaseModel):
    """What a piece of feedback became: a row in a new version of the team's feedback dataset."""

    kind: FeedbackKindName
    dataset_id: uuid.UUID
    dataset_name: str
    dataset_version_id: uuid.UUID
    version_number: int
    rows: int
    method: str = Field(description="the training method this data suits: dpo, kto or sft")


class FeedbackResult(BaseModel):
    """The turn after the feedback (revealed, picked, rated or edited), and the dataset version it made
    (null for a tie, which saves no row)."""

    turn: TurnRead | None = None
    saved: FeedbackSaved | None = None


class FeedbackDatasetRead(BaseModel):
    kind: FeedbackKindName
    data_kind: str
    method: str
    dataset_id: uuid.UUID
    dataset_name: str
    latest_version_id: uuid.UUID | None
    latest_version_number: int | None
    rows: int


class BatchCreate(BaseModel):
    dataset_version_id: uuid.UUID
    targets: list[Target] = Field(min_length=2, max_length=4)
    max_rows: int = Field(default=20, ge=1, le=200, description="how many prompts of the dataset to answer")
    params: GenerationParams = Field(default_factory=lambda: GenerationParams(max_new_tokens=128))

    @model_validator(mode="after")
    def _distinct(self) -> BatchCreate:
        if len({(t.version_id, t.base) for t in self.targets}) != len(self.targets):
            raise ValueError("each model may be compared once; remove the repeated one")
        return self


class BatchTarget(BaseModel):
    version_id: uuid.UUID
    base: bool
    label: str


class BatchRow(BaseModel):
    prompt: list[ChatMessage]
    reference: str | None
    answers: list[str | None]
    scores: list[dict[str, float] | None]
    pick: int | None = None


class BatchRead(BaseModel):
    id: uuid.UUID
    dataset_version_id: uuid.UUID | None
    dataset_name: str | None
    dataset_version_number: int | None
    targets: list[BatchTarget]
    params: GenerationParams
    max_rows: int
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    done_rows: int
    total_rows: int
    rows: list[BatchRow]
    metrics: list[dict[str, Any]]
    error: str | None
    worker_name: str | None
    created_at: datetime
    updated_at: datetime


class BatchSummary(BaseModel):
    id: uuid.UUID
    dataset_name: str | None
    targets: list[BatchTarget]
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    done_rows: int
    total_rows: int
    created_at: datetime


class BatchPickIn(BaseModel):
    row: int = Field(ge=0)
    choice: int = Field(ge=0, description="the index of the better target")


class PlaygroundWorkers(BaseModel):
    """Whether a worker serves the playground now, and the biggest model it can hold."""

    online: int
    max_model_bytes: int | None
    note: str | None
