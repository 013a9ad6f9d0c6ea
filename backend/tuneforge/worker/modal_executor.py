"""Runs jobs on Modal cloud GPUs. The Modal SDK is reached only through `SdkModalExecutor`; tests swap
it for `LocalModalExecutor`, which runs the same container function body on this machine.

GPU types, prices and the image's pinned packages live in the catalogue (`tuneforge.training.catalogue`).
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

from tuneforge.training import catalogue
from tuneforge.training.spec import TrainingSpec
from tuneforge.worker.local_executor import STOP_GRACE_S
from tuneforge.worker.modal_container import container_entry

# Beyond the job's time limit, the Modal function itself may run for the trainer's checkpoint
# (STOP_GRACE_S) and to send back the outputs; Modal allows a function at most a day.
ARCHIVE_MARGIN_S = 600
MODAL_MAX_TIMEOUT_S = 24 * 3600


@dataclass
class ModalRunResult:
    returncode: int | None
    gpu_seconds: float
    stderr_tail: str = ""
    timed_out: bool = False  # stopped at its time limit (the container stops the trainer like the local executor)


def _with_limit(payload: dict[str, Any], timeout_s: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The container enforces the job's time limit itself (SIGTERM, checkpoint, then SIGKILL), so
    its checkpoint still comes back. `env`: the secrets the trainer needs (HF_TOKEN for a Hub model),
    added to its allow-listed environment (worker.trainer_env)."""
    return {**payload, "timeout_s": timeout_s, "stop_grace_s": STOP_GRACE_S, "env": dict(env or {})}


def _function_timeout(timeout_s: int) -> int:
    return int(min(timeout_s + STOP_GRACE_S + ARCHIVE_MARGIN_S, MODAL_MAX_TIMEOUT_S))


class ModalExecutor(Protocol):
    async def run(
        self,
        *,
        spec: TrainingSpec,
        token: dict[str, str],
        gpu: str,  # the GPU type; the executor asks Modal for `spec.devices` of it
        timeout_s: int,
        on_event: Callable[[dict[str, Any]], None],
        output_dir: Path,
        env: dict[str, str] | None = None,
    ) -> ModalRunResult: ...


# Where a relocated spec points inside the container, relative to its work folder (container_entry
# makes output and cache absolute there).
CONTAINER_OUTPUT_DIR = "output"
CONTAINER_MODEL_CACHE_DIR = "models"


