"""GGUF export with llama.cpp's own converter, and the checks that the exported model still answers
like the one that was trained.

- `find_converter()`: `convert_hf_to_gguf.py`, installed by `make setup` into `.venv/share/llama.cpp`
  (scripts/bootstrap.sh takes it, its `conversion/` package and its own `gguf-py` out of the
  llama-cpp-python sdist on PyPI; nothing is compiled).
- `preflight(folder)`: refuses, before any work, an architecture the converter does not register or
  a tokenizer it cannot read (it runs the converter with `--vocab-only`: seconds, no weights read).
- `export_gguf(folder, out_path, quant_type)`: the converter in a subprocess with a clean
  environment, a time limit and cancellation; a LoRA adapter folder is merged into its base first.
- `verify_gguf(original, gguf, prompts)`: the GGUF loaded back (transformers' GGUF loader) answers
  the check prompts greedily; answers and next-token predictions are compared with the original's.
- `merge_and_check(adapter, out_dir)`: merge a LoRA adapter and measure how far the merged model's
  logits are from base + adapter on the check prompts.

The training library's rule holds: nothing here imports the rest of TuneForge.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tuneforge.training.export import ExportError, merge_lora

# The converter's --outtype values (llama.cpp's convert_hf_to_gguf.py; "auto" picks f16 or bf16).
# tq1_0/tq2_0 are ternary types meant for ternary-trained (BitNet-style) models.
OUT_TYPES: tuple[str, ...] = ("f32", "f16", "bf16", "q8_0", "tq1_0", "tq2_0")
# Which llama-cpp-python sdist scripts/bootstrap.sh takes the converter from (keep the two equal).
CONVERTER_SOURCE = "llama-cpp-python==0.3.36"
CONVERTER_ENV = "TUNEFORGE_LLAMA_CPP_DIR"  # overrides where the converter is looked for
INSTALL_HINT = (
    "Run `make setup` (scripts/bootstrap.sh): it installs llama.cpp's converter into .venv/share/llama.cpp "
    f"from the {CONVERTER_SOURCE} source package on PyPI."
)
DEFAULT_TIMEOUT_S = 3600.0
# Check prompts for the merge and GGUF checks (short, answerable, in several registers).
VERIFY_MAX_NEW_TOKENS = 48  # the GGUF check's answers, and the Ollama check's num_predict
CHECK_PROMPTS: list[list[dict[str, str]]] = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "Name three colours of the rainbow."}],
    [{"role": "user", "content": "What is 12 plus 7?"}],
    [{"role": "user", "content": "Write one sentence about the sea."}],
    [{"role": "user", "content": "Translate 'good morning' into Spanish."}],
    [{"role": "user", "content": "Is a tomato a fruit or a vegetable?"}],
    [{"role": "user", "content": "Give me a synonym for 'happy'."}],
    [{"role": "user", "content": "Say hello."}, {"role": "assistant", "content": "Hello!"},
     {"role": "user", "content": "Now say goodbye."}],
]
# Largest |logit difference| accepted between a merged model and base + adapter, per dtype.
MERGE_TOLERANCE = {"float32": 1e-3, "float16": 5e-2, "bfloat16": 2.5e-1}
_DTYPES = {"float32": "fp32", "fp32": "fp32", "float16": "fp16", "fp16": "fp16", "bfloat16": "bf16", "bf16": "bf16"}
_DTYPE_NAMES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
# Files the converter reads to build the vocabulary (config.json comes from the base for an adapter).
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                    "chat_template.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json",
                    "generation_config.json")


class GGUFError(ExportError):
    """The export or a check cannot be done; `message` says why, `hint` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}. {self.hint}" if self.hint else self.message


class GGUFCancelled(GGUFError):
    """The export was stopped on request; nothing was left behind."""


@dataclass(frozen=True)
class GGUFExport:
    path: Path
    quant_type: str
    size: int
    sha256: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


# -- the converter -------------------------------------------------------------------------------------


