"""One job over several devices, for real on this CPU: two processes under torchrun (gloo), launched
the way the worker launches them (worker.local_executor), against one process with the same global
batch. Killing a rank fails the job naming it; resume continues on both; cancel stops every rank."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tuneforge.training import distributed
from tuneforge.worker.local_executor import LocalExecutor

pytestmark = pytest.mark.slow

TRAINER = [sys.executable, "-m", "tuneforge.training", "run"]


def _spec(make_spec, tmp_path: Path, name: str, *, devices: int, batch_size: int, **hp) -> dict:
    spec = make_spec(
        "sft", "lora",
        hyperparameters={"max_steps": 6, "batch_size": batch_size, "learning_rate": 5e-3, **hp},
        data={"batching": "length_grouped"},
        devices=devices,
        output_dir=str(tmp_path / name),
    )
    return spec.model_dump(mode="json")


def _run(spec: dict, tmp_path: Path, name: str, on_event=None, *, cancel_when=None) -> tuple[object, list[dict]]:
    """Runs `spec` through the worker's executor; `cancel_when(event)` true cancels the run as the
    worker does when a user presses Cancel (the task running the executor is cancelled)."""
    events: list[dict] = []
    executor = LocalExecutor(command=TRAINER, stop_grace_s=60)

    async def main():
        loop = asyncio.get_running_loop()
        task: asyncio.Task | None = None

        def collect(event):
            events.append(event)
            if on_event is not None:
                on_event(event)
            if cancel_when is not None and cancel_when(event) and task is not None:
                loop.call_soon(task.cancel)

        task = asyncio.ensure_future(executor.run(spec=spec, timeout_s=300, on_event=collect,
                                                  output_dir=Path(spec["output_dir"]),
                                                  spec_path=tmp_path / f"{name}.spec.json"))
        try:
            return await task
        except asyncio.CancelledError:
            return None

    return asyncio.run(main()), events


def _losses(events) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in events if e["type"] == "metric"}


def _terminal(events) -> dict:
    return [e for e in events if e["type"] in ("finished", "failed", "cancelled")][-1]


def test_two_processes_train_as_one_with_the_same_global_batch(make_spec, tmp_path):
    one, one_events = _run(_spec(make_spec, tmp_path, "one", devices=1, batch_size=4), tmp_path, "one")
    two, two_events = _run(_spec(make_spec, tmp_path, "two", devices=2, batch_size=2), tmp_path, "two")
    assert one.returncode == 0 and two.returncode == 0, two.stderr_tail

    started = next(e for e in two_events if e["type"] == "started")
    assert started["devices"] == 2 and started["strategy"] == "ddp"
    said = [e["message"] for e in two_events if e.get("kind") == "distributed"]
    assert said and "2 cpu processes with DDP" in said[0] and "2 x 1 x 2" in said[0]
    # Rank 0 alone reports: one started event, one metric per step, one outcome.
    assert sum(e["type"] == "started" for e in two_events) == 1
    assert sorted(_losses(two_events)) == list(range(1, 7))

    expected, got = _losses(one_events), _losses(two_events)
    for step, loss in expected.items():
        assert got[step] == pytest.approx(loss, abs=1e-4), f"step {step}: {got[step]} vs {loss}"
    one_metrics, two_metrics = _terminal(one_events)["metrics"], _terminal(two_events)["metrics"]
    assert two_metrics["eval_loss"] == pytest.approx(one_metrics["eval_loss"], abs=1e-4)
    output = Path(two_metrics["files"]["weights"])
    assert (output / "adapter_model.safetensors").exists() and (output / "metrics.json").exists()


def _rank_pid(rank: int) -> int | None:
    """The pid of this test's training process with RANK=`rank` (read from /proc)."""
    for pid in distributed.descendants(os.getpid()):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RANK={rank}".encode() in environ and b"LOCAL_RANK=" + str(rank).encode() in environ:
            return pid
    return None