def build_payload(spec: TrainingSpec) -> dict[str, Any]:
    """The spec relocated into the container, with its data files shipped inline (the container cannot
    see our storage). Only the paths change, and no path of this server is sent."""
    files: dict[str, bytes] = {}
    sources = []
    for i, source in enumerate(spec.data.sources):
        name = f"data/source-{i}.jsonl"
        files[name] = Path(source.path).read_bytes()
        sources.append(source.model_copy(update={"path": name}))
    validation_path = None
    if spec.data.validation_path:
        validation_path = "data/validation.jsonl"
        files[validation_path] = Path(spec.data.validation_path).read_bytes()
    relocated = spec.model_copy(
        update={
            "data": spec.data.model_copy(update={"sources": sources, "validation_path": validation_path}),
            "output_dir": CONTAINER_OUTPUT_DIR,
            "model_cache_dir": CONTAINER_MODEL_CACHE_DIR,
            # Checkpoints stay in this server's storage: a Modal attempt starts from scratch.
            "resume_from_checkpoint": None,
        }
    )
    return {"spec": relocated.model_dump(mode="json"), "files": files}


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
        """`timeout_s` is the Modal function's own limit, a backstop past the job's."""
        import modal

        from tuneforge import __version__

        # The pins live in the catalogue, which the API also validates Modal jobs against.
        with_deps = [p for p in catalogue.MODAL_IMAGE_PACKAGES if p not in catalogue.MODAL_IMAGE_NO_DEPS]
        image = (
            modal.Image.debian_slim(python_version=catalogue.MODAL_PYTHON_VERSION)
            .pip_install(*with_deps)
            .run_commands("pip install --no-deps " + " ".join(catalogue.MODAL_IMAGE_NO_DEPS))
            .add_local_python_source("tuneforge")
            .env({"TUNEFORGE_VERSION": __version__})
        )
        app = modal.App(self.app_name)
        function = app.function(image=image, gpu=gpu, timeout=timeout_s, serialized=True)(container_entry)
        return app, function

    async def run(self, *, spec, token, gpu, timeout_s, on_event, output_dir, env=None) -> ModalRunResult:
        import modal
        from modal.exception import FunctionTimeoutError

        client = await modal.Client.from_credentials.aio(token["token_id"], token["token_secret"])
        # A job on N devices is one container with N of `gpu` ("H100:4"); the container runs torchrun.
        app, function = self._function(catalogue.modal_gpu(gpu, spec.devices), _function_timeout(timeout_s))
        collector = _Collector(on_event, output_dir)
        started = time.monotonic()
        killed_at_limit = False
        try:
            async with app.run.aio(client=client):
                async for item in function.remote_gen.aio(_with_limit(build_payload(spec), timeout_s, env)):
                    collector.take(item)
        except FunctionTimeoutError:
            killed_at_limit = True  # Modal stopped the container itself: no exit report, no outputs
        elapsed = time.monotonic() - started
        collector.unpack()
        return ModalRunResult(
            returncode=collector.exit.get("code"), gpu_seconds=elapsed, stderr_tail=collector.exit.get("stderr_tail", ""),
            timed_out=killed_at_limit or bool(collector.exit.get("timed_out")),
        )


class LocalModalExecutor:
    """Runs the container function body here, in a thread: every other part of the path is real."""

    def __init__(self, expected_token: dict[str, str] | None = None) -> None:
        self.expected_token = expected_token
        self.calls: list[dict[str, Any]] = []

    async def run(self, *, spec, token, gpu, timeout_s, on_event, output_dir, env=None) -> ModalRunResult:
        if self.expected_token is not None and token != self.expected_token:
            raise PermissionError("Modal rejected the token")
        # What the SDK executor would ask Modal for, GPU count included.
        self.calls.append({"gpu": catalogue.modal_gpu(gpu, spec.devices), "timeout_s": timeout_s, "token_id": token["token_id"]})
        loop = asyncio.get_running_loop()
        collector = _Collector(lambda event: loop.call_soon_threadsafe(on_event, event), output_dir)
        payload = _with_limit(build_payload(spec), timeout_s, env)
        started = time.monotonic()

        def drive() -> None:
            for item in container_entry(payload):
                collector.take(item)

        killed_at_limit = False
        try:
            await asyncio.wait_for(asyncio.to_thread(drive), timeout=_function_timeout(timeout_s))
        except TimeoutError:
            killed_at_limit = True
        elapsed = time.monotonic() - started
        collector.unpack()
        return ModalRunResult(
            returncode=collector.exit.get("code"), gpu_seconds=elapsed, stderr_tail=collector.exit.get("stderr_tail", ""),
            timed_out=killed_at_limit or bool(collector.exit.get("timed_out")),
        )


def default_executor() -> ModalExecutor:
    import os

    if os.environ.get("TUNEFORGE_MODAL_EXECUTOR") == "local":
        # Runs the Modal function body on this machine (tests, offline demos); no cloud, no cost.
        return LocalModalExecutor()
    return SdkModalExecutor()


async def load_token(*, session: AsyncSession, job) -> dict[str, str]:
    """The Modal token of the job's payer: whoever last launched, retried or resumed it (jobs/billing.py),
    never anyone else's. Raises billing.BillingUnavailable (a PermissionError) saying why when they have no
    token or have left the team."""
    from tuneforge.config import get_settings
    from tuneforge.jobs import billing

    return (await billing.payer(session=session, settings=get_settings(), job=job)).token


