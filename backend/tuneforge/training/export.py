"""Exports of a finished run: LoRA merged into its base, a model card, an Ollama Modelfile.

The Modelfile's TEMPLATE is derived from the tokenizer's own chat template rather than from a
table of model families: the Jinja template is rendered on probe conversations, the text around
each role's content is cut out, and the Go template is assembled from those pieces. The pieces
are then checked by rendering a multi-turn conversation both ways; a template that does not
decompose this way (system prompt folded into the first user turn, content rewritten, ...) is
refused instead of exported wrong. ChatML and Llama-3 style templates decompose cleanly, as do
the zephyr/alpaca fallbacks in models.py.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Probe strings: unlikely to occur in any template, and unchanged by `| trim`.
_SYS, _SYS2 = "SYSTEMPROBE1", "SYSTEMPROBE2"
_USER, _USER2 = "USERPROBE1", "USERPROBE2"
_ASSIST, _ASSIST2 = "ASSISTANTPROBE1", "ASSISTANTPROBE2"


class ExportError(ValueError):
    """The model cannot be exported this way; the message says what to do instead."""


# -- merge -----------------------------------------------------------------------------------------


def merge_peft_model(model):
    """A merged copy of a PEFT model; the trained adapter stays usable (the runner evaluates it)."""
    import copy

    return copy.deepcopy(model).merge_and_unload()


def merge_lora(
    base_model_path: str | Path,
    adapter_path: str | Path,
    output_dir: str | Path,
    *,
    dtype: str | None = None,
) -> Path:
    """Merge a LoRA adapter into its base and save a plain safetensors model with the tokenizer.

    The tokenizer (and chat template) saved with the adapter wins over the base's: training may
    have added a template or special tokens.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter_path, output_dir = Path(adapter_path), Path(output_dir)
    torch_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32, None: None}[dtype]
    tokenizer_source = adapter_path if (adapter_path / "tokenizer_config.json").exists() else Path(base_model_path)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    model = AutoModelForCausalLM.from_pretrained(base_model_path, dtype=torch_dtype or "auto")
    if model.get_input_embeddings().weight.shape[0] != len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))  # training added template tokens
    merged = PeftModel.from_pretrained(model, adapter_path).merge_and_unload()
    output_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(output_dir, safe_serialization=True)
    tokenizer.save_pretrained(output_dir)
    for extra in ("training_spec.json", "spec.json"):
        if (adapter_path / extra).exists():
            shutil.copy2(adapter_path / extra, output_dir / extra)
    return output_dir


# -- model card --------------------------------------------------------------------------------------


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return default if value is None else value


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def model_card(*, spec: Any, metrics: dict | None = None, evaluation: dict | None = None, name: str | None = None) -> str:
    """README.md text: YAML front matter for the Hub, then base model, method, data, settings, results."""
    metrics = metrics or {}
    method, adapter = _get(spec, "method", "sft"), _get(spec, "adapter", "lora")
    base_model = _get(spec, "base_model", "unknown")
    hp = _get(spec, "hyperparameters")
    data = _get(spec, "data")
    title = name or _get(spec, "name") or f"{Path(str(base_model)).name}-{method}-{adapter}"

    tags = ["tuneforge", method, adapter]
    front = ["---", f"base_model: {base_model}", "library_name: " + ("peft" if adapter != "full" else "transformers")]
    front += ["tags:"] + [f"- {t}" for t in tags] + ["---", ""]
    lines = front + [f"# {title}", ""]
    lines.append(
        f"Fine-tuned from `{base_model}` with TuneForge: method **{method.upper()}**, adapter **{adapter}**."
    )

    lines += ["", "## Training data", ""]
    for source in _get(data, "sources", []) or []:
        lines.append(f"- `{Path(_get(source, 'path', '?')).name}` (mixing weight {_fmt(_get(source, 'weight', 1.0))})")
    if data is not None:
        lines.append(
            f"- max length {_get(data, 'max_length')}, validation split {_fmt(_get(data, 'validation_split', 0.0))}, "
            f"loss on {_get(data, 'loss_on', 'assistant')} tokens, batching {_get(data, 'batching', 'auto')}"
            + (" (packing on: deprecated)" if _get(data, "packing") else "")
        )

    lines += ["", "## Hyperparameters", "", "| setting | value |", "|---|---|"]
    learning_rate = _get(spec, "learning_rate")
    rows: list[tuple[str, Any]] = [("learning rate", learning_rate)]
    effective = metrics.get("effective_hyperparameters") or {}
    for key in ("epochs", "max_steps", "scheduler", "warmup_ratio", "batch_size", "gradient_accumulation",
                "weight_decay", "gradient_checkpointing", "precision", "optimizer"):
        rows.append((key.replace("_", " "), effective.get(key, _get(hp, key))))
    if adapter != "full":
        lora = _get(spec, "lora")
        rows += [("LoRA rank", _get(lora, "rank")), ("LoRA alpha", _get(lora, "alpha")),
                 ("LoRA dropout", _get(lora, "dropout")), ("LoRA targets", _get(lora, "target_modules"))]
    rows.append(("seed", _get(spec, "seed")))
    lines += [f"| {k} | {_fmt(v)} |" for k, v in rows if v is not None]

    lines += ["", "## Results", ""]
    for key, label in (("steps", "steps"), ("first_loss", "first training loss"), ("final_loss", "final training loss"),
                       ("eval_loss", "eval loss"), ("perplexity", "perplexity"), ("train_runtime_s", "training time (s)"),
                       ("trainable_parameters", "trainable parameters"), ("total_parameters", "total parameters")):
        if metrics.get(key) is not None:
            lines.append(f"- {label}: {_fmt(metrics[key])}")
    summary = (evaluation or {}).get("summary") or {}
    tuned, base = summary.get("fine_tuned") or {}, summary.get("base") or {}
    if tuned:
        lines += ["", "### Generation metrics on held-out prompts", ""]
        header = "| metric | fine-tuned |" + (" base |" if base else "")
        lines += [header, "|---|---|" + ("---|" if base else "")]
        for key, value in tuned.items():
            row = f"| {key} | {_fmt(value)} |"
            if base:
                row += f" {_fmt(base.get(key, ''))} |"
            lines.append(row)
    lines += ["", "Generated by TuneForge.", ""]
    return "\n".join(lines)


