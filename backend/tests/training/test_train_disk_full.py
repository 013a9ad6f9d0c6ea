"""The disk filling up while a checkpoint is written: the run fails as `disk_full` with a hint, the
half-written checkpoint is never taken as the latest, and Resume (once there is space) continues
from the last complete one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import train


@pytest.fixture
def small_volume(tmp_path: Path):
    """A 400 KB tmpfs: room for one checkpoint of tiny-llama with LoRA (~300 KB), not two."""
    mount_point = tmp_path / "volume"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (to fill a disk for real) needs root; not root here")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode}); a full disk cannot be simulated")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_a_full_disk_while_checkpointing_fails_clearly_and_resume_skips_the_partial_checkpoint(make_spec, small_volume):
    from tuneforge.training.runner import latest_checkpoint

    hp = {"max_steps": 4, "batch_size": 8, "save_steps": 2, "scheduler": "linear"}
    spec = make_spec("sft", "lora", hyperparameters=hp, output_dir=str(small_volume / "run"))
    result, sink = train(spec)

    assert result.status == "failed"
    [failed] = sink.of_type("failed")
    assert failed["kind"] == result.error["kind"] == "disk_full", failed
    assert "storage volume is full" in failed["message"]
    assert "free space on the storage volume, then Resume" in failed["hint"]
    # Only the checkpoint that was written whole was announced (and so recorded by the worker).
    assert [e["step"] for e in sink.of_type("checkpoint")] == [2]

    from tuneforge.training.runner import checkpoint_complete

    checkpoints = small_volume / "run" / "checkpoints"
    assert checkpoint_complete(checkpoints / "checkpoint-2")
    assert not (checkpoints / "checkpoint-4").exists(), "the half-written checkpoint is removed"
    # A half-written folder left by anything else (a process killed mid-save) is skipped too.
    (checkpoints / "checkpoint-6").mkdir()
    (checkpoints / "checkpoint-6" / "adapter_model.safetensors").write_bytes(b"\0" * 1024)
    assert latest_checkpoint(checkpoints) == checkpoints / "checkpoint-2"

    # Space is freed (the volume grows); Resume continues from the last complete checkpoint.
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_volume)], check=True)
    resumed, resumed_sink = train(spec.model_copy(update={"resume_from_checkpoint": "latest"}))
    assert resumed.status == "finished", resumed.error
    assert resumed_sink.of_type("started")[0]["resume_from_checkpoint"].endswith("checkpoint-2")
    assert [e["step"] for e in resumed_sink.of_type("metric") if "loss" in e] == [3, 4]
