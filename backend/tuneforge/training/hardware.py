"""What can this machine train on? CUDA GPUs, Apple MPS, and always the CPU.

torch is imported inside `detect_devices` so that the web API can import this module (to show
capabilities) on a host without the training extra installed; without torch only the CPU is
reported, marked as unable to train.
"""

from __future__ import annotations

import os
import platform


def _cpu_device(torch_available: bool) -> dict:
    total, available = _memory_bytes()
    return {
        "type": "cpu",
        "index": None,
        "name": platform.processor() or platform.machine() or "cpu",
        "cores": _usable_cores(),
        "total_memory_bytes": total,
        "free_memory_bytes": available,
        "bf16": False,  # CPU bf16 training works but is slower than fp32 on most x86 cores
        "fp16": False,
        "can_train": torch_available,
    }


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _memory_bytes() -> tuple[int | None, int | None]:
    try:
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.total), int(vm.available)
    except ImportError:
        pass
    try:
        fields = {}
        with open("/proc/meminfo") as f:
            for line in f:
                key, value = line.split(":", 1)
                fields[key] = int(value.split()[0]) * 1024
        return fields.get("MemTotal"), fields.get("MemAvailable")
    except OSError:
        return None, None


def detect_devices() -> list[dict]:
    """Every device a training run could use, accelerators first, the CPU last."""
    try:
        import torch
    except ImportError:
        return [_cpu_device(torch_available=False)]

    devices: list[dict] = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            try:
                free, total = torch.cuda.mem_get_info(index)
            except RuntimeError:  # device busy or in an exclusive mode
                free, total = None, props.total_memory
            major, minor = props.major, props.minor
            devices.append(
                {
                    "type": "cuda",
                    "index": index,
                    "name": props.name,
                    "total_memory_bytes": int(total),
                    "free_memory_bytes": int(free) if free is not None else None,
                    "compute_capability": f"{major}.{minor}",
                    "multiprocessors": props.multi_processor_count,
                    "bf16": major >= 8,  # Ampere and newer
                    "fp16": major >= 7,  # tensor cores from Volta on
                    "can_train": True,
                }
            )
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        total, available = _memory_bytes()  # unified memory: the GPU shares system RAM
        devices.append(
            {
                "type": "mps",
                "index": 0,
                "name": "Apple MPS",
                "total_memory_bytes": total,
                "free_memory_bytes": available,
                "bf16": False,
                "fp16": True,
                "can_train": True,
            }
        )
    devices.append(_cpu_device(torch_available=True))
    return devices


def best_device() -> dict:
    """The device a run with `device: auto` would use."""
    return detect_devices()[0]
