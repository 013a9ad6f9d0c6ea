"""Runs a job's trainer as a subprocess of this worker: `<command> <spec.json>`.

The trainer writes JSON-lines events on stdout (each handed to `on_event`); stderr keeps a tail for
the job page. The subprocess is tied to the worker's life (PR_SET_PDEATHSIG), so a dead worker never
leaves a trainer behind. A stop — the job's time limit, a cancel, the worker shutting down — sends
SIGTERM (the trainer saves a checkpoint and exits), then SIGKILL after a grace period.

A job on several devices (`devices: N`) runs the same entry under torchrun, N processes
(training/distributed.py). A stop then goes to the ranks themselves, each of which saves its part of
the checkpoint; a rank that dies ends the run, and the job's failure names that rank, not the
others it took down.

`LocalExecutor.run` has the shape of the Modal executor's (`modal_executor.ModalExecutor.run`) and
returns the same kind of result.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import json
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.training import distributed
from tuneforge.worker.trainer_env import trainer_env

STDERR_TAIL_LINES = 40
# How long a trainer gets to save its checkpoint after SIGTERM before it is killed.
STOP_GRACE_S = 120.0

SIGNAL_HINTS = {
    signal.SIGKILL: "likely out of host memory (the kernel's OOM killer) — try a smaller batch size, "
    "QLoRA, gradient checkpointing, or a machine with more RAM",
    signal.SIGSEGV: "a native library crashed — check the stderr tail; retrying on another worker may help",
    signal.SIGABRT: "a native library aborted — check the stderr tail",
}


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it if the worker dies, whatever the cause."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the reaper still resumes the job, the trainer may linger
        pass


def describe_exit(returncode: int | None) -> tuple[str, str]:
    """(message, hint) for a trainer that ended without saying why."""
    if returncode is None:
        return "the training process did not report an outcome", "Retry the job; if it repeats, check the worker's logs."
    if returncode < 0:
        sig = signal.Signals(-returncode)
        hint = SIGNAL_HINTS.get(sig, "check the stderr tail")
        return f"training process was killed (signal {-returncode}, {sig.name}) — {hint.split(' — ')[0]}", hint
    return (
        f"training process exited with code {returncode} without reporting an outcome",
        "Check the stderr tail below; retry once the cause is fixed.",
    )


@dataclass
class LocalRunResult:
    """What a run left behind; the same fields as `modal_executor.ModalRunResult`."""

    returncode: int | None
    gpu_seconds: float | None = None  # local runs are not billed
    stderr_tail: str = ""
    timed_out: bool = False  # stopped at its time limit (SIGTERM, then SIGKILL after the grace period)


def _as_event(raw: bytes) -> dict[str, Any] | None:
    line = raw.decode("utf-8", "replace").strip()
    if not line:
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        event = None
    if not isinstance(event, dict) or "type" not in event:
        event = {"type": "log", "time": time.time(), "level": "info", "message": line[:2000]}
    return event


class LocalExecutor:
    def __init__(self, *, command: Sequence[str], stop_grace_s: float = STOP_GRACE_S) -> None:
        # The trainer is `<command> <spec.json>`; tests and benchmarks swap in a stand-in.
        self.command = list(command)
        self.stop_grace_s = stop_grace_s
        # Each running trainer, with the number of ranks it runs (torchrun's when more than one).
        self._processes: dict[asyncio.subprocess.Process, int] = {}

    async def run(
        self,
        *,
        spec: dict[str, Any] | Any,
        timeout_s: float | None,
        on_event: Callable[[dict[str, Any]], None],
        output_dir: Path,
        spec_path: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> LocalRunResult:
        """Runs the trainer on `spec` (written to `spec_path`, by default next to `output_dir`) until
        it exits or `timeout_s` passes (None: no limit). Cancelling the calling task stops the trainer the same way,
        then lets the cancellation through.

        The trainer gets an allow-listed environment (`trainer_env`: none of the worker's secrets) plus
        `env`, the secrets this job needs (its owner's HF_TOKEN for a Hub model), and runs in an empty
        working directory of its own, so no relative name ("org/name") finds a folder there."""
        spec_path = spec_path or output_dir.parent / "spec.json"
        # A TrainingSpec or its JSON form; the trainer reads either from the file.
        text = spec.model_dump_json(indent=2) if hasattr(spec, "model_dump_json") else json.dumps(spec, indent=2)
        _write_atomically(spec_path, text.encode())
        devices = int((spec.devices if hasattr(spec, "devices") else spec.get("devices")) or 1)
        if devices > 1:
            on_event = distributed.RankFailures(on_event, devices)
        child_env = trainer_env(
            extra={"PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false", "TRL_EXPERIMENTAL_SILENCE": "1", **(env or {})}
        )
        if devices > 1 and "OMP_NUM_THREADS" not in child_env:
            # torchrun would give every rank one thread; the ranks share this machine's cores instead.
            child_env["OMP_NUM_THREADS"] = str(max(1, _usable_cores() // devices))
        workdir = tempfile.mkdtemp(prefix="tuneforge-trainer-")
        try:
            process = await asyncio.create_subprocess_exec(
                *distributed.launch_command([*self.command, str(spec_path)], devices),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=child_env,
                cwd=workdir,
                preexec_fn=_die_with_parent,
                limit=16 * 1024 * 1024,
            )
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        self._processes[process] = devices
        stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)

        async def read_stdout() -> None:
            assert process.stdout is not None
            async for raw in process.stdout:
                event = _as_event(raw)
                if event is not None:
                    on_event(event)

        async def read_stderr() -> None:
            assert process.stderr is not None
            async for raw in process.stderr:
                stderr_tail.append(raw.decode("utf-8", "replace").rstrip()[:1000])

        readers = asyncio.gather(read_stdout(), read_stderr())
        timed_out = False
        try:
            try:
                await asyncio.wait_for(asyncio.shield(readers), timeout=timeout_s)
            except TimeoutError:
                timed_out = True
                on_event({"type": "log", "time": time.time(), "level": "warning",
                          "message": "the time limit is reached: stopping the trainer (it saves a checkpoint first)"})
                await self.stop(process)
                await readers
            returncode = await process.wait()
            if isinstance(on_event, distributed.RankFailures):
                on_event.settle("\n".join(stderr_tail))
        except asyncio.CancelledError:
            await self.stop(process)
            await readers
            await process.wait()
            raise
        finally:
            self._processes.pop(process, None)
            shutil.rmtree(workdir, ignore_errors=True)
        return LocalRunResult(returncode=returncode, stderr_tail="\n".join(stderr_tail), timed_out=timed_out)

    async def stop(self, process: asyncio.subprocess.Process) -> None:
        """SIGTERM (the trainer saves a checkpoint, then exits); SIGKILL if it is still there after the grace period."""
        if process.returncode is not None:
            return
        distributed_run = self._processes.get(process, 1) > 1
        _terminate(process, distributed_run)
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), timeout=self.stop_grace_s)
        except TimeoutError:
            if distributed_run:
                for pid in distributed.descendants(process.pid):
                    _kill(pid)
            process.kill()

    def stop_all(self) -> None:
        """Worker shutdown: every trainer is asked to save a checkpoint and stop."""
        for process, devices in list(self._processes.items()):
            if process.returncode is None:
                _terminate(process, devices > 1)


def _terminate(process: asyncio.subprocess.Process, distributed_run: bool) -> None:
    """SIGTERM to the trainer, or under torchrun to its ranks: torchrun would give them only 30 seconds
    to save before killing them. It exits once they have."""
    if not (distributed_run and distributed.signal_ranks(process.pid, signal.SIGTERM)):
        process.send_signal(signal.SIGTERM)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _write_atomically(path: Path, data: bytes) -> None:
    """A temporary file renamed on success, so a failed write leaves nothing behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