def write_model_card(*, output_dir: str | Path, spec: Any, metrics: dict | None = None,
                     evaluation: dict | None = None) -> Path:
    path = Path(output_dir) / "README.md"
    path.write_text(model_card(spec=spec, metrics=metrics, evaluation=evaluation), encoding="utf-8")
    return path


# -- Ollama --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnFormat:
    """A chat template cut into the literal text around each role's content."""

    prefix: str  # before the first message (e.g. a BOS token)
    system: tuple[str, str]
    user: tuple[str, str]
    assistant: tuple[str, str]
    generation_prompt: str
    default_system: str | None

    def render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        out = [self.prefix]
        for m in messages:
            before, after = getattr(self, m["role"])
            out.append(before + m["content"] + after)
        if add_generation_prompt:
            out.append(self.generation_prompt)
        return "".join(out)


def _split(segment: str, probe: str, what: str) -> tuple[str, str]:
    if segment.count(probe) != 1:
        raise ExportError(
            f"the chat template does not render the {what} text verbatim",
            "Write the Ollama TEMPLATE by hand for this model.",
        )
    before, after = segment.split(probe)
    return before, after


def turn_format(tokenizer) -> TurnFormat:
    """Decompose the tokenizer's chat template; raise ExportError if it is not turn-by-turn."""
    if not getattr(tokenizer, "chat_template", None):
        raise ExportError("the tokenizer has no chat template", "Train with data.chat_template set (e.g. chatml).")

    def render(messages, gen=False):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)

    sys1 = [{"role": "system", "content": _SYS}]
    user1 = [{"role": "user", "content": _USER}]
    assist1 = [{"role": "assistant", "content": _ASSIST}]
    t_sys = render(sys1)
    t_user = render(sys1 + user1)
    t_assist = render(sys1 + user1 + assist1)
    t_gen = render(sys1 + user1, gen=True)
    if not (t_user.startswith(t_sys) and t_assist.startswith(t_user) and t_gen.startswith(t_user)):
        raise ExportError(
            "the chat template does not render conversations turn by turn",
            "Write the Ollama TEMPLATE by hand for this model.",
        )
    head, sys_after = _split(t_sys, _SYS, "system")
    bos = getattr(tokenizer, "bos_token", None) or ""
    prefix = bos if bos and head.startswith(bos) and bos not in ("<|im_start|>", "<|im_end|>") else ""
    system = (head[len(prefix):], sys_after)
    user = _split(t_user[len(t_sys):], _USER, "user")
    assistant = _split(t_assist[len(t_user):], _ASSIST, "assistant")
    generation_prompt = t_gen[len(t_user):]

    # A default system prompt the template inserts when the conversation has none (SmolLM2 does).
    fmt = TurnFormat(prefix, system, user, assistant, generation_prompt, None)
    t_no_sys = render(user1)
    if t_no_sys != fmt.render(user1, False) and system[0] and t_no_sys.startswith(prefix + system[0]):
        rest = t_no_sys[len(prefix + system[0]):]
        cut = rest.find(system[1]) if system[1] else -1
        candidate = rest[:cut] if cut > 0 else None
        if candidate and fmt.render([{"role": "system", "content": candidate}] + user1, False) == t_no_sys:
            fmt = TurnFormat(prefix, system, user, assistant, generation_prompt, candidate)
    _check(fmt, render)
    return fmt


