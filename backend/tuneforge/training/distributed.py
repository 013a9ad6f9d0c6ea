"""One job over several devices: how the worker launches it and what each process knows of the others.

A job with `devices: N > 1` runs its training entry under torchrun (`python -m torch.distributed.run
--standalone --nproc-per-node N`): N processes, one per device, with RANK / LOCAL_RANK / WORLD_SIZE in
their environment. transformers' Trainer (through accelerate) then trains with DDP — NCCL on CUDA, gloo
on CPU — and shards every batch sampler by rank; for full fine-tuning on CUDA that does not fit one
device the runner asks for FSDP instead. Only rank 0 writes events and the outputs; every rank saves
its part of a checkpoint (the Trainer's own rule) and stops at the same step (`any_rank`).

The worker stops a distributed run by signalling the ranks themselves, not torchrun: torchrun gives its
workers 30 seconds after a SIGTERM before killing them, which is too short to save a large checkpoint.
The standard-library part of this module also runs in the Modal container.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# torchrun's options: one host, no restarts (a failed rank fails the job; resume continues it), and
# failures noticed within a second.
TORCHRUN = ("-m", "torch.distributed.run", "--standalone", "--max-restarts=0", "--monitor-interval=0.5")


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main() -> bool:
    return rank() == 0


def launch_command(command: Sequence[str], devices: int) -> list[str]:
    """The trainer command for `devices` processes: `command` itself for one, else the same entry under
    torchrun. `command` is `<python> -m <module> args...` or `<python> <script> args...`."""
    command = list(command)
    if devices <= 1:
        return command
    python, rest = command[0], command[1:]
    return [python, *TORCHRUN, f"--nproc-per-node={devices}", *rest]


def die_with_parent() -> None:
    """A rank dies when torchrun does (SIGKILL on the parent's death), so a worker killed outright leaves
    no training process behind: torchrun starts its ranks in sessions of their own."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux
        pass


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren ...), read from /proc; empty where there is none."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 1:
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def signal_ranks(launcher_pid: int, sig: int) -> int:
    """Sends `sig` to every process torchrun started (not torchrun itself); returns how many got it."""
    sent = 0
    for pid in descendants(launcher_pid):
        try:
            os.kill(pid, sig)
            sent += 1
        except ProcessLookupError:
            pass
    return sent


# torchrun's failure summary on stderr: "rank      : 1 (local_rank: 1)" then "exitcode  : -9 (pid: 123)".
_FAILURE = re.compile(r"rank\s*:\s*(\d+)\s*\(local_rank:\s*\d+\)\s*\n\s*exitcode\s*:\s*(-?\d+)")


def describe_rank_failure(stderr: str, devices: int) -> tuple[str, str] | None:
    """(message, hint) naming the rank whose failure ended a distributed run, from torchrun's summary
    (its root cause comes first); None when the text holds no such summary."""
    found = _FAILURE.search(stderr.split("Root Cause", 1)[-1]) or _FAILURE.search(stderr)
    if not found:
        return None
    failed_rank, code = int(found.group(1)), int(found.group(2))
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        how = f"was killed ({name})"
    else:
        how = f"exited with code {code}"
    message = (
        f"training process {failed_rank} of {devices} {how}; the job runs on {devices} processes that must all "
        "stay alive, so the others were stopped"
    )
    hint = (
        "Resume the job: it continues from its last checkpoint on every device. "
        + ("A SIGKILL is most often the out-of-memory killer: lower batch_size or use fewer devices."
           if code == -signal.SIGKILL else "The stderr tail below shows what that process printed.")
    )
    return message, hint


class RankFailures:
    """Passes a distributed run's events on, and at its end puts the failure that caused it last.

    When one rank dies, the others fail only because their collective broke (`lost_peer` failures). The
    job's outcome (the last terminal event) must name the cause instead: a rank's own failure event (an
    out-of-memory on rank 1, say) or, for a rank killed outright, torchrun's summary of which one it was."""

    def __init__(self, on_event: Callable[[dict[str, Any]], None], devices: int) -> None:
        self.on_event = on_event
        self.devices = devices
        self.terminal: dict[str, Any] | None = None
        self.cause: dict[str, Any] | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        self.observe(event)
        self.on_event(event)

    def observe(self, event: dict[str, Any]) -> None:
        """Notes a terminal event without passing it on (the Modal container streams the lines itself)."""
        if event.get("type") in ("finished", "failed", "cancelled"):
            self.terminal = event
            if event["type"] == "failed" and not event.get("lost_peer") and self.cause is None:
                self.cause = event

    def settle(self, stderr_tail: str) -> None:
        if self.terminal is not None and not self.terminal.get("lost_peer"):
            return
        if self.cause is not None:
            rank = self.cause.get("rank")
            prefix = f"training process {rank} of {self.devices}: " if rank is not None else ""
            self.on_event({**self.cause, "time": time.time(), "message": prefix + str(self.cause.get("message", ""))})
            return
        described = describe_rank_failure(stderr_tail, self.devices)
        if described is not None:
            message, hint = described
            step = (self.terminal or {}).get("step", 0)
            self.on_event({"type": "failed", "time": time.time(), "step": step, "kind": "runtime",
                           "message": message, "hint": hint})


# -- inside a training process (torch) -------------------------------------------------------------


def any_rank(flag: bool, device=None) -> bool:
    """Whether `flag` is up on any rank (a max all-reduce; the flag itself when training on one process).
    Every rank must call it at the same point, so all of them stop at the same step."""
    if world_size() <= 1:
        return flag
    import torch
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_initialized():
        return flag
    value = torch.tensor([1 if flag else 0], dtype=torch.int32, device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def sum_over_ranks(values: Sequence[float], device=None) -> list[float]:
    """Element-wise sums of `values` over every rank (`values` itself on one process)."""
    if world_size() <= 1:
        return list(values)
    import torch
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_initialized():
        return list(values)
    tensor = torch.tensor(list(values), dtype=torch.float64, device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def is_lost_peer(exc: BaseException) -> bool:
    """Whether `exc` is a collective that failed because another rank went away (gloo/NCCL errors)."""
    if world_size() <= 1:
        return False
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(word in text for word in ("gloo", "nccl", "connection closed", "connection reset", "broken pipe",
                                         "distbackenderror", "distnetworkerror", "peer"))



def choose_strategy(devices: int, *, adapter: str, device_type: str, fits_one_device: bool | None,
                    requested: str = "auto") -> str:
    """'single' on one device; what the spec asks for (`parallelism`) when it is not 'auto'; else 'fsdp'
    (parameters, gradients and optimizer states sharded over the devices) for full fine-tuning on CUDA
    that does not fit one device, and 'ddp' (a whole copy per device) otherwise. The estimate
    (estimate.py) and the runner both decide by this."""
    if devices <= 1:
        return "single"
    if requested != "auto":
        return requested
    if adapter == "full" and device_type == "cuda" and fits_one_device is False:
        return "fsdp"
    return "ddp"
