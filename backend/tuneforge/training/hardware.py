"""What can this machine train on? CUDA GPUs, Apple MPS, and always the CPU.

torch is imported inside `detect_devices` so that the web API can import this module (to show
capabilities) on a host without the training extra installed; without torch only the CPU is
reported, marked as unable to train.
"""

from __future__ import annotations

import os
import platform
import time


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


def measure_cpu_speed(windows: int = 25) -> dict:
    """How fast one core of this CPU runs the two things a CPU training step is made of.

    `matmul_flops`: fp32 FLOP/s of a SmolLM2-sized matmul on one thread. `dispatch_seconds`: one
    small LoRA-shaped forward and backward (dropout, three linears, an activation, autograd), where
    tensors are so small that only Python, dispatch and autograd cost anything. Both are the best of
    many short windows of thread CPU time, so a busy neighbour slows the answer less than it slows a
    run. About half a second; the estimate scales its CPU constants by these (estimate.py).
    """
    import torch
    import torch.nn.functional as F

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(0)
        a, b = torch.randn(128, 576, generator=g), torch.randn(576, 1536, generator=g)
        x = torch.randn(4, 16, generator=g)
        w = torch.randn(16, 16, generator=g, requires_grad=True)
        lora = torch.randn(4, 16, generator=g, requires_grad=True)

        def small_step() -> None:
            h = F.linear(x, w) + F.linear(F.linear(F.dropout(x, 0.1), lora), lora.t())
            (F.silu(h) * 2).sum().backward()

        for _ in range(3):
            a @ b
        for _ in range(20):
            small_step()
        matmul, dispatch = [], []
        for _ in range(windows):
            start = time.thread_time()
            a @ b
            a @ b
            matmul.append((time.thread_time() - start) / 2)
            start = time.thread_time()
            for _ in range(20):
                small_step()
            dispatch.append((time.thread_time() - start) / 20)
        return {"matmul_flops": 2 * 128 * 576 * 1536 / max(min(matmul), 1e-9), "dispatch_seconds": min(dispatch)}
    finally:
        torch.set_num_threads(previous)


def detect_devices(*, measure_cpu: bool = False) -> list[dict]:
    """Every device a training run could use, accelerators first, the CPU last.

    With `measure_cpu` the CPU entry carries `speed` (measure_cpu_speed): workers measure once at
    start-up so the API's estimates for them fit their CPU rather than the one the constants came from.
    """
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
    cpu = _cpu_device(torch_available=True)
    if measure_cpu:
        cpu["speed"] = measure_cpu_speed()
    devices.append(cpu)
    return devices


def best_device() -> dict:
    """The device a run with `device: auto` would use."""
    return detect_devices()[0]
