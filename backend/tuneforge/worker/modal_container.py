"""What runs inside a Modal GPU container: the same training entry the local worker runs.

`container_entry` is the body of the Modal function. It receives the spec and the dataset files,
runs `python -m tuneforge.training run`, yields every event line as it comes, then yields the
output folder as a tar.gz in chunks. The local test runner calls this same function.
Past the job's time limit (`timeout_s`) the trainer gets SIGTERM (it saves a checkpoint), then
SIGKILL after `stop_grace_s` — as the local executor does — and the exit report says `timed_out`.
A job on several GPUs (`devices: N`, the function asked Modal for `<gpu>:N`) runs the same entry under
torchrun inside the container, exactly as on a local worker (training/distributed.py).
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tuneforge.training import distributed
from tuneforge.worker.trainer_env import trainer_env

ARTIFACT_CHUNK = 8 * 1024 * 1024


def container_entry(payload: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Yields ("event", json_line) while training, then ("artifact", bytes) chunks, then ("exit", code)."""
    with tempfile.TemporaryDirectory(prefix="tuneforge-modal-") as tmp:
        root = Path(tmp)
        for relative, content in payload["files"].items():
            target = (root / relative).resolve()
            if root not in target.parents:
                raise ValueError(f"refusing file outside the work folder: {relative}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        spec = dict(payload["spec"])
        spec["output_dir"] = str(root / "output")
        spec["model_cache_dir"] = str(root / "models")
        (root / "spec.json").write_text(json.dumps(spec))
        # The same rules as the local executor: an allow-listed environment plus the secrets this job
        # needs (payload "env": its owner's HF_TOKEN for a Hub model), and an empty working directory
        # (the spec's relative data paths are anchored at the spec's folder, not here).
        workdir = root / "cwd"
        workdir.mkdir()
        devices = int(spec.get("devices") or 1)
        process = subprocess.Popen(
            distributed.launch_command([sys.executable, "-m", "tuneforge.training", "run", str(root / "spec.json")], devices),
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=trainer_env(extra={"PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false",
                                   "TRL_EXPERIMENTAL_SILENCE": "1", **payload.get("env", {})}),
        )
        assert process.stdout is not None and process.stderr is not None
        timed_out = threading.Event()

        def kill_all() -> None:
            if devices > 1:
                distributed.signal_ranks(process.pid, signal.SIGKILL)
            process.kill()

        kill = threading.Timer(float(payload.get("stop_grace_s", 120.0)), kill_all)

        def stop() -> None:
            timed_out.set()
            # The trainer (or every rank of a distributed run) saves a checkpoint, then exits.
            if not (devices > 1 and distributed.signal_ranks(process.pid, signal.SIGTERM)):
                process.terminate()
            kill.start()

        limit = threading.Timer(float(payload["timeout_s"]), stop) if payload.get("timeout_s") else None
        if limit is not None:
            limit.start()
        settled: list[dict[str, Any]] = []
        failures = distributed.RankFailures(settled.append, devices)
        try:
            for line in process.stdout:
                if line.strip():
                    yield ("event", line.rstrip("\n"))
                    if devices > 1:
                        failures.observe(_parsed(line))
            stderr_tail = process.stderr.read()[-4000:]
            code = process.wait()
            if devices > 1:
                # The failure of the rank that ended the run goes last, so the job names it.
                failures.settle(stderr_tail)
                yield from (("event", json.dumps(event)) for event in settled)
        finally:
            if limit is not None:
                limit.cancel()
            kill.cancel()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            if (root / "output").exists():
                archive.add(root / "output", arcname="output")
        data = buffer.getvalue()
        for start in range(0, len(data), ARTIFACT_CHUNK):
            yield ("artifact", data[start : start + ARTIFACT_CHUNK])
        yield ("exit", {"code": code, "stderr_tail": stderr_tail, "timed_out": timed_out.is_set()})


def _parsed(line: str) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}
