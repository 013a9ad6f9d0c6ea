"""Run events: one JSON object per line.

The training subprocess writes them to a pipe (or stdout); the worker turns each line into a
`job_event` row. Every event has `type` and `time` (unix seconds, float); training events also
carry `step`. Types:

- started    resolved spec, device, provider, data_kind, trainable/total parameters, rows; for sft and cpt
             `batching` (the batching chosen, why, and the share of real tokens) and `tokenization`
             (cache hit or miss, seconds), also said in a `log` event of kind `batching` just before
- metric     step, epoch, loss, learning_rate, grad_norm, tokens_per_s, samples_per_s, memory_mb, ...
- eval       step, eval_loss, perplexity, and task metrics (rouge/bleu/exact match) at the end
- checkpoint step, path
- log        level, message
- phase      name (loading_model | tokenizing | training | evaluating | saving), label (what a person
             reads), done and total where known (rows, eval batches, generation samples, steps)
- finished   step, output_dir, metrics (the summary also saved as metrics.json)
- failed     kind (configuration | dataset | out_of_memory | disk_full | runtime), message, hint
- cancelled  step, checkpoint (path or null)
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from typing import IO, Any

EVENT_TYPES = ("started", "metric", "eval", "checkpoint", "log", "phase", "finished", "failed", "cancelled")
PHASES = ("loading_model", "tokenizing", "training", "evaluating", "saving")
# Progress inside one phase is reported at most this often (its start and its end always are).
PHASE_INTERVAL_S = 1.0
TERMINAL_TYPES = ("finished", "failed", "cancelled")


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "item"):  # numpy / torch scalars
        return _jsonable(value.item())
    return str(value)


class EventSink:
    """Writes events as JSON lines, one flush per line, safe to call from several threads.

    `EventSink(fd=3)` writes to an inherited file descriptor, `EventSink(stream=sys.stdout)` to a
    text stream, `EventSink()` keeps events only in memory (`.events`) - handy in tests.
    `listeners` get every event dict too (the CLI's progress bar is one). `only` limits what is written
    to those types (the other ranks of a distributed run write only their `failed` events).
    """

    def __init__(
        self,
        *,
        fd: int | None = None,
        stream: IO[str] | None = None,
        keep: bool = True,
        listeners: list[Callable[[dict], None]] | None = None,
        only: tuple[str, ...] | None = None,
    ) -> None:
        self._stream = stream if stream is not None else (os.fdopen(fd, "w", buffering=1) if fd is not None else None)
        self._owns_stream = stream is None and fd is not None
        self._lock = threading.Lock()
        self._keep = keep
        self._only = only
        self.events: list[dict] = []
        self.listeners = list(listeners or [])
        self._phase: tuple[str, str | None] | None = None
        self._phase_time = 0.0

    def emit(self, type: str, **fields: Any) -> dict:
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}")
        event = {"type": type, "time": time.time(), **_jsonable(fields)}
        if self._only is not None and type not in self._only:
            return event
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if self._stream is not None:
                try:
                    self._stream.write(line + "\n")
                    self._stream.flush()
                except (BrokenPipeError, ValueError):
                    # The reader went away (worker died); training output is still saved on disk.
                    self._stream = None
            if self._keep:
                self.events.append(event)
        for listener in self.listeners:
            listener(event)
        return event

    def log(self, message: str, level: str = "info", **fields: Any) -> dict:
        return self.emit("log", level=level, message=message, **fields)

    def phase(
        self, name: str, label: str | None = None, *, done: int | None = None, total: int | None = None, **fields: Any
    ) -> dict | None:
        """Says what the run is doing now (`name` in PHASES, `label` for people), with progress
        `done` of `total` where known. A new phase (or label) is always emitted, so is its first and
        its last step; progress in between at most once per PHASE_INTERVAL_S. Returns the event, or
        None when it was throttled."""
        if name not in PHASES:
            raise ValueError(f"unknown phase {name!r}")
        now = time.monotonic()
        key = (name, label)
        boundary = done is None or done == 0 or (total is not None and done >= total)
        if key == self._phase and not boundary and now - self._phase_time < PHASE_INTERVAL_S:
            return None
        self._phase, self._phase_time = key, now
        extra = {k: v for k, v in (("done", done), ("total", total)) if v is not None}
        return self.emit("phase", name=name, label=label or name.replace("_", " "), **extra, **fields)

    def of_type(self, type: str) -> list[dict]:
        return [e for e in self.events if e["type"] == type]

    def close(self) -> None:
        """Flush; a sink opened on a file descriptor also closes it (the reader sees EOF)."""
        with self._lock:
            if self._stream is not None:
                try:
                    self._stream.flush()
                    if self._owns_stream:
                        self._stream.close()
                except (BrokenPipeError, ValueError, OSError):
                    pass
                if self._owns_stream:
                    self._stream = None


def read_events(path_or_lines: Any) -> list[dict]:
    """Parse JSON-lines events (a path, a string, or an iterable of lines); skips non-JSON noise."""
    if isinstance(path_or_lines, (str, bytes)) and "\n" not in str(path_or_lines) and os.path.exists(path_or_lines):
        with open(path_or_lines, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    elif isinstance(path_or_lines, str):
        lines = path_or_lines.splitlines()
    else:
        lines = list(path_or_lines)
    events = []
    for line in lines:
        line = line.strip()
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events
