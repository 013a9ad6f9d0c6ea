"""Command-line entry points.

- `tuneforge train spec.yaml`   train with a terminal progress bar and a summary
- `tuneforge evaluate ...`      held-out evaluation of a model/adapter on a JSONL dataset
- `python -m tuneforge.training run spec.json [--events-fd N]`   the worker's entry: JSON-lines
  events on stdout (or fd N), SIGTERM = save a checkpoint and stop.

Exit codes (all commands): 0 finished or cancelled (the last event says which),
1 runtime failure, 2 invalid spec/configuration, 3 out of memory, 4 dataset problem.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

EXIT_CODES = {"finished": 0, "cancelled": 0, "runtime": 1, "configuration": 2, "out_of_memory": 3, "dataset": 4,
              "disk_full": 5}


def exit_code(result) -> int:
    if result.status != "failed":
        return 0
    return EXIT_CODES.get((result.error or {}).get("kind", "runtime"), 1)


def _install_stop_handlers(stop: threading.Event, signals: tuple[int, ...]) -> None:
    def handler(signum, frame):
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C aborts without waiting for the checkpoint
        stop.set()

    for sig in signals:
        signal.signal(sig, handler)


def _load_spec(path: str, overrides: argparse.Namespace | None = None):
    from tuneforge.training.exceptions import SpecError
    from tuneforge.training.spec import TrainingSpec

    try:
        spec = TrainingSpec.from_file(path)
    except FileNotFoundError as exc:
        raise SpecError(f"spec file not found: {path}", "Check the path.") from exc
    if overrides is not None:
        update = {}
        if getattr(overrides, "output_dir", None):
            update["output_dir"] = str(Path(overrides.output_dir).resolve())
        if getattr(overrides, "resume", None):
            update["resume_from_checkpoint"] = overrides.resume
        if update:
            spec = spec.model_copy(update=update)
    return spec


def _spec_failure(exc, sink) -> int:
    """A spec that does not even parse is still reported as a `failed` event."""
    from pydantic import ValidationError

    from tuneforge.training.exceptions import TrainingError

    if isinstance(exc, TrainingError):
        sink.emit("failed", step=0, **exc.to_event())
        return EXIT_CODES.get(exc.kind, 1)
    if isinstance(exc, ValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        sink.emit("failed", step=0, kind="configuration", message=f"invalid spec: {problems}",
                  hint="Fix the listed fields (see docs/training.md for every option).")
        return 2
    if isinstance(exc, (ValueError, OSError)):
        sink.emit("failed", step=0, kind="configuration", message=f"cannot read the spec: {exc}",
                  hint="The spec must be a YAML or JSON mapping.")
        return 2
    raise exc


# -- worker entry: JSON lines ---------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from tuneforge.training import distributed
    from tuneforge.training.event_stream import EventSink

    # Under torchrun (a job on several devices) rank 0 reports; the others write only their failures.
    only = None if distributed.is_main() else ("failed",)
    if distributed.world_size() > 1:
        distributed.die_with_parent()
    if args.events_fd is not None:
        sink = EventSink(fd=args.events_fd, only=only)
    else:
        # Events own stdout; anything a library prints goes to stderr instead.
        events_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sink = EventSink(fd=events_fd, only=only)
    stop = threading.Event()
    _install_stop_handlers(stop, (signal.SIGTERM, signal.SIGINT))
    try:
        try:
            spec = _load_spec(args.spec)
        except Exception as exc:  # noqa: BLE001
            return _spec_failure(exc, sink)
        from tuneforge.training.runner import run

        return exit_code(run(spec, sink=sink, stop=stop))
    finally:
        sink.close()


# -- tuneforge train: progress bar -----------------------------------------------------------------


class ProgressPrinter:
    """Renders events as a one-line progress bar plus readable log lines."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.time()
        self.tty = self.stream.isatty()
        self._open_line = False

    def _line(self, text: str) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: dict) -> None:
        kind = event["type"]
        if kind == "started":
            self._line(
                f"training {event['method']} + {event['adapter']} on {event['device'].get('type', '?')} "
                f"({event['precision']}), {event['trainable_parameters']:,} of {event['total_parameters']:,} "
                f"parameters trainable, {event['train_rows']} training / {event['eval_rows']} held-out rows"
            )
        elif kind == "metric":
            step, total = event["step"], max(event.get("max_steps") or 1, 1)
            done = int(self.width * min(step / total, 1.0))
            elapsed = time.time() - self.started
            eta = elapsed / max(step, 1) * max(total - step, 0)
            text = (
                f"[{'#' * done}{'.' * (self.width - done)}] {step}/{total} loss {event['loss']:.4f} "
                f"lr {event.get('learning_rate') or 0:.2e} ETA {int(eta) // 60:02d}:{int(eta) % 60:02d}"
            )
            if self.tty:
                self.stream.write("\r" + text)
                self._open_line = True
                self.stream.flush()
            else:
                self._line(text)
        elif kind == "eval":
            numbers = {k: v for k, v in event.items() if k not in ("type", "time", "step") and isinstance(v, float)}
            self._line(f"eval @ step {event['step']}: " + ", ".join(f"{k} {v:.4g}" for k, v in numbers.items()))
        elif kind == "phase":
            if event.get("done") in (None, 0) and event.get("name") != "training":  # the bar shows training
                self._line(f"{event.get('label') or event.get('name')}…")
        elif kind == "checkpoint":
            self._line(f"checkpoint saved: {event['path']}")
        elif kind == "log":
            self._line(f"{event.get('level', 'info')}: {event['message']}")
        elif kind == "failed":
            self._line(f"FAILED ({event['kind']}): {event['message']}\n  -> {event.get('hint', '')}")
        elif kind == "cancelled":
            self._line(f"cancelled at step {event['step']}; checkpoint: {event.get('checkpoint')}")
        elif kind == "finished":
            m = event.get("metrics", {})
            lines = [
                "",
                f"finished in {m.get('wall_time_s', 0):.1f}s: {m.get('steps')} steps",
                f"  loss            {m.get('first_loss') or 0:.4f} -> {m.get('final_loss') or 0:.4f}",
            ]
            if m.get("eval_loss") is not None:
                lines.append(f"  eval loss       {m['eval_loss']:.4f} (perplexity {m.get('perplexity', 0):.2f})")
            for key, value in (m.get("evaluation") or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    lines.append(f"  {key:<15} {value:.4g}")
                elif isinstance(value, dict):  # fine_tuned / base / improvement scores
                    scores = ", ".join(f"{k} {v:.3g}" for k, v in value.items() if isinstance(v, (int, float)))
                    lines.append(f"  {key:<15} {scores}")
            lines.append(f"  output          {event['output_dir']}")
            self._line("\n".join(lines))


def cmd_train(args: argparse.Namespace) -> int:
    from tuneforge.training.event_stream import EventSink

    listeners = [] if args.json else [ProgressPrinter()]
    sink = EventSink(stream=sys.stdout if args.json else None, keep=False, listeners=listeners)
    stop = threading.Event()
    _install_stop_handlers(stop, (signal.SIGTERM, signal.SIGINT))
    try:
        spec = _load_spec(args.spec, args)
    except Exception as exc:  # noqa: BLE001
        return _spec_failure(exc, sink)
    from tuneforge.training.runner import run

    return exit_code(run(spec, sink=sink, stop=stop))


# -- tuneforge evaluate ----------------------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tuneforge.training.event_stream import EventSink
    from tuneforge.training.spec import TrainingSpec

    sink = EventSink(stream=sys.stdout if args.json else None, keep=True,
                     listeners=[] if args.json else [ProgressPrinter()])
    try:
        spec = TrainingSpec.model_validate(
            {
                "method": "sft",
                "base_model": args.base or args.model,
                "data": {"sources": [{"path": str(Path(args.data).resolve())}], "validation_split": 0},
                "eval": {"generation_samples": args.samples, "max_new_tokens": args.max_new_tokens,
                         "compare_base": bool(args.base)},
                "output_dir": str(Path(args.output or ".").resolve()),
                "model_cache_dir": args.model_cache_dir,
            }
        )
        from tuneforge.training.data import read_jsonl
        from tuneforge.training.loading import load_tokenizer, resolve_base_model
        from tuneforge.training.spec import check_spec

        check_spec(spec.model_copy(update={"method": "sft"}), inspect_data=False)
        rows = read_jsonl(args.data)
        from transformers import AutoModelForCausalLM

        from tuneforge.training.evaluation import evaluate_run
        from tuneforge.training.loading import default_cache_dir

        cache = Path(args.model_cache_dir) if args.model_cache_dir else default_cache_dir()
        model_path = resolve_base_model(args.model, cache)
        tokenizer, _, _ = load_tokenizer(model_path)
        model = AutoModelForCausalLM.from_pretrained(model_path)
        base_path = resolve_base_model(args.base, cache) if args.base else None
        report = evaluate_run(model=model, tokenizer=tokenizer, base_model_path=base_path, eval_rows=rows,
                              spec=spec, emit=sink.emit)
    except Exception as exc:  # noqa: BLE001
        return _spec_failure(exc, sink)
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        (out / "evaluation.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    if not args.json:
        print(json.dumps(report.get("summary", report), indent=2, default=str))
    return 0


# -- argparse wiring -------------------------------------------------------------------------------


def _exiting(command):
    """For CLIs that ignore `func`'s return value: a failure still sets the exit status."""

    def call(args: argparse.Namespace) -> int:
        code = command(args)
        if code:
            raise SystemExit(code)
        return code

    return call


def register(subparsers) -> None:
    """Add `train` and `evaluate` to the main `tuneforge` CLI's subparsers.

    `args.func(args)` exits with the documented status on failure (SystemExit), so callers that
    ignore its return value still report failures; `args.command_func` returns the code instead.
    """
    train = subparsers.add_parser("train", help="fine-tune a model from a spec (YAML or JSON)")
    train.add_argument("spec", help="path to spec.yaml / spec.json")
    train.add_argument("--output-dir", help="override output_dir")
    train.add_argument("--resume", metavar="CHECKPOINT", help="'latest' or a checkpoint folder")
    train.add_argument("--json", action="store_true", help="print JSON-lines events instead of a progress bar")
    train.set_defaults(func=_exiting(cmd_train), command_func=cmd_train)

    evaluate = subparsers.add_parser("evaluate", help="evaluate a model or run output on a JSONL dataset")
    evaluate.add_argument("--model", required=True, help="run output folder, model folder, or 'tiny-llama'")
    evaluate.add_argument("--data", required=True, help="JSONL of canonical rows (held-out)")
    evaluate.add_argument("--base", help="base model to compare against (folder or name)")
    evaluate.add_argument("--samples", type=int, default=16, help="prompts to generate answers for")
    evaluate.add_argument("--max-new-tokens", type=int, default=64)
    evaluate.add_argument("--output", help="folder to write evaluation.json into")
    evaluate.add_argument("--model-cache-dir", help="where bootstrapped base models are cached")
    evaluate.add_argument("--json", action="store_true", help="print JSON-lines events")
    evaluate.set_defaults(func=_exiting(cmd_evaluate), command_func=cmd_evaluate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tuneforge.training")
    subparsers = parser.add_subparsers(dest="command", required=True)
    run = subparsers.add_parser("run", help="worker entry: run a spec, JSON-lines events")
    run.add_argument("spec")
    run.add_argument("--events-fd", type=int, default=None, help="write events to this inherited fd")
    run.set_defaults(func=cmd_run, command_func=cmd_run)
    register(subparsers)
    args = parser.parse_args(argv)
    return args.command_func(args)