def find_converter() -> Path:
    """The path of llama.cpp's `convert_hf_to_gguf.py`, or GGUFError saying how to install it."""
    root = Path(os.environ.get(CONVERTER_ENV) or Path(sys.prefix) / "share" / "llama.cpp")
    script = root / "convert_hf_to_gguf.py"
    missing = [p.name for p in (script, root / "conversion", root / "gguf-py" / "gguf") if not p.exists()]
    if missing:
        raise GGUFError(f"llama.cpp's GGUF converter is not installed (no {', '.join(missing)} in {root})", INSTALL_HINT)
    return script


def supported_architectures(converter: Path | None = None) -> frozenset[str]:
    """The Hugging Face architectures (config.json `architectures`) the converter registers.

    Read from its `conversion/__init__.py` table without importing it (that would import torch)."""
    source = ((converter or find_converter()).parent / "conversion" / "__init__.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if getattr(target, "id", None) == "TEXT_MODEL_MAP" and node.value is not None:
            return frozenset(ast.literal_eval(node.value))
    raise GGUFError("cannot read the architectures llama.cpp's converter supports", INSTALL_HINT)


def converter_out_types(converter: Path | None = None) -> tuple[str, ...]:
    """The --outtype choices the installed converter declares (without "auto")."""
    source = (converter or find_converter()).read_text(encoding="utf-8")
    match = re.search(r'"--outtype".*?choices=\[([^\]]*)\]', source, re.S)
    if not match:
        raise GGUFError("cannot read the output types of llama.cpp's converter", INSTALL_HINT)
    return tuple(t for t in ast.literal_eval(f"[{match.group(1)}]") if t != "auto")


def _stop_check(should_stop: Callable[[], bool] | threading.Event | None) -> Callable[[], bool]:
    if should_stop is None:
        return lambda: False
    if isinstance(should_stop, threading.Event):
        return should_stop.is_set
    return should_stop


def _clean_env(converter: Path) -> dict[str, str]:
    """Only what the converter needs: no tokens, no credentials, no network."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        # The converter puts its own gguf-py first on sys.path; so does this, for what it spawns.
        "PYTHONPATH": str(converter.parent / "gguf-py"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    for key in ("TMPDIR", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    return env


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _tail(path: Path, size: int = 16_000) -> str:
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - size))
        return fh.read().decode("utf-8", "replace").replace("\r", "\n")


def _run_converter(args: list[str], *, timeout: float, should_stop: Callable[[], bool],
                   progress: Callable[[float], None] | None = None) -> tuple[int, str]:
    """Run the converter; return (exit code, the end of its output). Raises GGUFCancelled / GGUFError
    (time limit) after killing it."""
    converter = find_converter()
    with tempfile.NamedTemporaryFile(prefix="tuneforge-gguf-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    try:
        with open(log_path, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, str(converter), *args], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=_clean_env(converter), cwd=str(converter.parent), start_new_session=True,
            )
            deadline = time.monotonic() + timeout
            last_report = -1.0
            while True:
                try:
                    process.wait(timeout=0.25)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if should_stop():
                    _kill(process)
                    raise GGUFCancelled("the GGUF export was cancelled", "Start it again when you want the file.")
                if time.monotonic() > deadline:
                    _kill(process)
                    raise GGUFError(f"llama.cpp's converter took longer than {timeout:.0f} s and was stopped",
                                    "Try again on a less busy machine, or raise the export's time limit.")
                if progress is not None:
                    found = re.findall(r"Writing:\s+(\d+)%", _tail(log_path, 400))
                    if found and float(found[-1]) != last_report:
                        last_report = float(found[-1])
                        progress(last_report / 100.0)
        return process.returncode, _tail(log_path)
    finally:
        log_path.unlink(missing_ok=True)


def _converter_failure(output: str, folder: Path) -> GGUFError:
    """The converter's failure in plain words."""
    if "BPE pre-tokenizer was not recognized" in output:
        return GGUFError(
            "llama.cpp cannot convert this model: its tokenizer's pre-tokenizer is not one llama.cpp knows "
            "(llama.cpp recognises a BPE tokenizer by how it splits a fixed test text, and this tokenizer "
            "matches none of the model families it supports — a tokenizer trained from scratch, such as "
            "tiny-llama's, never does)",
            "Export a model fine-tuned from a base whose tokenizer llama.cpp supports (e.g. SmolLM2, Llama, Qwen, "
            "Mistral); the safetensors and Hub exports work for any model.",
        )
    unsupported = re.search(r"Model (\S+) is not supported", output)
    if unsupported:
        return _unsupported(unsupported.group(1))
    if "sentencepiece" in output and "ModuleNotFoundError" in output:
        return GGUFError("llama.cpp's converter needs the sentencepiece package for this tokenizer",
                         "Run `make setup` (it installs the training extras, sentencepiece among them).")
    if "ModuleNotFoundError" in output:
        module = re.findall(r"No module named '([^']+)'", output)
        return GGUFError(f"llama.cpp's converter is missing the Python module {module[-1] if module else '?'}",
                         INSTALL_HINT)
    if "No space left on device" in output:
        return GGUFError("the disk filled up while writing the GGUF file", "Free space on the storage volume, then export again.")
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line) or line.startswith("ERROR")]
    last = (errors or lines or ["no output"])[-1]
    return GGUFError(f"llama.cpp's converter could not convert {folder.name}: {last[:500]}",
                     "Check that the folder holds a complete Hugging Face model (config.json, weights, tokenizer).")


