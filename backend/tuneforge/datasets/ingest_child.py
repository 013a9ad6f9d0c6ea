"""Uploads are read in a child process with a memory limit, so a hostile file (a zip or Parquet bomb,
a pathological row) can only end that child, with a message, never the API.

The API passes paths, not data: the job (storage root, the keys of the uploaded files and of the
outputs, the reading options and limits) goes to the child as a JSON file. The child writes the
canonical rows and the "as uploaded" copy of each row into storage (as `<key>.partial`, renamed on
success; the API removes what a killed child leaves) and its report as JSON next to the job, which
the API reads back.

Children are forked from a multiprocessing "forkserver": a clean Python process started once (so
never a fork of the API with its threads and event loop) that has imported the ingest code and
loaded the default tokenizer (`ingest_warm`), so a child starts in a fraction of a second instead
of the seconds importing transformers takes. The child first lowers its own RLIMIT_DATA (heap and
private mappings: what a decoded bomb grows; the libraries it shares with the forkserver count too)
and RLIMIT_CORE, and ends itself if the API process goes away. As with any forkserver/spawn child,
the process's `__main__` module is imported again in the child (under another name), so a program
that starts ingests must keep its work under `if __name__ == "__main__":` (the CLI, uvicorn and
pytest do).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import resource
import signal
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

log = logging.getLogger("tuneforge.datasets")

_PRELOAD = ["tuneforge.datasets.ingest_warm"]
_MEMORY_EXIT = 75  # the child's exit status when it ran out of memory and could not even say so


@dataclass
class IngestJob:
    storage_root: str
    sources: list[dict]  # {"name": label, "key": storage key}
    out_key: str
    raw_key: str | None  # where each row as uploaded goes (None: not kept)
    options: dict  # IngestOptions fields, without the tokenizer (the child loads it by name)
    memory_bytes: int
    mapping: dict | None = None
    canonical_kind: str | None = None  # set: re-read a canonical file (the single source) as this kind


class IngestFailed(Exception):
    """The child could not produce a version. `kind`: "limit" (an upload over a reading limit),
    "memory" (over the memory limit), "disk_full" (storage), "pattern", "mapping" (the user's
    options), "crash"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def partial(key: str) -> str:
    return key + ".partial"


def options_for_child(options: Any) -> dict:
    """An IngestOptions as JSON-able fields (the tokenizer travels by name)."""
    return {f.name: getattr(options, f.name) for f in fields(options) if f.name != "tokenizer"}


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)  # takes effect when the forkserver starts (the first child)
    return context


class Child:
    """A running ingest child: `wait()` for its report, `kill()` it (a cancelled request)."""

    def __init__(self, job: IngestJob) -> None:
        self.job = job
        self._folder = tempfile.TemporaryDirectory(prefix="tuneforge-ingest-")
        folder = Path(self._folder.name)
        self._job_path, self._result_path = folder / "job.json", folder / "result.json"
        self._job_path.write_text(json.dumps(asdict(job)))
        self.started = time.monotonic()
        self.process = _context().Process(target=_child_main, args=(str(self._job_path), str(self._result_path)),
                                          name="tuneforge-ingest")
        self.process.start()

    def kill(self) -> None:
        try:
            if self.process.exitcode is None:
                self.process.kill()
        except ValueError:  # already closed: it has ended
            pass

    def wait(self) -> tuple[dict, dict]:
        """(the IngestReport's fields, what the child measured of itself); raises IngestFailed."""
        try:
            self.process.join()
            code = self.process.exitcode
            result = json.loads(self._result_path.read_text()) if self._result_path.exists() else None
        finally:
            self._folder.cleanup()
        seconds = time.monotonic() - self.started
        if result is None:
            if code == _MEMORY_EXIT or (code is not None and code < 0 and -code in _MEMORY_SIGNALS):
                log.warning("ingest child ended (exit status %s) after %.1f s: out of memory", code, seconds)
                raise IngestFailed("memory", f"the reading process ended (exit status {code})")
            raise IngestFailed("crash", f"the reading process ended unexpectedly (exit status {code})")
        measured = result.get("child", {})
        log.info("ingest child finished in %.1f s (%s), RSS %s MB at start, %s MB at peak", seconds,
                 "ok" if "report" in result else result.get("error"), measured.get("rss_start_mb"),
                 measured.get("rss_peak_mb"))
        if "report" not in result:
            raise IngestFailed(result["error"], result.get("message", ""))
        return result["report"], measured


# How a child that ran out of memory in C code ends: killed by the kernel's OOM killer, or an
# allocation failure that a library turns into an abort or a bad access.
_MEMORY_SIGNALS = {signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS}


def start(job: IngestJob) -> Child:
    """Starts the child (the first one of this process also starts the forkserver: seconds)."""
    return Child(job)


# --- in the child ----------------------------------------------------------------------------------


def _rss_mb(field_name: str = "VmRSS") -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _end_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the API process is gone
        os._exit(70)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _child_main(job_path: str, result_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = int(job["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    _end_with_parent()
    start_rss = _rss_mb()
    try:
        result: dict[str, Any] = {"report": _run(job)}
    except MemoryError:
        result = {"error": "memory", "message": "out of memory"}
    except BaseException as exc:  # noqa: BLE001 — every outcome is reported to the API
        result = _failure(exc)
    result["child"] = {"rss_start_mb": start_rss,
                       "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    try:
        tmp = Path(result_path + ".tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(result_path)
    except MemoryError:
        os._exit(_MEMORY_EXIT)


def _failure(exc: BaseException) -> dict:
    from tuneforge.datasets.ingest import PatternError
    from tuneforge.datasets.ingest.readers import LimitExceeded
    from tuneforge.storage import disk_full

    if disk_full(exc):
        return {"error": "disk_full", "message": str(exc)}
    if isinstance(exc, LimitExceeded):
        return {"error": "limit", "message": str(exc)}
    if isinstance(exc, PatternError):
        return {"error": "pattern", "message": str(exc)}
    if isinstance(exc, ValueError):
        return {"error": "mapping", "message": str(exc)}
    return {"error": "crash", "message": f"{type(exc).__name__}: {exc}"}


def _run(job: dict) -> dict:
    from tuneforge.datasets.ingest import IngestOptions, Source, ingest, ingest_canonical

    root = Path(job["storage_root"])
    options = IngestOptions(**job["options"])
    if options.tokenizer_name:
        from tuneforge.datasets.service import _tokenizer

        options.tokenizer = _tokenizer(options.tokenizer_name)
        if options.tokenizer is None:
            options.tokenizer_name = None
    outputs = [(root / job["out_key"], root / partial(job["out_key"]))]
    if job.get("raw_key"):
        outputs.append((root / job["raw_key"], root / partial(job["raw_key"])))
    for final, _ in outputs:
        final.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        handles = [stack.enter_context(open(part, "wb")) for _, part in outputs]
        out, raw_out = handles[0], (handles[1] if len(handles) > 1 else None)
        if job.get("canonical_kind"):
            report = ingest_canonical(root / job["sources"][0]["key"], out, kind=job["canonical_kind"], options=options)
        else:
            sources = [Source(s["name"], root / s["key"]) for s in job["sources"]]
            report = ingest(sources, out, mapping=job.get("mapping"), options=options, raw_out=raw_out)
        for handle in handles:
            handle.flush()
            os.fsync(handle.fileno())
    for final, part in outputs:
        part.replace(final)
    fields_ = report.to_dict()
    fields_.pop("usable", None)
    return fields_
