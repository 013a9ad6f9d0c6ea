"""The one TrainerCallback every method uses: metric/eval/checkpoint events and the stop flag.

`on_log` turns the trainer's logs into `metric` events (plus throughput and memory),
`on_evaluate` into `eval` events, `on_save` into `checkpoint` events; `phase` events say when
training starts and how far an evaluation is (one per eval batch, throttled by the sink), and
when training resumes after it; `on_step_end` checks the
stop flag (set by SIGTERM or by the caller) and, when it is up, asks the trainer to save a
checkpoint and stop - the trainer then saves in the same step, so nothing learned is lost. On
several devices the flag counts when it is up on any rank, so every rank stops at the same step.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from transformers import TrainerCallback

from tuneforge.training import distributed
from tuneforge.training.event_stream import EventSink

# trl's per-step extras and the trainer's end-of-run summary are not per-step metrics.
_SKIP_KEYS = {"total_flos", "train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss"}


def memory_mb() -> float | None:
    """Peak accelerator memory when training on CUDA, else this process's resident memory."""
    import torch

    if torch.cuda.is_available():
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    try:
        import psutil

        return round(psutil.Process().memory_info().rss / 2**20, 1)
    except ImportError:  # pragma: no cover
        return None


class EventCallback(TrainerCallback):
    def __init__(
        self,
        sink: EventSink,
        stop: threading.Event,
        *,
        force_oom_when_batch_above: int | None = None,
        step_delay_s: float = 0.0,
        tokens_per_sample: float | None = None,
    ) -> None:
        self.sink = sink
        self.stop = stop
        self.force_oom_when_batch_above = force_oom_when_batch_above
        self.step_delay_s = step_delay_s
        self.tokens_per_sample = tokens_per_sample
        self.cancelled = False
        self.last_checkpoint: str | None = None
        self.losses: list[tuple[int, float]] = []
        self.last_eval: dict = {}
        self._last_time = time.perf_counter()
        self._last_step = 0
        self._last_tokens = 0
        self._last_trl_tokens = 0
        self.step = 0
        self.training = False
        self._eval_batches = 0

    def _training_phase(self, state) -> None:
        self.sink.phase("training", "Training", done=state.global_step, total=state.max_steps or None, unit="steps")

    def on_train_begin(self, args, state, control, **kwargs):
        self._last_time = time.perf_counter()
        self._last_step = state.global_step
        self._last_tokens = state.num_input_tokens_seen or 0
        self.training = True
        self._training_phase(state)

    def on_train_end(self, args, state, control, **kwargs):
        self.training = False

    def on_prediction_step(self, args, state, control, eval_dataloader=None, **kwargs):
        self._eval_batches += 1
        try:
            total = len(eval_dataloader) if eval_dataloader is not None else None
        except TypeError:  # an iterable dataset has no length
            total = None
        self.sink.phase("evaluating", "Evaluating on the held-out rows", done=self._eval_batches, total=total, unit="batches")

    def on_step_begin(self, args, state, control, **kwargs):
        limit = self.force_oom_when_batch_above
        if limit is not None and args.per_device_train_batch_size > limit:
            import torch

            raise torch.OutOfMemoryError(
                f"CUDA out of memory (forced by debug.force_oom_when_batch_above={limit} at batch size "
                f"{args.per_device_train_batch_size})"
            )

    def on_step_end(self, args, state, control, **kwargs):
        self.step = state.global_step
        if self.step_delay_s:
            time.sleep(self.step_delay_s)
        if distributed.any_rank(self.stop.is_set(), args.device):
            self.cancelled = True
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = dict(logs or {})
        if "loss" not in logs or any(k.startswith("eval_") for k in logs):
            return
        now = time.perf_counter()
        steps = max(state.global_step - self._last_step, 1)
        elapsed = max(now - self._last_time, 1e-9)
        samples = steps * args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
        tokens = (state.num_input_tokens_seen or 0) - self._last_tokens
        if tokens <= 0 and isinstance(logs.get("num_tokens"), (int, float)):
            # trl trainers count tokens themselves (cumulative `num_tokens`).
            tokens = logs["num_tokens"] - self._last_trl_tokens
            self._last_trl_tokens = logs["num_tokens"]
        if tokens <= 0 and self.tokens_per_sample:
            tokens = samples * self.tokens_per_sample
        self._last_time, self._last_step = now, state.global_step
        self._last_tokens = state.num_input_tokens_seen or 0

        metric = {
            "step": state.global_step,
            "max_steps": state.max_steps,
            "epoch": round(state.epoch or 0.0, 4),
            "loss": logs.pop("loss"),
            "learning_rate": logs.pop("learning_rate", None),
            "grad_norm": logs.pop("grad_norm", None),
            "tokens_per_s": round(tokens / elapsed, 1) if tokens else None,
            "samples_per_s": round(samples / elapsed, 3),
            "step_time_s": round(elapsed / steps, 4),
            "memory_mb": memory_mb(),
        }
        logs.pop("epoch", None)
        logs.pop("num_input_tokens_seen", None)
        # Method-specific numbers (rewards/margins, kl, reward, ...) travel as they are.
        for key, value in logs.items():
            if key not in _SKIP_KEYS and isinstance(value, (int, float)):
                metric[key] = value
        if isinstance(metric["loss"], float):
            self.losses.append((state.global_step, metric["loss"]))
        self.sink.emit("metric", **metric)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = dict(metrics or {})
        event = {"step": state.global_step}
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and not key.endswith(("_runtime", "_per_second")):
                event[key.removeprefix("eval_")] = value
        if isinstance(event.get("loss"), float):
            event["eval_loss"] = event.pop("loss")
            event["perplexity"] = math.exp(min(event["eval_loss"], 50.0))
        self.last_eval = event
        self._eval_batches = 0
        self.sink.emit("eval", **event)
        if self.training:  # an evaluation during training: back to training
            self._training_phase(state)

    def on_save(self, args, state, control, **kwargs):
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        self.last_checkpoint = str(path)
        self.sink.emit("checkpoint", step=state.global_step, path=str(path))