def _unsupported(architecture: str) -> GGUFError:
    return GGUFError(
        f"llama.cpp's converter does not support the architecture {architecture}",
        "Export safetensors (or publish to the Hub) instead; GGUF needs an architecture llama.cpp runs.",
    )


# -- folders -------------------------------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _is_adapter(folder: Path) -> bool:
    return (folder / "adapter_config.json").exists() and not (folder / "config.json").exists()


def _adapter_base(adapter: Path, base_folder: str | Path | None) -> Path:
    if base_folder is not None:
        return Path(base_folder)
    from tuneforge.training.loading import resolve_base_model

    name = _read_json(adapter / "adapter_config.json").get("base_model_name_or_path")
    if not name:
        raise GGUFError(f"{adapter} is a LoRA adapter that does not name its base model",
                        "Pass the base model's folder explicitly.")
    return resolve_base_model(name)


def _architecture(config_folder: Path) -> str:
    config = config_folder / "config.json"
    if not config.exists():
        raise GGUFError(f"{config_folder} holds no model (no config.json)",
                        "Point the export at a Hugging Face model folder or a finished run's output folder.")
    architectures = _read_json(config).get("architectures") or []
    if not architectures:
        raise GGUFError(f"{config} names no architecture", "Save the model with transformers' save_pretrained.")
    return architectures[0]


def preflight(folder: str | Path, *, base_folder: str | Path | None = None, timeout: float = 300.0) -> dict[str, Any]:
    """Check, before any work, that llama.cpp's converter can convert this model folder (or adapter).

    Returns {"architecture", "vocab_type", "pre_tokenizer"} or raises GGUFError with the reason."""
    folder = Path(folder).absolute()
    converter = find_converter()
    config_folder = _adapter_base(folder, base_folder) if _is_adapter(folder) else folder
    architecture = _architecture(config_folder)
    if architecture not in supported_architectures(converter):
        raise _unsupported(architecture)
    # The vocabulary alone: config.json and the tokenizer files side by side, no weights.
    with tempfile.TemporaryDirectory(prefix="tuneforge-preflight-") as tmp:
        probe = Path(tmp) / "model"
        probe.mkdir()
        shutil.copy2(config_folder / "config.json", probe / "config.json")
        for name in _TOKENIZER_FILES:
            source = folder / name if (folder / name).exists() else config_folder / name
            if source.exists():
                shutil.copy2(source, probe / name)
        out = Path(tmp) / "vocab.gguf"
        code, output = _run_converter([str(probe), "--vocab-only", "--outfile", str(out)], timeout=timeout,
                                      should_stop=lambda: False)
        if code != 0 or not out.exists():
            raise _converter_failure(output, folder)
        from gguf import GGUFReader

        fields = GGUFReader(out).fields

        def text(key: str) -> str | None:
            field = fields.get(key)
            return field.contents() if field is not None else None

        return {"architecture": architecture, "vocab_type": text("tokenizer.ggml.model"),
                "pre_tokenizer": text("tokenizer.ggml.pre")}


