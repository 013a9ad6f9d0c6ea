"""Request and response bodies of publishing: to the Hugging Face Hub, to an Ollama server, as GGUF files."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

# llama.cpp's converter's output types (training/gguf.py OUT_TYPES) offered to users.
GgufType = Literal["f32", "f16", "bf16", "q8_0", "tq1_0", "tq2_0"]


class HubPublish(BaseModel):
    target: Literal["hub"] = "hub"
    repo_id: str | None = Field(default=None, max_length=96, pattern=r"^([A-Za-z0-9][\w.-]{0,47}/)?[A-Za-z0-9][\w.-]{0,95}$",
                                description="owner/name or name (your Hugging Face user is the owner); default: the model's name")
    private: bool = True
    weights: Literal["adapter", "merged"] = Field(default="adapter", description="the LoRA adapter only, or merged into the base")


class OllamaPublish(BaseModel):
    target: Literal["ollama"] = "ollama"
    name: str | None = Field(default=None, max_length=120, pattern=r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?(:[\w.-]+)?$",
                             description="the Ollama model name, e.g. support-bot:v3; default from the model's name and version")
    url: str | None = Field(default=None, max_length=300, description="one of the server's allowed Ollama URLs; default the first")
    quant_type: GgufType = "q8_0"
    system: str | None = Field(default=None, max_length=20_000, description="default SYSTEM; default: the chat template's own")


class GgufPublish(BaseModel):
    target: Literal["gguf"] = "gguf"
    quant_types: list[GgufType] = Field(default_factory=lambda: ["f16", "q8_0"], min_length=1, max_length=6)


PublicationCreate = Annotated[HubPublish | OllamaPublish | GgufPublish, Field(discriminator="target")]


class PublishedFile(BaseModel):
    name: str
    quant_type: str | None = None
    size_bytes: int
    sha256: str
    download_url: str


class PublicationRead(BaseModel):
    id: uuid.UUID
    version_id: uuid.UUID
    target: Literal["hub", "ollama", "gguf"]
    options: dict[str, Any]
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: dict[str, Any] = Field(description='{"phase", "message", "done", "total"} while it runs')
    link: str | None = Field(description="the Hub repository's URL, or the Ollama model's name on its server")
    files: list[PublishedFile] = Field(description="GGUF files (and the Modelfile) to download, with size and sha256")
    verification: dict[str, Any] | None = Field(description='e.g. {"prompts": 8, "passed": 8, "agree": 8, "ok": true, "first_disagreement": null}')
    merge_check: dict[str, Any] | None = Field(description="merged vs base+adapter logits: max absolute difference")
    result: dict[str, Any]
    error: str | None
    credential: str | None
    user_name: str | None
    worker_name: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PublishingOptions(BaseModel):
    """What the publish dialog offers: the allowed Ollama servers, the GGUF types, whether a Hub token is
    saved (and for which user), and whether a worker can run it now."""

    ollama_urls: list[str]
    gguf_types: list[str]
    hub_token: bool
    hub_username: str | None
    worker_note: str | None