def test_a_killed_rank_fails_the_job_by_name_and_resume_continues_on_both(make_spec, tmp_path):
    spec = _spec(make_spec, tmp_path, "killed", devices=2, batch_size=2, max_steps=8, save_steps=2)
    spec["debug"] = {"step_delay_s": 0.3}
    killed: list[int] = []

    def kill_rank_1_after_step_3(event):
        if event["type"] == "metric" and event["step"] == 3 and not killed:
            pid = _rank_pid(1)
            assert pid is not None, "rank 1 not found"
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    result, events = _run(spec, tmp_path, "killed", kill_rank_1_after_step_3)
    assert killed and result.returncode != 0
    failed = _terminal(events)
    assert failed["type"] == "failed"
    assert failed["message"].startswith("training process 1 of 2 was killed (SIGKILL)"), failed["message"]
    assert "Resume the job" in failed["hint"]
    assert _rank_pid(0) is None and _rank_pid(1) is None  # nothing left behind
    checkpoints = sorted(Path(spec["output_dir"], "checkpoints").glob("checkpoint-*"))
    assert checkpoints, "a checkpoint every 2 steps was saved before the kill"

    resumed_spec = {**spec, "resume_from_checkpoint": "latest", "debug": {}}
    resumed, resumed_events = _run(resumed_spec, tmp_path, "resumed")
    assert resumed.returncode == 0, resumed.stderr_tail
    started = next(e for e in resumed_events if e["type"] == "started")
    assert started["devices"] == 2 and started["resume_from_checkpoint"].endswith(checkpoints[-1].name)
    resumed_steps = sorted(_losses(resumed_events))
    assert resumed_steps[0] == int(checkpoints[-1].name.split("-")[-1]) + 1 and resumed_steps[-1] == 8
    assert _terminal(resumed_events)["type"] == "finished"


def test_cancel_stops_every_rank_after_a_shared_checkpoint(make_spec, tmp_path):
    spec = _spec(make_spec, tmp_path, "cancel", devices=2, batch_size=2, max_steps=30)
    spec["debug"] = {"step_delay_s": 0.3}
    ranks: list[int] = []

    def note_ranks(event):
        if event["type"] == "metric" and event["step"] == 2:
            ranks.extend(pid for pid in (_rank_pid(0), _rank_pid(1)) if pid)

    t0 = time.monotonic()
    _, events = _run(spec, tmp_path, "cancel", note_ranks, cancel_when=lambda e: e["type"] == "metric" and e["step"] == 2)
    assert time.monotonic() - t0 < 120
    cancelled = _terminal(events)
    assert cancelled["type"] == "cancelled", cancelled
    step = cancelled["step"]
    assert 2 <= step < 30 and cancelled["checkpoint"].endswith(f"checkpoint-{step}")
    checkpoint = Path(spec["output_dir"], "checkpoints", f"checkpoint-{step}")
    # Both ranks stopped at the same step: each saved its random state into the one checkpoint.
    assert (checkpoint / "rng_state_0.pth").exists() and (checkpoint / "rng_state_1.pth").exists()
    assert len(ranks) == 2 and not any(Path(f"/proc/{pid}").exists() for pid in ranks)


# -- the launch and the failure report, without training ------------------------------------------


def test_launch_command_wraps_the_trainer_in_torchrun_only_for_several_devices():
    assert distributed.launch_command(["python", "-m", "tuneforge.training", "run", "s.json"], 1) == [
        "python", "-m", "tuneforge.training", "run", "s.json"]
    command = distributed.launch_command(["python", "-m", "tuneforge.training", "run", "s.json"], 4)
    assert command[:3] == ["python", "-m", "torch.distributed.run"]
    assert "--nproc-per-node=4" in command and "--max-restarts=0" in command and "--standalone" in command
    assert command[-4:] == ["-m", "tuneforge.training", "run", "s.json"]


def test_a_rank_that_exits_with_an_error_is_named_with_its_code():
    tail = """Failures:
[1]:
  rank      : 0 (local_rank: 0)
  exitcode  : -15 (pid: 11)
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  time      : 2026-12-02_18:15:53
  rank      : 3 (local_rank: 3)
  exitcode  : 3 (pid: 12)
"""
    message, hint = distributed.describe_rank_failure(tail, 4)
    assert message.startswith("training process 3 of 4 exited with code 3")
    assert "stderr tail" in hint
    assert distributed.describe_rank_failure("Traceback: something else", 2) is None


def test_a_rank_that_runs_out_of_memory_is_the_jobs_failure_not_the_peer_it_took_down():
    from tuneforge.training.distributed import RankFailures

    seen: list[dict] = []
    relay = RankFailures(seen.append, 2)
    relay({"type": "failed", "time": 1.0, "step": 3, "kind": "out_of_memory", "message": "out of memory at batch size 8",
           "hint": "Lower batch_size.", "rank": 1})
    relay({"type": "failed", "time": 2.0, "step": 3, "kind": "runtime", "lost_peer": True, "rank": 0,
           "message": "another training process of this job stopped", "hint": "Resume the job"})
    relay.settle("")
    last = seen[-1]
    assert last["kind"] == "out_of_memory" and last["message"] == "training process 1 of 2: out of memory at batch size 8"