def _check(fmt: TurnFormat, render) -> None:
    conversation = [
        {"role": "system", "content": _SYS2},
        {"role": "user", "content": _USER},
        {"role": "assistant", "content": _ASSIST},
        {"role": "user", "content": _USER2},
        {"role": "assistant", "content": _ASSIST2},
        {"role": "user", "content": _USER},
    ]
    for messages, gen in ((conversation, True), (conversation[:5], False)):
        if fmt.render(messages, gen) != render(messages, gen):
            raise ExportError(
                "the chat template changes with the position of a turn (it is not a plain turn-by-turn format)",
                "Write the Ollama TEMPLATE by hand for this model.",
            )
    if fmt.assistant[0] != fmt.generation_prompt:
        raise ExportError(
            "the chat template's generation prompt differs from its assistant header",
            "Write the Ollama TEMPLATE by hand for this model.",
        )


def _go_literal(text: str) -> str:
    # Text between actions is copied verbatim by Go templates; only "{{" would be misread.
    return text.replace("{{", '{{ "{{" }}')


def ollama_template(fmt: TurnFormat) -> str:
    """The Go template Ollama renders prompts with (`.System`, `.Messages`, `.Role`, `.Content`).

    No `{{-` trimming anywhere: every newline in the pieces is significant.
    """
    sys_before, sys_after = map(_go_literal, fmt.system)
    user_before, user_after = map(_go_literal, fmt.user)
    _, assistant_after = map(_go_literal, fmt.assistant)
    generation = _go_literal(fmt.generation_prompt)
    return (
        f"{_go_literal(fmt.prefix)}"
        f"{{{{ if .System }}}}{sys_before}{{{{ .System }}}}{sys_after}{{{{ end }}}}"
        f"{{{{ range .Messages }}}}"
        f'{{{{ if eq .Role "user" }}}}{user_before}{{{{ .Content }}}}{user_after}{generation}'
        f'{{{{ else if eq .Role "assistant" }}}}{{{{ .Content }}}}{assistant_after}'
        f"{{{{ end }}}}{{{{ end }}}}"
    )


def stop_tokens(tokenizer, fmt: TurnFormat) -> list[str]:
    """Strings that end an assistant turn or begin the next one."""
    specials = set(getattr(tokenizer, "all_special_tokens", []) or [])
    specials |= {t.content if hasattr(t, "content") else str(t)
                 for t in (getattr(tokenizer, "added_tokens_decoder", {}) or {}).values()}
    stops: list[str] = []
    end = fmt.assistant[1].strip()
    if end:
        stops.append(end)
    opening = [s for s in specials if s and s in fmt.user[0]]
    if opening:  # the token that opens the next user turn
        stops.append(min(opening, key=fmt.user[0].find))
    elif fmt.user[0].strip():  # text headers: "### Instruction:", "<|user|>"
        stops.append(fmt.user[0].strip().splitlines()[0])
    eos = getattr(tokenizer, "eos_token", None)
    if eos:
        stops.append(eos)
    return list(dict.fromkeys(stops))


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def ollama_modelfile(
    tokenizer,
    *,
    from_path: str = ".",
    adapter_path: str | None = None,
    system: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> str:
    """Modelfile text: FROM (a safetensors folder or GGUF), optional ADAPTER, TEMPLATE, SYSTEM, stops."""
    fmt = turn_format(tokenizer)
    template = ollama_template(fmt)
    if '"""' in template:
        raise ExportError('the chat template contains """', "Write the Ollama TEMPLATE by hand for this model.")
    lines = ["# Ollama Modelfile generated by TuneForge", f"FROM {from_path}"]
    if adapter_path:
        lines.append(f"ADAPTER {adapter_path}")
    lines.append(f'TEMPLATE """{template}"""')
    system = system if system is not None else fmt.default_system
    if system:
        lines.append(f'SYSTEM """{system}"""')
    for stop in stop_tokens(tokenizer, fmt):
        lines.append(f"PARAMETER stop {_quote(stop)}")
    for key, value in (parameters or {}).items():
        values = value if isinstance(value, list) else [value]
        lines += [f"PARAMETER {key} {_quote(v) if isinstance(v, str) else v}" for v in values]
    return "\n".join(lines) + "\n"


def write_modelfile(model_dir: str | Path, *, from_path: str = ".", **kwargs: Any) -> Path:
    """Write `Modelfile` into a merged model folder (FROM . = that folder)."""
    from transformers import AutoTokenizer

    model_dir = Path(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    path = model_dir / "Modelfile"
    path.write_text(ollama_modelfile(tokenizer, from_path=from_path, **kwargs), encoding="utf-8")
    return path
