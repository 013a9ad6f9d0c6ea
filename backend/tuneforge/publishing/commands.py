"""`tuneforge export` and `tuneforge publish`: the worker's publishing pipelines from the command line, on a
training output folder (or any model folder) — the same merge check, conversion and verification.

    tuneforge export runs/my-run --type f16 --type q8_0 --out exports/
    tuneforge publish ollama runs/my-run --name support-bot:v3 --url http://localhost:11434
    HF_TOKEN=hf_... tuneforge publish hub runs/my-run --repo alice/support-bot --merged

Each prints its progress and the verification, writes the result as JSON (`--json`), and exits 1 when the
check fails (a GGUF or an Ollama model that does not answer like the original).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tuneforge.training.gguf import OUT_TYPES


def _lineage(folder: Path) -> dict[str, Any]:
    """What a run's folder says about itself (spec.json, evaluation.json), shaped like a version's lineage."""
    lineage: dict[str, Any] = {"job_name": folder.name}
    spec = folder / "spec.json"
    if spec.is_file():
        data = json.loads(spec.read_text())
        lineage["spec"] = data
        lineage["base_model"] = {"reference": data.get("base_model"), "kind": "folder"}
        lineage["job_name"] = data.get("name") or folder.name
    evaluation = folder / "evaluation.json"
    if evaluation.is_file():
        lineage["evaluation"] = json.loads(evaluation.read_text())
    return lineage


def _report(phase: str, message: str, done: int | None = None, total: int | None = None) -> None:
    count = f" [{done + 1}/{total}]" if total else ""
    print(f"{phase}{count}: {message}", file=sys.stderr, flush=True)


def _stop_event() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return stop


def _verdict(result: dict[str, Any], as_json: bool) -> int:
    verification = result.get("verification") or {}
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        for file in result.get("files", []):
            print(f"{file['name']}  {file['size_bytes']:,} bytes  sha256 {file['sha256']}")
        if result.get("merge_check"):
            check = result["merge_check"]
            print(f"merge check: largest logit difference {check.get('max_abs_logit_diff')} (allowed {check.get('tolerance')})")
        if verification:
            passed = verification.get("passed", verification.get("agree"))
            print(f"verified: {passed}/{verification.get('prompts')} check prompts agree")
            if verification.get("first_disagreement"):
                print("first disagreement:", json.dumps(verification["first_disagreement"], indent=2))
        if result.get("link"):
            print(f"published: {result['link']}")
    ok = verification.get("ok", verification.get("agree") == verification.get("prompts")) if verification else True
    return 0 if ok else 1


def _pipelines():
    from tuneforge.config import get_settings
    from tuneforge.worker.publisher import Pipelines

    return Pipelines(get_settings().data_dir / "models")


def _run(call) -> int:
    from tuneforge.worker.publisher import Cancelled, Failed

    try:
        return call()
    except Cancelled:
        print("stopped", file=sys.stderr)
        return 130
    except (Failed, ValueError, RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def cmd_export(args: argparse.Namespace) -> int:
    folder = Path(args.folder).resolve()
    out = Path(args.out or folder / "gguf").resolve()
    out.mkdir(parents=True, exist_ok=True)
    stop = _stop_event()
    types = args.type or ["f16", "q8_0"]
    return _run(lambda: _verdict(_pipelines().gguf(folder, out, {"quant_types": types}, _lineage(folder),
                                                    _guarded(stop), stop), args.json))


def cmd_publish(args: argparse.Namespace) -> int:
    folder = Path(args.folder).resolve()
    work = Path(args.out or folder / "publish").resolve()
    work.mkdir(parents=True, exist_ok=True)
    stop = _stop_event()
    pipelines = _pipelines()
    if args.target == "ollama":
        options = {"url": args.url, "name": args.name, "quant_type": args.quant, "system": args.system}
        return _run(lambda: _verdict(pipelines.ollama(folder, work, options, _lineage(folder), _guarded(stop), stop), args.json))
    token = os.environ.get(args.token_env)
    if not token:
        print(f"error: set {args.token_env} to a Hugging Face token with write access", file=sys.stderr)
        return 2
    options = {"repo_id": args.repo, "private": not args.public, "weights": "merged" if args.merged else "adapter"}
    return _run(lambda: _verdict(pipelines.hub(folder, work, options, _lineage(folder), token, _guarded(stop), stop), args.json))


def _guarded(stop: threading.Event):
    from tuneforge.worker.publisher import Cancelled

    def report(phase: str, message: str, done: int | None = None, total: int | None = None) -> None:
        if stop.is_set():
            raise Cancelled
        _report(phase, message, done, total)

    return report


def register(subparsers) -> None:
    export = subparsers.add_parser("export", help="convert a model or training output folder to GGUF and verify it")
    export.add_argument("folder")
    export.add_argument("--type", action="append", choices=OUT_TYPES, help="GGUF type (repeat; default f16 and q8_0)")
    export.add_argument("--out", help="where the GGUF files go (default FOLDER/gguf)")
    export.add_argument("--json", action="store_true", help="print the result as JSON")
    export.set_defaults(func=lambda a: sys.exit(cmd_export(a)))

    publish = subparsers.add_parser("publish", help="publish a model or training output folder to Ollama or the Hub")
    publish.add_argument("target", choices=["ollama", "hub"])
    publish.add_argument("folder")
    publish.add_argument("--name", help="Ollama model name, e.g. support-bot:v3")
    publish.add_argument("--url", default="http://localhost:11434", help="Ollama server URL")
    publish.add_argument("--quant", default="q8_0", choices=OUT_TYPES)
    publish.add_argument("--system", help="default SYSTEM prompt (default: the chat template's own)")
    publish.add_argument("--repo", help="Hub repository, owner/name")
    publish.add_argument("--public", action="store_true", help="make the Hub repository public (default private)")
    publish.add_argument("--merged", action="store_true", help="upload the adapter merged into its base")
    publish.add_argument("--token-env", default="HF_TOKEN", help="environment variable holding the Hub token")
    publish.add_argument("--out", help="working folder (default FOLDER/publish)")
    publish.add_argument("--json", action="store_true")
    publish.set_defaults(func=lambda a: sys.exit(_checked(a)))


def _checked(args: argparse.Namespace) -> int:
    if args.target == "ollama" and not args.name:
        print("error: --name is needed for Ollama (e.g. --name support-bot:v3)", file=sys.stderr)
        return 2
    if args.target == "hub" and not args.repo:
        print("error: --repo owner/name is needed for the Hub", file=sys.stderr)
        return 2
    return cmd_publish(args)