# -- export --------------------------------------------------------------------------------------------


def sha256_of(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def export_gguf(
    folder: str | Path,
    out_path: str | Path,
    quant_type: str = "q8_0",
    *,
    base_folder: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    should_stop: Callable[[], bool] | threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
    work_dir: str | Path | None = None,
    model_name: str | None = None,
) -> GGUFExport:
    """Convert a model folder (or a LoRA adapter folder, merged into its base first) to one GGUF file.

    The converter runs in its own process group with a clean environment; `should_stop` (a callable
    or threading.Event) cancels it and `timeout` bounds it — either way the partial file is removed.
    `progress` gets fractions of the writing phase. Returns path, size, sha256 and seconds taken.
    Run `preflight()` first when refusing early matters (a launch): this checks the architecture only
    and reports the converter's own refusal in plain words.
    """
    started = time.monotonic()
    folder, out_path = Path(folder).absolute(), Path(out_path).absolute()  # the converter runs elsewhere
    if quant_type not in OUT_TYPES:
        raise GGUFError(f"unknown GGUF type {quant_type!r}", f"Use one of: {', '.join(OUT_TYPES)}.")
    stop = _stop_check(should_stop)
    converter = find_converter()
    config_folder = _adapter_base(folder, base_folder) if _is_adapter(folder) else folder
    if _architecture(config_folder) not in supported_architectures(converter):
        raise _unsupported(_architecture(config_folder))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".part")
    merged_dir: Path | None = None
    try:
        source = folder
        if _is_adapter(folder):
            merged_dir = Path(tempfile.mkdtemp(prefix="tuneforge-merged-", dir=work_dir))
            source = merge_lora(config_folder, folder, merged_dir)
            if stop():
                raise GGUFCancelled("the GGUF export was cancelled", "Start it again when you want the file.")
        code, output = _run_converter(
            [str(source), "--outfile", str(partial), "--outtype", quant_type,
             # the name llama.cpp and Ollama show (else a merged adapter is named after its temporary folder)
             *(["--model-name", model_name] if model_name else [])],
            timeout=timeout, should_stop=stop, progress=progress,
        )
        if code != 0 or not partial.exists():
            raise _converter_failure(output, folder)
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
        if merged_dir is not None:
            shutil.rmtree(merged_dir, ignore_errors=True)
    return GGUFExport(path=out_path, quant_type=quant_type, size=out_path.stat().st_size,
                      sha256=sha256_of(out_path), seconds=round(time.monotonic() - started, 2))


# -- loading a GGUF back -------------------------------------------------------------------------------

_LOAD_LOCK = threading.Lock()
_NAME_MAP_CACHED = False


def _cache_tensor_name_maps() -> None:
    """transformers' GGUF loader builds gguf's tensor-name table once per module (~400 times for a
    30-layer model, ~5 s); the table depends only on (architecture, layers), so memoise it."""
    global _NAME_MAP_CACHED
    if _NAME_MAP_CACHED:
        return
    import functools

    import gguf

    if not hasattr(gguf.get_tensor_name_map, "cache_info"):
        gguf.get_tensor_name_map = functools.lru_cache(maxsize=32)(gguf.get_tensor_name_map)
    _NAME_MAP_CACHED = True


def load_gguf(gguf_path: str | Path):
    """(model, tokenizer) from a GGUF file with transformers' GGUF loader (weights dequantised to fp32).

    transformers parses the file's header (the whole vocabulary) once for the tokenizer, once for the
    config and once for the weights; while loading, the three share one parse."""
    import gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(gguf_path)
    if not gguf_path.is_file():
        raise GGUFError(f"no GGUF file at {gguf_path}", "Export the model to GGUF first.")
    _cache_tensor_name_maps()
    with _LOAD_LOCK:
        reader_class, readers = gguf.GGUFReader, {}

        def shared_reader(path, *args, **kwargs):
            key = (str(Path(path).resolve()), args, tuple(sorted(kwargs.items())))
            if key not in readers:
                readers[key] = reader_class(path, *args, **kwargs)
            return readers[key]

        gguf.GGUFReader = shared_reader
        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
            model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        except (ValueError, KeyError, NotImplementedError) as exc:
            raise GGUFError(f"transformers cannot load {gguf_path.name} back to check it: {exc}",
                            "The file may still work in llama.cpp or Ollama, but it cannot be verified here.") from exc
        finally:
            gguf.GGUFReader = reader_class
    model.eval()
    return model, tokenizer


