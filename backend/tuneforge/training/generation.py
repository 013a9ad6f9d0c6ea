"""The playground's generation engine: load trained models once, answer chat conversations, stream.

Pure training library (imports nothing else of TuneForge):

- `ModelCache.acquire(folder, use_adapter=...)` -> a `LoadedModel`: a run's output folder (full
  weights or a LoRA adapter), a plain model folder, or a bundled name. LoRA adapters share their
  base: the base is loaded once per base folder and each adapter is attached with peft and selected
  with `set_adapter`, so switching between adapters of one base never reloads it. Least recently
  used models are evicted past `max_bytes` (parameters x element size).
- `generate(loaded, messages, params, on_text=..., should_stop=...)` -> a `GenerationResult`:
  `transformers`' own `generate` (greedy is token for token `do_sample=False`) with a streamer that
  decodes incrementally and a stopping criterion for cancel and stop strings.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import math
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneforge.training.catalogue import SMOLLM2, TINY_LLAMA
from tuneforge.training.loading import TEMPLATE_TOKENS, default_cache_dir, load_tokenizer, resolve_base_model

BUNDLED_NAMES = (TINY_LLAMA, SMOLLM2, f"HuggingFaceTB/{SMOLLM2}", "smollm2")
# Tokens that end an assistant turn in common chat templates (generation stops at the ones the
# template uses, besides the tokenizer's eos).
END_OF_TURN_TOKENS = tuple(
    dict.fromkeys([end for _, end in TEMPLATE_TOKENS.values() if end] + ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|end_of_text|>"])
)
FINISH_REASONS = ("stop", "stop_string", "length", "cancelled")


# -- errors ---------------------------------------------------------------------------------------


class PromptTooLong(ValueError):
    """The conversation does not fit the model's context (with room for one new token)."""

    def __init__(self, prompt_tokens: int, limit: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.limit = limit
        super().__init__(
            f"The conversation is {prompt_tokens:,} tokens; this model reads at most {limit:,}. "
            "Shorten it or start a new chat."
        )


class ModelFilesBroken(ValueError):
    """A model folder that is missing, incomplete or corrupt. The message names the file (never a
    server path); `.path` holds the full path for logs."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(message)


class NotAChatModel(ValueError):
    """A folder that holds a model which cannot write answers (a reward model)."""


# -- parameters and result --------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationParams:
    system: str | None = None  # prepended as a system message when given (and the conversation has none)
    temperature: float = 0.0  # 0 => greedy (do_sample=False)
    top_p: float = 1.0
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()  # the answer is cut before the first stop string
    seed: int | None = None  # torch.manual_seed when sampling

    def validate(self) -> None:
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ValueError("temperature must be a number >= 0")
        if not (0 < self.top_p <= 1):
            raise ValueError("top_p must be in (0, 1]")
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if any(not isinstance(s, str) or not s for s in self.stop):
            raise ValueError("stop strings must be non-empty strings")


@dataclass
class GenerationResult:
    text: str  # exactly the streamed pieces joined (skip_special_tokens; cut before a stop string)
    token_ids: list[int]  # every generated token, as model.generate returns them (eos / stop tokens included)
    finish_reason: str  # "stop" (eos / end of turn), "stop_string", "length", "cancelled"
    prompt_tokens: int
    new_tokens: int
    rendered_prompt: str
    first_token_s: float | None  # seconds from the call to the first new token
    tokens_per_s: float | None  # new tokens after the first / time after the first
    load_s: float  # time `acquire` spent loading models for this handle
    cold: bool  # whether that acquire loaded anything


# -- model files ------------------------------------------------------------------------------------


def _plain_size(n: int) -> str:
    return f"{n:,} bytes"


def _read_json(path: Path, folder: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFilesBroken(f"The saved model is missing its {path.name}.", path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFilesBroken(f"The saved model's {path.name} is damaged (not readable JSON).", path) from None
    if not isinstance(data, dict):
        raise ModelFilesBroken(f"The saved model's {path.name} is damaged (not a JSON object).", path)
    return data


def safetensors_header(path: Path) -> dict:
    """The header of a safetensors file, after checking the file holds all the bytes it announces."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise ModelFilesBroken(f"The saved model's {path.name} is empty or cut short.", path)
            (n,) = struct.unpack("<Q", head)
            if n > min(size, 100_000_000):
                raise ModelFilesBroken(f"The saved model's {path.name} is damaged (bad header).", path)
            header = json.loads(f.read(n))
    except FileNotFoundError:
        raise ModelFilesBroken(f"The saved model is missing its {path.name}.", path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFilesBroken(f"The saved model's {path.name} is damaged (bad header).", path) from None
    if not isinstance(header, dict):
        raise ModelFilesBroken(f"The saved model's {path.name} is damaged (bad header).", path)
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            end = max(end, int(info["data_offsets"][1]))
        except (KeyError, IndexError, TypeError, ValueError):
            raise ModelFilesBroken(f"The saved model's {path.name} is damaged (bad header).", path) from None
    expected = 8 + n + end
    if size < expected:
        raise ModelFilesBroken(
            f"The saved model's {path.name} is incomplete ({_plain_size(size)} of {_plain_size(expected)}): "
            "it was not fully written or copied. Train the run again or restore the file.",
            path,
        )
    return header


_DTYPE_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2}


def _weight_files(folder: Path) -> list[Path]:
    """The weight files a full model folder needs (checked to exist and, for safetensors, complete)."""
    single = folder / "model.safetensors"
    index = folder / "model.safetensors.index.json"
    if index.exists():
        weight_map = _read_json(index, folder).get("weight_map") or {}
        files = [folder / name for name in sorted(set(weight_map.values()))]
        if not files:
            raise ModelFilesBroken(f"The saved model's {index.name} lists no weight files.", index)
        return files
    if single.exists():
        return [single]
    for name in ("pytorch_model.bin", "model.pt"):
        if (folder / name).exists():
            return [folder / name]
    if (folder / "pytorch_model.bin.index.json").exists():
        weight_map = _read_json(folder / "pytorch_model.bin.index.json", folder).get("weight_map") or {}
        return [folder / name for name in sorted(set(weight_map.values()))]
    raise ModelFilesBroken("The saved model is missing its weights (model.safetensors).", single)


def _check_weights(files: list[Path]) -> list[dict]:
    headers = []
    for path in files:
        if path.suffix == ".safetensors":
            headers.append(safetensors_header(path))
        elif not path.exists():
            raise ModelFilesBroken(f"The saved model is missing its {path.name}.", path)
        elif path.stat().st_size == 0:
            raise ModelFilesBroken(f"The saved model's {path.name} is empty.", path)
    return headers


def _check_tokenizer(folder: Path) -> None:
    if not any((folder / name).exists() for name in ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")):
        raise ModelFilesBroken("The saved model is missing its tokenizer (tokenizer.json).", folder / "tokenizer.json")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (folder / name).exists():
            _read_json(folder / name, folder)


def _estimate_bytes(headers: list[dict], element_size: int) -> int:
    """What a model will take once loaded with `element_size` bytes per floating-point element."""
    total = 0
    for header in headers:
        for name, info in header.items():
            if name == "__metadata__":
                continue
            numel = math.prod(info.get("shape") or [1])
            dtype = info.get("dtype", "F32")
            total += numel * (element_size if dtype in ("F64", "F32", "F16", "BF16") else _DTYPE_BYTES.get(dtype, 1))
    return total


def _module_bytes(module) -> int:
    """Estimated memory of a loaded model: every parameter and buffer, numel x element size."""
    seen: set[int] = set()
    total = 0
    for tensor in [*module.parameters(), *module.buffers()]:
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        total += tensor.numel() * tensor.element_size()
    return total


# -- the cache --------------------------------------------------------------------------------------


@dataclass
class _Adapter:
    key: str
    name: str  # the peft adapter name
    folder: Path


@dataclass
class _Entry:
    """One loaded base model (or full model) and the adapters attached to it."""

    key: str
    path: Path
    model: Any  # the transformers model
    peft: Any = None  # the PeftModel wrapping `model` once an adapter is attached
    adapters: OrderedDict = field(default_factory=OrderedDict)  # adapter key -> _Adapter, LRU order
    bytes: int = 0
    max_positions: int | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def measure(self) -> None:
        self.bytes = _module_bytes(self.peft if self.peft is not None else self.model)


@dataclass
class LoadedModel:
    """What `acquire` hands out: a model ready to answer with one tokenizer, adapter on or off."""

    key: str  # the cache key of what answers (the adapter's key, or the base / full model's)
    folder: Path  # the folder asked for (its tokenizer renders the prompts)
    tokenizer: Any
    adapter_name: str | None  # the peft adapter switched on while generating; None = no adapter
    device: str
    max_positions: int | None  # the model's context (config.max_position_embeddings)
    eos_token_ids: list[int]
    load_s: float
    cold: bool
    _entry: _Entry = field(repr=False)
    _cache: ModelCache = field(repr=False)
    _use_adapter: bool = True

    @property
    def model(self):
        """The module `generate` runs (the PeftModel when adapters are attached)."""
        return self._entry.peft if self._entry.peft is not None else self._entry.model

    @contextlib.contextmanager
    def activated(self) -> Iterator[Any]:
        """The model with this handle's adapter selected (or every adapter disabled), held
        exclusively: generations on one base model run one at a time."""
        with self._entry.lock:
            peft = self._entry.peft
            if peft is None:
                yield self._entry.model
            elif self.adapter_name is None:
                with peft.disable_adapter():
                    yield peft
            else:
                if self.adapter_name not in peft.peft_config:
                    raise RuntimeError("the adapter was evicted from the cache; acquire the model again")
                peft.set_adapter(self.adapter_name, inference_mode=True)
                yield peft


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _adapter_name(folder: Path) -> str:
    return "a" + hashlib.sha256(str(folder).encode()).hexdigest()[:16]


def _max_positions(config) -> int | None:
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def eos_token_ids(tokenizer, model=None) -> list[int]:
    """The tokens that end an answer: the tokenizer's eos, the model's generation config eos, and
    the end-of-turn tokens the chat template writes (e.g. `<|im_end|>`)."""
    ids: list[int] = []
    if tokenizer.eos_token_id is not None:
        ids.append(int(tokenizer.eos_token_id))
    config_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(config_eos, int):
        ids.append(config_eos)
    elif isinstance(config_eos, (list, tuple)):
        ids += [int(i) for i in config_eos]
    template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else ""
    vocab = tokenizer.get_vocab()
    for token in END_OF_TURN_TOKENS:
        if token in template and token in vocab:
            ids.append(int(vocab[token]))
    return list(dict.fromkeys(ids))


class ModelCache:
    """Loaded models for the playground, least recently used evicted past `max_bytes`.

    Thread-safe: `acquire` holds the cache lock while it loads (loads happen one at a time), and
    attaching an adapter waits for a generation running on the same base to finish.
    """

    TOKENIZERS = 32

    def __init__(
        self,
        *,
        max_bytes: int,
        model_cache_dir: str | Path | None = None,
        device: str | None = None,
        dtype: str | None = None,
    ) -> None:
        self.max_bytes = int(max_bytes)
        self.model_cache_dir = Path(model_cache_dir) if model_cache_dir else default_cache_dir()
        self.device = device or _default_device()
        self._dtype_name = dtype
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._tokenizers: OrderedDict[str, Any] = OrderedDict()  # folder -> tokenizer, the last TOKENIZERS kept
        self._lock = threading.RLock()
        self.stats: dict[str, int] = {"base_loads": 0, "adapter_loads": 0, "hits": 0, "evictions": 0}

    # -- public ---------------------------------------------------------------------------------

    def loaded(self) -> list[str]:
        """Keys of what is loaded, least recently used first: each base (or full) model's folder,
        followed by the folders of the adapters attached to it."""
        with self._lock:
            keys = []
            for entry in self._entries.values():
                keys.append(entry.key)
                keys += list(entry.adapters)
            return keys

    def loaded_bytes(self) -> int:
        with self._lock:
            return sum(e.bytes for e in self._entries.values())

    def acquire(self, folder: str | Path, *, use_adapter: bool = True) -> LoadedModel:
        started = time.perf_counter()
        with self._lock:
            before = (self.stats["base_loads"], self.stats["adapter_loads"])
            handle = self._acquire(folder, use_adapter)
            cold = (self.stats["base_loads"], self.stats["adapter_loads"]) != before
            if not cold:
                self.stats["hits"] += 1
            handle.cold = cold
            handle.load_s = time.perf_counter() - started if cold else 0.0
            return handle

    # -- resolving ------------------------------------------------------------------------------

    @property
    def dtype(self):
        import torch

        if self._dtype_name:
            return getattr(torch, self._dtype_name)
        if self.device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32

    def _locate(self, folder: str | Path) -> Path:
        text = str(folder)
        path = Path(text).expanduser()
        if path.is_dir():
            return path.resolve()
        if text in BUNDLED_NAMES:
            return resolve_base_model(text, self.model_cache_dir).resolve()
        raise ModelFilesBroken("The model's folder is missing: it was deleted or never written.", path)

    def _resolve_base(self, name: str, what: str) -> Path:
        from tuneforge.training.exceptions import TrainingError

        try:
            path = resolve_base_model(name, self.model_cache_dir)
        except TrainingError as e:
            raise ModelFilesBroken(f"The {what} cannot be loaded: {e.message}", name) from None
        if not path.is_dir():  # a Hub id: the playground loads nothing from the network
            raise ModelFilesBroken(f"The {what} ({name}) is not on this machine.", name)
        return path.resolve()

    def _tokenizer(self, folder: Path):
        key = str(folder)
        if key not in self._tokenizers:
            _check_tokenizer(folder)
            try:
                tokenizer, _, _ = load_tokenizer(folder)
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise ModelFilesBroken(f"The saved model's tokenizer cannot be read ({type(e).__name__}).", folder) from None
            self._tokenizers[key] = tokenizer
            while len(self._tokenizers) > self.TOKENIZERS:
                self._tokenizers.popitem(last=False)
        self._tokenizers.move_to_end(key)
        return self._tokenizers[key]

    def _acquire(self, folder: str | Path, use_adapter: bool) -> LoadedModel:
        path = self._locate(folder)
        if (path / "adapter_config.json").exists():
            return self._acquire_adapter(path, use_adapter)
        if not (path / "config.json").exists() and (path / "merged" / "config.json").exists():
            path = path / "merged"
        if not (path / "config.json").exists():
            raise ModelFilesBroken("The saved model is missing its config.json (and holds no adapter).", path / "config.json")
        tokenizer = self._tokenizer(path)
        if use_adapter:
            entry = self._base_entry(path, tokenizer)
            return self._handle(entry, path, tokenizer, None, None, use_adapter)
        spec_file = path / "spec.json"
        base_name = _read_json(spec_file, path).get("base_model") if spec_file.exists() else None
        if not isinstance(base_name, str) or not base_name:
            raise ModelFilesBroken(
                "This model's base model is unknown (its spec.json does not name one), so it cannot answer as the base.",
                spec_file,
            )
        base_path = self._resolve_base(base_name, "base model")
        entry = self._base_entry(base_path, tokenizer)
        return self._handle(entry, path, tokenizer, None, None, use_adapter)

    def _acquire_adapter(self, folder: Path, use_adapter: bool) -> LoadedModel:
        config = _read_json(folder / "adapter_config.json", folder)
        tokenizer = self._tokenizer(folder)
        weights = folder / "adapter_model.safetensors"
        header: dict = {}
        if weights.exists():
            header = safetensors_header(weights)
        elif not (folder / "adapter_model.bin").exists():
            raise ModelFilesBroken("The saved adapter is missing its weights (adapter_model.safetensors).", weights)
        base_name = config.get("base_model_name_or_path")
        if not isinstance(base_name, str) or not base_name:
            raise ModelFilesBroken("The saved adapter's adapter_config.json does not name its base model.", folder / "adapter_config.json")
        base_path = self._resolve_base(base_name, "adapter's base model")
        if not use_adapter:
            entry = self._base_entry(base_path, tokenizer)
            return self._handle(entry, folder, tokenizer, None, None, use_adapter)
        # An adapter that carries whole weights of the base (resized embeddings, saved with it)
        # would overwrite them in a shared base: it gets a base of its own.
        modules_to_save = config.get("modules_to_save") or []
        own_weights = [
            k for k in header
            if k != "__metadata__" and "lora_" not in k and "trainable_tokens" not in k
            and not any(f".{m}." in k or k.endswith(f".{m}") for m in modules_to_save)
        ]
        private = bool(own_weights)
        entry = self._base_entry(base_path, tokenizer, private_for=folder if private else None)
        adapter_key = str(folder)
        with entry.lock:
            adapter = entry.adapters.get(adapter_key)
            if adapter is None:
                adapter = self._attach(entry, folder)
            entry.adapters.move_to_end(adapter_key)
        self._evict(protect=entry, protect_adapter=adapter_key)
        return self._handle(entry, folder, tokenizer, adapter.name, adapter_key, use_adapter)

    def _handle(self, entry: _Entry, folder: Path, tokenizer, adapter_name, adapter_key, use_adapter) -> LoadedModel:
        return LoadedModel(
            key=adapter_key or entry.key,
            folder=folder,
            tokenizer=tokenizer,
            adapter_name=adapter_name,
            device=self.device,
            max_positions=entry.max_positions,
            eos_token_ids=eos_token_ids(tokenizer, entry.model),
            load_s=0.0,
            cold=False,
            _entry=entry,
            _cache=self,
            _use_adapter=use_adapter,
        )

    # -- loading --------------------------------------------------------------------------------

    def _base_entry(self, path: Path, tokenizer, private_for: Path | None = None) -> _Entry:
        """The loaded model of `path`, loaded now if needed. A tokenizer larger than the model's
        vocabulary (chat-template tokens added in training) needs resized embeddings: such a model
        is kept apart from the shared one, as is the base of an adapter that carries base weights."""
        config = _read_json(path / "config.json", path)
        architectures = config.get("architectures") or []
        if any("SequenceClassification" in a for a in architectures):
            raise NotAChatModel("This is a reward model: it scores answers and cannot write them.")
        vocab = config.get("vocab_size") or config.get("text_config", {}).get("vocab_size")
        resize = isinstance(vocab, int) and len(tokenizer) > vocab
        key = str(path)
        if private_for is not None:
            key += f"#{private_for}"
        elif resize:
            key += f"#vocab{len(tokenizer)}"
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry
        files = _weight_files(path)
        headers = _check_weights(files)
        import torch

        element = torch.empty((), dtype=self.dtype).element_size()
        self._evict(protect=None, incoming=_estimate_bytes(headers, element))
        model = self._load_model(path)
        if resize:
            model.resize_token_embeddings(len(tokenizer))
        entry = _Entry(key=key, path=path, model=model, max_positions=_max_positions(model.config))
        entry.measure()
        self._entries[key] = entry
        self.stats["base_loads"] += 1
        self._evict(protect=entry)
        return entry

    def _load_model(self, path: Path):
        from transformers import AutoModelForCausalLM

        try:
            model = AutoModelForCausalLM.from_pretrained(path, dtype=self.dtype)
        except (OSError, ValueError, KeyError) as e:
            raise ModelFilesBroken(f"The saved model cannot be loaded ({type(e).__name__}: {str(e)[:200]}).", path) from None
        except Exception as e:  # safetensors' SafetensorError and friends
            if type(e).__name__ in ("SafetensorError", "HeaderTooLarge", "UnpicklingError"):
                raise ModelFilesBroken(f"The saved model's weights are damaged ({type(e).__name__}).", path) from None
            raise
        model.to(self.device)
        model.eval()
        return model

    def _attach(self, entry: _Entry, folder: Path) -> _Adapter:
        from peft import PeftModel

        name = _adapter_name(folder)
        try:
            if entry.peft is None:
                entry.peft = PeftModel.from_pretrained(entry.model, folder, adapter_name=name, is_trainable=False)
            else:
                entry.peft.load_adapter(folder, adapter_name=name, is_trainable=False)
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            if isinstance(e, RuntimeError) and "out of memory" in str(e).lower():
                raise
            raise ModelFilesBroken(
                f"The saved adapter does not fit its base model or is damaged ({type(e).__name__}: {str(e)[:200]}).", folder
            ) from None
        entry.peft.to(self.device)
        entry.peft.eval()
        adapter = _Adapter(key=str(folder), name=name, folder=folder)
        entry.adapters[adapter.key] = adapter
        entry.measure()
        self.stats["adapter_loads"] += 1
        return adapter

    # -- eviction -------------------------------------------------------------------------------

    def _evict(self, protect: _Entry | None, protect_adapter: str | None = None, incoming: int = 0) -> None:
        """Drop least recently used models until the loaded ones (plus `incoming`) fit `max_bytes`.
        What was just requested is never evicted. Other bases go first (whole, with their
        adapters), then other adapters of the protected base."""
        freed = False
        while sum(e.bytes for e in self._entries.values()) + incoming > self.max_bytes:
            victim = next((e for e in self._entries.values() if e is not protect), None)
            if victim is not None:
                del self._entries[victim.key]
                self.stats["evictions"] += 1
                freed = True
                continue
            if protect is None or protect.peft is None or not protect.lock.acquire(blocking=False):
                break
            try:
                spare = [k for k in protect.adapters if k != protect_adapter]
                if not spare or (protect_adapter is None and len(protect.adapters) <= 1):
                    break
                adapter = protect.adapters.pop(spare[0])
                protect.peft.delete_adapter(adapter.name)
                protect.measure()
                self.stats["evictions"] += 1
                freed = True
            finally:
                protect.lock.release()
        if freed:
            gc.collect()
            if self.device.startswith("cuda"):
                import torch

                torch.cuda.empty_cache()


# -- prompts ----------------------------------------------------------------------------------------


def render_prompt(tokenizer, messages: list[dict], params: GenerationParams) -> str:
    """The conversation rendered with the chat template, ending with the assistant's header."""
    from tuneforge.training.data import render_text

    if not messages:
        raise ValueError("the conversation has no messages")
    messages = list(messages)
    if params.system and not any(m.get("role") == "system" for m in messages):
        messages = [{"role": "system", "content": params.system}, *messages]
    return render_text(tokenizer, messages, add_generation_prompt=True)


# -- streaming --------------------------------------------------------------------------------------


def _held_tail(text: str, stops: tuple[str, ...]) -> int:
    """How many trailing characters of `text` could be the start of a stop string."""
    longest = max((len(s) for s in stops), default=0)
    for k in range(min(longest - 1, len(text)), 0, -1):
        tail = text[-k:]
        if any(s.startswith(tail) for s in stops):
            return k
    return 0


class _Tracker:
    """Follows the new tokens (as both the streamer and a stopping criterion of `generate`, whichever
    sees a token first), decodes them incrementally and emits the text that is final: never a
    partial UTF-8 character, never text that could still turn into a stop string."""

    def __init__(self, tokenizer, stops: tuple[str, ...], on_text, should_stop, started: float) -> None:
        self.tokenizer = tokenizer
        self.stops = stops
        self.on_text = on_text
        self.should_stop = should_stop
        self.started = started
        self.ids: list[int] = []
        self.pieces: list[str] = []
        self.emitted = 0  # characters emitted
        self.prompt_seen = False
        self.puts = 0
        self.first_token_at: float | None = None
        self.last_token_at: float | None = None
        self.stop_at: int | None = None  # cut position when a stop string was found
        self.cancelled = False

    def _emit(self, piece: str) -> None:
        if piece:
            self.pieces.append(piece)
            self.emitted += len(piece)
            if self.on_text is not None:
                self.on_text(piece)

    def _decode(self) -> str:
        return self.tokenizer.decode(self.ids, skip_special_tokens=True)

    def feed(self, token_id: int) -> None:
        now = time.perf_counter()
        if self.first_token_at is None:
            self.first_token_at = now
        self.last_token_at = now
        self.ids.append(int(token_id))
        if self.stop_at is not None:
            return
        text = self._decode()
        if text.endswith("\ufffd"):  # a character split across tokens: wait for the rest
            text = text.rstrip("\ufffd")
        found = [i for i in (text.find(s, self.emitted) for s in self.stops) if i >= 0]
        if found:
            self.stop_at = min(found)
            self._emit(text[self.emitted : self.stop_at])
            return
        safe = len(text) - _held_tail(text, self.stops) if self.stops else len(text)
        if safe > self.emitted:
            self._emit(text[self.emitted : safe])

    def finish(self) -> str:
        if self.stop_at is None:
            text = self._decode()
            if len(text) > self.emitted:
                self._emit(text[self.emitted :])
        return "".join(self.pieces)

    # BaseStreamer: the first put is the prompt, then one token at a time.
    def put(self, value) -> None:
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        for token in value.reshape(-1).tolist():
            self.puts += 1
            if self.puts > len(self.ids):
                self.feed(token)

    def end(self) -> None:
        pass

    # StoppingCriteria: called with every token of the sequence after each step.
    def check(self, input_ids, prompt_len: int) -> bool:
        new = input_ids[0, prompt_len:].tolist()
        for token in new[len(self.ids) :]:
            self.feed(token)
        if self.stop_at is not None:
            return True
        if self.should_stop is not None and self.should_stop():
            self.cancelled = True
            return True
        return False


def _streamer_and_criteria(tracker: _Tracker, prompt_len: int):
    import torch
    from transformers import StoppingCriteria
    from transformers.generation.streamers import BaseStreamer

    class Streamer(BaseStreamer):
        def put(self, value):
            tracker.put(value)

        def end(self):
            tracker.end()

    class Criterion(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            done = tracker.check(input_ids, prompt_len)
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

    return Streamer(), Criterion()


# -- generation -------------------------------------------------------------------------------------


def context_limit_of(loaded: LoadedModel, context_limit: int | None = None) -> int | None:
    """The most tokens (prompt + answer) the model reads: its max_position_embeddings, or less."""
    limits = [x for x in (context_limit, loaded.max_positions) if x]
    return min(limits) if limits else None


def generate(
    loaded: LoadedModel,
    messages: list[dict],
    params: GenerationParams,
    *,
    on_text: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    context_limit: int | None = None,
) -> GenerationResult:
    """One answer to `messages`. Greedy (temperature 0) equals `model.generate(do_sample=False)`
    token for token. `on_text` receives the answer's text in order as it is decoded; `should_stop`
    is polled after every token. Raises PromptTooLong before generating when the prompt does not fit."""
    import torch
    from transformers import StoppingCriteriaList

    started = time.perf_counter()
    params.validate()
    tokenizer = loaded.tokenizer
    rendered = render_prompt(tokenizer, messages, params)
    encoded = tokenizer(rendered, return_tensors="pt", add_special_tokens=False)
    prompt_tokens = int(encoded["input_ids"].shape[1])
    limit = context_limit_of(loaded, context_limit)
    max_new = params.max_new_tokens
    if limit is not None:
        if prompt_tokens + 1 > limit:
            raise PromptTooLong(prompt_tokens, limit)
        max_new = min(max_new, limit - prompt_tokens)

    tracker = _Tracker(tokenizer, tuple(params.stop), on_text, should_stop, started)

    def result(finish_reason: str) -> GenerationResult:
        text = tracker.finish()
        n = len(tracker.ids)
        first = tracker.first_token_at - started if tracker.first_token_at is not None else None
        rate = None
        if n >= 2 and tracker.last_token_at is not None and tracker.last_token_at > tracker.first_token_at:
            rate = (n - 1) / (tracker.last_token_at - tracker.first_token_at)
        return GenerationResult(
            text=text, token_ids=list(tracker.ids), finish_reason=finish_reason, prompt_tokens=prompt_tokens,
            new_tokens=n, rendered_prompt=rendered, first_token_s=first, tokens_per_s=rate,
            load_s=loaded.load_s, cold=loaded.cold,
        )

    if should_stop is not None and should_stop():
        return result("cancelled")

    eos = loaded.eos_token_ids
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (eos[0] if eos else None)
    kwargs: dict[str, Any] = {"max_new_tokens": max_new, "eos_token_id": eos, "pad_token_id": pad}
    if params.temperature > 0:
        kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p, top_k=0)
    else:
        kwargs.update(do_sample=False)
    if loaded.adapter_name is not None and loaded._entry.peft is not None and loaded.adapter_name not in loaded._entry.peft.peft_config:
        # Evicted since it was acquired (the cache made room for others): attach it again.
        loaded = loaded._cache.acquire(loaded.folder, use_adapter=True)
    streamer, criterion = _streamer_and_criteria(tracker, prompt_tokens)
    with loaded.activated() as model:
        device = next(model.parameters()).device
        encoded = encoded.to(device)
        model.eval()
        with torch.inference_mode():
            if params.temperature > 0 and params.seed is not None:
                torch.manual_seed(params.seed)
            model.generate(
                **encoded, streamer=streamer, stopping_criteria=StoppingCriteriaList([criterion]), **kwargs
            )
    if tracker.stop_at is not None:
        reason = "stop_string"
    elif tracker.cancelled:
        reason = "cancelled"
    elif tracker.ids and tracker.ids[-1] in eos:
        reason = "stop"
    else:
        reason = "length"
    return result(reason)