def test_cpu_threads_are_shared_between_the_ranks(tmp_path):
    """torchrun gives each rank one thread; the executor splits the machine's cores instead."""
    script = tmp_path / "threads.py"
    script.write_text("import json, os, sys\nprint(json.dumps({'type': 'log', 'message': os.environ.get('OMP_NUM_THREADS')}))\n")
    executor = LocalExecutor(command=[sys.executable, str(script)])
    events: list[dict] = []
    result = asyncio.run(executor.run(spec={"devices": 2}, timeout_s=60, on_event=events.append,
                                      output_dir=tmp_path / "out", spec_path=tmp_path / "spec.json"))
    assert result.returncode == 0, result.stderr_tail
    cores = len(os.sched_getaffinity(0))
    assert [e["message"] for e in events] == [str(max(1, cores // 2))] * 2



def test_a_modal_container_with_several_gpus_runs_the_same_torchrun_launch(make_spec, data_dir, tmp_path):
    """The body of the Modal function, run here as the Modal test runner runs it: a spec asking for 2
    devices trains under torchrun inside the container and rank 0 alone reports."""
    import json

    from tuneforge.worker.modal_container import container_entry

    spec = _spec(make_spec, tmp_path, "modal", devices=2, batch_size=2, max_steps=3)
    spec["data"]["sources"] = [{"path": "data/chat.jsonl", "weight": 1.0}]
    payload = {"files": {"data/chat.jsonl": (data_dir / "chat.jsonl").read_bytes()}, "spec": spec, "timeout_s": 300}
    items = list(container_entry(payload))
    events = [json.loads(value) for kind, value in items if kind == "event"]
    exit_report = next(value for kind, value in items if kind == "exit")
    assert exit_report["code"] == 0, exit_report["stderr_tail"]
    assert [e["devices"] for e in events if e["type"] == "started"] == [2]
    assert sorted(_losses(events)) == [1, 2, 3] and _terminal(events)["type"] == "finished"
    assert any(kind == "artifact" for kind, _ in items)


# -- CUDA: NCCL and FSDP (marked; they run where at least two GPUs exist) ---------------------------

torch = pytest.importorskip("torch")
two_gpus = pytest.mark.skipif(not torch.cuda.is_available() or torch.cuda.device_count() < 2,
                              reason="needs two CUDA GPUs; this machine has fewer")


@pytest.mark.gpu
@two_gpus
def test_nccl_ddp_on_two_gpus_trains_as_one_gpu_does(make_spec, tmp_path):
    one, one_events = _run(_spec(make_spec, tmp_path, "g1", devices=1, batch_size=4), tmp_path, "g1")
    two, two_events = _run(_spec(make_spec, tmp_path, "g2", devices=2, batch_size=2), tmp_path, "g2")
    assert one.returncode == 0 and two.returncode == 0, two.stderr_tail
    started = next(e for e in two_events if e["type"] == "started")
    assert started["device"]["type"] == "cuda" and started["strategy"] == "ddp" and started["precision"] == "bf16"
    for step, loss in _losses(one_events).items():
        assert _losses(two_events)[step] == pytest.approx(loss, abs=2e-2)  # bf16 sums in another order


@pytest.mark.gpu
@two_gpus
def test_fsdp_full_fine_tuning_in_bf16_on_two_gpus(make_spec, tmp_path):
    spec = make_spec("sft", "full", hyperparameters={"max_steps": 6, "batch_size": 2, "learning_rate": 1e-3,
                                                     "precision": "bf16"},
                     devices=2, parallelism="fsdp", output_dir=str(tmp_path / "fsdp")).model_dump(mode="json")
    result, events = _run(spec, tmp_path, "fsdp")
    assert result.returncode == 0, result.stderr_tail
    assert next(e for e in events if e["type"] == "started")["strategy"] == "fsdp"
    losses = _losses(events)
    assert losses[6] < losses[1]
    assert (Path(spec["output_dir"]) / "model.safetensors").exists()


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"hyperparameters": {"batch_tokens": 256, "batch_size": 4}}, "batch_tokens does not yet spread over several devices"),
        ({"provider": "unsloth"}, "provider 'unsloth' trains on one device"),
        ({"parallelism": "fsdp"}, "parallelism 'fsdp' needs CUDA GPUs"),
    ],
)
def test_what_several_devices_cannot_do_is_refused_before_loading(make_spec, overrides, refusal):
    from tuneforge.training.exceptions import SpecError
    from tuneforge.training.spec import Target, check_spec

    spec = make_spec("sft", "lora", devices=2, **overrides)
    cuda_with_unsloth = Target.standard_worker(cuda=True, unsloth=True)
    target = Target.standard_worker() if "parallelism" in overrides else cuda_with_unsloth
    with pytest.raises(SpecError, match=refusal):
        check_spec(spec, target=target, inspect_data=False)
    check_spec(make_spec("sft", "lora", devices=2), target=target, inspect_data=False)  # plain DDP is fine