def _load_original(folder: Path, dtype=None):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = dtype or torch.float32
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if _is_adapter(folder):
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(_adapter_base(folder, None), dtype=dtype)
        if base.get_input_embeddings().weight.shape[0] != len(tokenizer):
            base.resize_token_embeddings(len(tokenizer))
        model = PeftModel.from_pretrained(base, folder)
    else:
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    model.eval()
    return model, tokenizer


def _prompt_ids(tokenizer, messages: list[dict]):
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return text, tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids


def _eos_ids(model, tokenizer) -> list[int]:
    ids = model.generation_config.eos_token_id
    ids = list(ids) if isinstance(ids, (list, tuple)) else ([ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return list(dict.fromkeys(ids))


def _greedy(model, ids, eos: list[int], max_new_tokens: int, pad: int | None) -> list[int]:
    import torch

    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                             do_sample=False, eos_token_id=eos, pad_token_id=pad if pad is not None else eos[0])
    return out[0, ids.shape[1]:].tolist()


def reference_answers(folder: str | Path, prompts: list[list[dict]] | None = None, *,
                      max_new_tokens: int = 64) -> list[dict[str, Any]]:
    """The original model's greedy answers to the check prompts: [{"prompt", "answer", "done_reason"}]
    ("stop" when it ended on an end-of-turn token, "length" when it ran out of tokens)."""
    model, tokenizer = _load_original(Path(folder))
    eos = _eos_ids(model, tokenizer)
    answers = []
    for messages in prompts or CHECK_PROMPTS:
        _, ids = _prompt_ids(tokenizer, messages)
        tokens = _greedy(model, ids, eos, max_new_tokens, tokenizer.pad_token_id)
        ended = bool(tokens) and tokens[-1] in eos
        answers.append({"prompt": messages[-1]["content"], "done_reason": "stop" if ended else "length",
                        "answer": tokenizer.decode(tokens, skip_special_tokens=True, clean_up_tokenization_spaces=False)})
    return answers


def verify_gguf(
    original_folder: str | Path,
    gguf_path: str | Path,
    prompts: list[list[dict]] | None = None,
    *,
    max_new_tokens: int = VERIFY_MAX_NEW_TOKENS,
    should_stop: Callable[[], bool] | threading.Event | None = None,
) -> dict[str, Any]:
    """Load the GGUF back and compare it with the original model on the check prompts.

    Both get the same prompt tokens (the original tokenizer's chat template). Reported:
    - agree: prompts whose greedy answers are token-for-token the same;
    - next_token_agreement: along the original's answers, how often both predict the same next token;
    - tokens_match: the GGUF's own tokenizer (as transformers rebuilds it) splits the prompts the same;
    - first_disagreement: the first prompt whose answers differ, both answers side by side.
    """
    import torch

    started = time.monotonic()
    stop = _stop_check(should_stop)
    prompts = prompts or CHECK_PROMPTS
    original, tokenizer = _load_original(Path(original_folder))
    gguf_model, gguf_tokenizer = load_gguf(gguf_path)
    eos = _eos_ids(original, tokenizer)
    agree, same_next, positions, tokens_match = 0, 0, 0, True
    first: dict[str, str] | None = None
    answers = []
    for messages in prompts:
        if stop():
            raise GGUFCancelled("the GGUF check was cancelled", "Run it again to verify the file.")
        text, ids = _prompt_ids(tokenizer, messages)
        tokens_match &= gguf_tokenizer(text, add_special_tokens=False).input_ids == ids[0].tolist()
        expected = _greedy(original, ids, eos, max_new_tokens, tokenizer.pad_token_id)
        got = _greedy(gguf_model, ids, eos, max_new_tokens, tokenizer.pad_token_id)
        # Teacher-forced along the original answer: the next-token choice at every position.
        full = torch.tensor([ids[0].tolist() + expected])
        with torch.no_grad():
            a = original(full).logits[0, ids.shape[1] - 1: full.shape[1] - 1].argmax(-1)
            b = gguf_model(full).logits[0, ids.shape[1] - 1: full.shape[1] - 1].argmax(-1)
        same_next += int((a == b).sum())
        positions += int(a.numel())
        original_text = tokenizer.decode(expected, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        gguf_text = tokenizer.decode(got, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        answers.append({"prompt": messages[-1]["content"], "original": original_text, "gguf": gguf_text,
                        "agree": expected == got,
                        # how the GGUF's own answer ended: what a server running this file must reproduce
                        "gguf_done_reason": "stop" if got and got[-1] in eos else "length"})
        if expected == got:
            agree += 1
        elif first is None:
            first = {"prompt": messages[-1]["content"], "original": original_text, "gguf": gguf_text}
    return {
        "prompts": len(prompts),
        "agree": agree,
        "next_token_agreement": round(same_next / positions, 4) if positions else 1.0,
        "tokens_match": tokens_match,
        "first_disagreement": first,
        "answers": answers,
        "max_new_tokens": max_new_tokens,
        "seconds": round(time.monotonic() - started, 2),
    }


# -- merge check ---------------------------------------------------------------------------------------


def merge_and_check(
    adapter_folder: str | Path,
    out_dir: str | Path,
    dtype: str = "float32",
    *,
    base_folder: str | Path | None = None,
    prompts: list[list[dict]] | None = None,
) -> dict[str, Any]:
    """Merge a LoRA adapter into its base (saved to `out_dir` in `dtype`), then compare the merged
    model's logits with base + adapter's on the check prompts.

    Returns {"path", "dtype", "max_abs_logit_diff", "tolerance", "ok", "adapter_effect" (how far the
    adapter moves the base's logits: a check that compares nothing would show 0), "prompts", "seconds"};
    for float32 the difference must be at most 1e-3."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.monotonic()
    if dtype not in _DTYPES:
        raise GGUFError(f"unknown dtype {dtype!r}", "Use float32, float16 or bfloat16.")
    short = _DTYPES[dtype]
    name = _DTYPE_NAMES[short]
    torch_dtype = getattr(torch, name)
    adapter_folder = Path(adapter_folder)
    if not (adapter_folder / "adapter_config.json").exists():
        raise GGUFError(f"{adapter_folder} is not a LoRA adapter (no adapter_config.json)",
                        "Merging applies to adapter outputs; a full fine-tune is already a complete model.")
    base = _adapter_base(adapter_folder, base_folder)
    merged_path = merge_lora(base, adapter_folder, out_dir, dtype=short)

    tokenizer = AutoTokenizer.from_pretrained(merged_path)
    reference = AutoModelForCausalLM.from_pretrained(base, dtype=torch_dtype)
    if reference.get_input_embeddings().weight.shape[0] != len(tokenizer):
        reference.resize_token_embeddings(len(tokenizer))
    reference = PeftModel.from_pretrained(reference, adapter_folder).eval()
    merged = AutoModelForCausalLM.from_pretrained(merged_path, dtype=torch_dtype).eval()
    worst = effect = 0.0
    prompts = prompts or CHECK_PROMPTS
    with torch.no_grad():
        for messages in prompts:
            _, ids = _prompt_ids(tokenizer, messages)
            a = reference(ids).logits.float()
            b = merged(ids).logits.float()
            worst = max(worst, float((a - b).abs().max()))
            with reference.disable_adapter():
                effect = max(effect, float((reference(ids).logits.float() - a).abs().max()))
    return {"path": str(merged_path), "dtype": name, "max_abs_logit_diff": worst, "tolerance": MERGE_TOLERANCE[name],
            "ok": worst <= MERGE_TOLERANCE[name], "adapter_effect": effect, "prompts": len(prompts),
            "seconds": round(time.monotonic() - started, 2)}
