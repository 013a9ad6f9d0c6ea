"""Evaluation of a trained model on held-out rows, and the base-vs-fine-tuned comparison.

1. Eval loss and perplexity: the same tokenisation and loss mask as training (assistant tokens
   only unless the spec trains on all), token-weighted over the held-out rows.
2. Greedy answers to up to N held-out prompts (the conversation without its last assistant
   turn, or the prompt of a prompt/completion row) scored against the reference answer with
   ROUGE-1/2/L, BLEU, exact match and token F1 (metrics.py: no downloads).
3. The base model answers the same prompts and is scored the same way. For a LoRA/QLoRA model
   the base is the same model with its adapter switched off, which is exactly the base weights
   without loading them a second time; a fully fine-tuned model loads the base from disk.

`evaluate_run` is what the runner calls after training; `evaluate_model` evaluates a saved
model or adapter on a file (`tuneforge evaluate`). Both take `phase(name, label, done=, total=)`
(the runner passes `EventSink.phase`) and report each part's progress through it: loss batches,
answers generated.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.training import metrics as text_metrics

DEFAULT_GENERATION_SAMPLES = 16
DEFAULT_MAX_NEW_TOKENS = 64


@dataclass(frozen=True)
class EvalSettings:
    generation_samples: int = DEFAULT_GENERATION_SAMPLES
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    compare_base: bool = True
    batch_size: int = 8
    max_length: int = 512
    loss_on: str = "assistant"
    method: str = "sft"

    @classmethod
    def from_spec(cls, spec: Any) -> EvalSettings:
        ev, data, hp = spec.eval, spec.data, spec.hyperparameters
        return cls(
            generation_samples=ev.generation_samples,
            max_new_tokens=ev.max_new_tokens,
            compare_base=ev.compare_base,
            batch_size=max(1, hp.batch_size),
            max_length=data.max_length,
            loss_on=data.loss_on,
            method=spec.method,
        )


# -- rows -> (conversation for the loss, prompt, reference) ------------------------------------------


def _loss_messages(row: dict) -> list[dict] | None:
    """The conversation whose assistant tokens the eval loss is measured on."""
    from tuneforge.training.data import as_messages

    if "chosen" in row:  # preference pairs: the preferred answer
        return as_messages({"prompt": row["prompt"], "completion": row["chosen"]})
    if "label" in row and not row["label"]:  # KTO: undesirable completions are not targets
        return None
    if "messages" in row or ("prompt" in row and "completion" in row):
        return as_messages(row)
    return None


def prompt_and_reference(row: dict) -> tuple[list[dict], str] | None:
    """(prompt messages, reference answer) of a held-out row, or None when it has no answer."""
    from tuneforge.training.data import prompt_messages, reference_answer

    if "messages" in row:
        if not row["messages"] or row["messages"][-1].get("role") != "assistant":
            return None
        return prompt_messages(row), reference_answer(row)
    if "prompt" not in row:
        return None
    if "chosen" in row:
        chosen = row["chosen"]
        reference = chosen[-1]["content"] if isinstance(chosen, list) else chosen
    elif "completion" in row:
        if "label" in row and not row["label"]:
            return None
        reference = reference_answer(row)
    else:
        return None
    if reference is None:
        return None
    return prompt_messages(row), reference


# -- tool calls -----------------------------------------------------------------------------------------

_TOOL_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)


def tool_call_prompt(row: dict) -> list[dict] | None:
    """A tool row's conversation up to its first assistant tool call (what the model should call
    a tool from), or None when it has none."""
    from tuneforge.training.data import as_messages, _plain

    if "tools" not in row or "messages" not in row:
        return None
    messages = as_messages(row)
    for index, message in enumerate(messages):
        if message["role"] == "assistant" and message.get("tool_calls"):
            return _plain(messages[:index]) if index else None
    return None


def tool_call_validity(text: str, tools: list[dict]) -> tuple[int, int]:
    """(valid, total) over the <tool_call>...</tool_call> blocks of a generation: valid when the block
    is JSON {"name", "arguments"} naming a defined tool, with arguments a JSON object (or JSON text of one)."""
    defined = {t.get("function", t).get("name") for t in tools if isinstance(t, dict)}
    blocks = _TOOL_CALL.findall(text)
    valid = 0
    for block in blocks:
        try:
            call = json.loads(block.strip())
        except json.JSONDecodeError:
            continue
        if not isinstance(call, dict) or call.get("name") not in defined:
            continue
        arguments = call.get("arguments", {})
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                continue
        valid += isinstance(arguments, dict)
    return valid, len(blocks)


def _tool_call_report(model, tokenizer, rows: list[dict], settings: EvalSettings, phase) -> dict | None:
    """The share of generated tool calls that parse and name a defined tool with valid JSON arguments."""
    cases = [(p, r["tools"]) for r in rows if (p := tool_call_prompt(r)) is not None][: settings.generation_samples]
    if not cases:
        return None
    answers = generate_answers(
        model, tokenizer, [p for p, _ in cases], max_new_tokens=settings.max_new_tokens, batch_size=settings.batch_size,
        progress=_progress(phase, "Generating the fine-tuned model's tool calls", "samples"),
        tools=[t for _, t in cases], skip_special_tokens=False,
    )
    valid = total = 0
    for answer, (_, tools) in zip(answers, cases, strict=True):
        v, n = tool_call_validity(answer, tools)
        valid, total = valid + v, total + n
    return {
        "tool_call_valid_rate": valid / total if total else 0.0,
        "tool_calls_generated": total,
        "tool_call_prompts": len(cases),
    }


# -- eval loss ----------------------------------------------------------------------------------------


def _loss_examples(tokenizer, rows: list[dict], settings: EvalSettings) -> list[dict]:
    from tuneforge.training.data import tokenize_conversation, tokenize_text

    examples = []
    for row in rows:
        if "text" in row and "messages" not in row and "prompt" not in row:
            examples += tokenize_text(tokenizer, [row], max_length=settings.max_length, packing=False)
            continue
        messages = _loss_messages(row)
        if messages is None:
            continue
        example = tokenize_conversation(
            tokenizer, messages, max_length=settings.max_length, loss_on=settings.loss_on, tools=row.get("tools")
        )
        if example is not None:
            examples.append(example)
    return examples


Progress = Callable[[int, int], Any]  # (done, total)


def eval_loss(
    model, tokenizer, examples: list[dict], batch_size: int, progress: Progress | None = None
) -> float | None:
    """Mean cross-entropy per trained token over all examples (not a mean of batch means);
    `progress(batches done, batches)` after each batch. Being a per-token mean, it does not depend on
    the order, so examples are batched longest first (rows of similar length, little padding) and
    the loss is computed in chunks where the model allows (chunked_loss.py: no full logits)."""
    if not examples:
        return None
    import torch

    from tuneforge.training.chunked_loss import loss_sum, supports_chunked_loss
    from tuneforge.training.data import CausalLMCollator

    collate = CausalLMCollator(tokenizer.pad_token_id)
    device = next(model.parameters()).device
    chunked = supports_chunked_loss(model)
    examples = sorted(examples, key=lambda e: -len(e["input_ids"]))
    total, count = 0.0, 0
    batches = math.ceil(len(examples) / batch_size)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            if progress is not None:
                progress(start // batch_size, batches)
            batch = {k: v.to(device) for k, v in collate(examples[start : start + batch_size]).items()}
            if chunked:
                loss, trained = loss_sum(model, batch)
                total += float(loss)
                count += int(trained)
                continue
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            shift_logits = logits[:, :-1].float()
            shift_labels = batch["labels"][:, 1:]
            loss = torch.nn.functional.cross_entropy(
                shift_logits.reshape(-1, shift_logits.shape[-1]),
                shift_labels.reshape(-1),
                ignore_index=-100,
                reduction="sum",
            )
            total += float(loss)
            count += int((shift_labels != -100).sum())
    if progress is not None:
        progress(batches, batches)
    model.train(was_training)
    return total / count if count else None


def perplexity(loss: float | None) -> float | None:
    return math.exp(min(loss, 50.0)) if loss is not None else None


# -- generation ---------------------------------------------------------------------------------------


def generate_answers(
    model,
    tokenizer,
    prompts: list[list[dict]],
    *,
    max_new_tokens: int,
    batch_size: int,
    progress: Progress | None = None,
    tools: list[list[dict] | None] | None = None,
    skip_special_tokens: bool = True,
) -> list[str]:
    """Greedy answers, batched with left padding (decoder-only models continue from the right);
    `progress(answers done, prompts)` before each batch and at the end. `tools`: each prompt's tool
    definitions (tool calling rows), rendered by the chat template."""
    import torch

    from tuneforge.training.data import render_text

    device = next(model.parameters()).device
    tools = tools or [None] * len(prompts)
    rendered = [render_text(tokenizer, p, tools=t, add_generation_prompt=True) for p, t in zip(prompts, tools, strict=True)]
    # Prompts of similar length share a batch (less left padding to compute at every decoding step);
    # the answers go back into the prompts' order below.
    order = sorted(range(len(rendered)), key=lambda i: -len(rendered[i]))
    texts = [rendered[i] for i in order]
    answers: list[str] = []
    padding_side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                if progress is not None:
                    progress(start, len(texts))
                encoded = tokenizer(
                    texts[start : start + batch_size], return_tensors="pt", padding=True, add_special_tokens=False
                ).to(device)
                output = model.generate(
                    **encoded,
                    max_new_tokens=max_new_tokens,
                    do_sample=False,
                    pad_token_id=tokenizer.pad_token_id,
                    eos_token_id=tokenizer.eos_token_id,
                )
                new_tokens = output[:, encoded["input_ids"].shape[1] :]
                answers += [t.strip() for t in tokenizer.batch_decode(new_tokens, skip_special_tokens=skip_special_tokens)]
        if progress is not None:
            progress(len(texts), len(texts))
    finally:
        tokenizer.padding_side = padding_side
        model.train(was_training)
    in_order = [""] * len(answers)
    for position, i in enumerate(order):
        in_order[i] = answers[position]
    return in_order


@contextlib.contextmanager
def _base_model(model, tokenizer, base_model_path: Path | str | None):
    """The base model for the comparison: the adapter switched off, or the base loaded from disk."""
    if hasattr(model, "disable_adapter") and hasattr(model, "peft_config"):
        with model.disable_adapter():
            yield model
        return
    if base_model_path is None:
        yield None
        return
    import torch
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_model_path, dtype=next(model.parameters()).dtype)
    if base.get_input_embeddings().weight.shape[0] < len(tokenizer):
        base.resize_token_embeddings(len(tokenizer))  # training added chat-template tokens
    base.to(next(model.parameters()).device)
    try:
        yield base
    finally:
        del base
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


# -- the report -----------------------------------------------------------------------------------


def _progress(phase: Callable[..., Any] | None, label: str, unit: str) -> Progress | None:
    if phase is None:
        return None
    return lambda done, total: phase("evaluating", label, done=done, total=total, unit=unit)


def _evaluate(
    model, tokenizer, rows: list[dict], settings: EvalSettings, base_model_path, phase: Callable[..., Any] | None = None
) -> dict:
    started = time.perf_counter()
    report: dict[str, Any] = {"rows": len(rows)}
    if settings.method == "reward":
        # A reward model scores, it does not generate; its eval metric is pairwise accuracy,
        # which the reward trainer's own evaluation reports.
        report["summary"] = {"note": "reward models are evaluated by pairwise accuracy during training"}
        return report

    loss_examples = _loss_examples(tokenizer, rows, settings)
    loss = eval_loss(
        model, tokenizer, loss_examples, settings.batch_size, _progress(phase, "Evaluating the fine-tuned model's loss", "batches")
    )
    summary: dict[str, Any] = {"eval_loss": loss, "perplexity": perplexity(loss), "loss_examples": len(loss_examples)}

    picked = [(p, r.get("tools")) for r in rows if (p := prompt_and_reference(r)) is not None]
    picked = picked[: settings.generation_samples]
    pairs = [p for p, _ in picked]
    pair_tools = [t for _, t in picked]  # tool calling rows: their definitions, rendered by the template
    prompts = [p for p, _ in pairs]
    references = [r for _, r in pairs]
    samples: list[dict] = []
    if pairs:
        tuned = generate_answers(
            model, tokenizer, prompts, max_new_tokens=settings.max_new_tokens, batch_size=settings.batch_size,
            progress=_progress(phase, "Generating the fine-tuned model's answers", "samples"), tools=pair_tools,
        )
        summary["fine_tuned"] = text_metrics.score_predictions(tuned, references)
        samples = [
            {
                "prompt": prompt,
                "reference": reference,
                "fine_tuned": answer,
                "scores": {"fine_tuned": text_metrics.score_one(answer, reference)},
            }
            for prompt, reference, answer in zip(prompts, references, tuned, strict=True)
        ]
    summary["generation_samples"] = len(pairs)
    tool_calls = _tool_call_report(model, tokenizer, rows, settings, phase)
    if tool_calls is not None:
        summary.update(tool_calls)

    if settings.compare_base and (pairs or loss_examples):
        if phase is not None:
            phase("evaluating", "Loading the base model for the comparison")
        with _base_model(model, tokenizer, base_model_path) as base:
            if base is not None:
                base_loss = eval_loss(
                    base, tokenizer, loss_examples, settings.batch_size,
                    _progress(phase, "Evaluating the base model's loss", "batches"),
                )
                summary["base_eval_loss"] = base_loss
                summary["base_perplexity"] = perplexity(base_loss)
                if pairs:
                    base_answers = generate_answers(
                        base, tokenizer, prompts, max_new_tokens=settings.max_new_tokens,
                        batch_size=settings.batch_size,
                        progress=_progress(phase, "Generating the base model's answers", "samples"),
                        tools=pair_tools,
                    )
                    summary["base"] = text_metrics.score_predictions(base_answers, references)
                    for sample, answer, reference in zip(samples, base_answers, references, strict=True):
                        sample["base"] = answer
                        sample["scores"]["base"] = text_metrics.score_one(answer, reference)
    if "base" in summary:
        summary["improvement"] = {k: summary["fine_tuned"][k] - summary["base"][k] for k in summary["fine_tuned"]}

    summary["seconds"] = round(time.perf_counter() - started, 2)
    report.update(eval_loss=loss, perplexity=perplexity(loss), summary=summary, samples=samples)
    return report


def evaluate_run(
    *,
    model,
    tokenizer,
    base_model_path: Path | str | None,
    eval_rows: list[dict],
    spec: Any,
    emit: Callable[..., Any] | None = None,
    step: int | None = None,
    phase: Callable[..., Any] | None = None,
    method_metrics: dict[str, Any] | None = None,
) -> dict:
    """Evaluate the model a run just trained; emits one `eval` event through `emit(type, **fields)`
    (the runner passes `EventSink.emit`). `method_metrics`: the trainer's own final evaluation
    (a preference method's reward accuracy and margins, ...), kept in the summary as they are with
    the method's name, so a page shows each method's numbers rather than only language-model loss."""
    report = _evaluate(model, tokenizer, list(eval_rows), EvalSettings.from_spec(spec), base_model_path, phase)
    report["summary"]["method"] = spec.method
    if method_metrics:
        report["summary"]["method_metrics"] = dict(method_metrics)
    if emit is not None:
        emit("eval", step=step, final=True, **{k: v for k, v in report["summary"].items()})
    return report


def evaluate_model(
    model_path: str | Path,
    adapter_path: str | Path | None,
    rows: list[dict] | str | Path,
    *,
    generation_samples: int = DEFAULT_GENERATION_SAMPLES,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    compare_base: bool = True,
    batch_size: int = 8,
    max_length: int = 512,
    loss_on: str = "assistant",
    chat_template: str = "auto",
    emit: Callable[..., Any] | None = None,
    phase: Callable[..., Any] | None = None,
) -> dict:
    """Evaluate a saved model (optionally with a LoRA adapter) on canonical rows or a JSONL file.

    With an adapter, the base comparison switches the adapter off; without one, there is no
    separate base to compare with unless `model_path` is itself compared elsewhere.
    """
    from transformers import AutoModelForCausalLM

    from tuneforge.training.data import read_jsonl
    from tuneforge.training.loading import load_tokenizer

    if not isinstance(rows, list):
        rows = read_jsonl(rows)
    tokenizer_dir = adapter_path if adapter_path and (Path(adapter_path) / "tokenizer_config.json").exists() else model_path
    tokenizer, _, _ = load_tokenizer(Path(tokenizer_dir), chat_template)
    model = AutoModelForCausalLM.from_pretrained(model_path)
    if model.get_input_embeddings().weight.shape[0] < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    if adapter_path:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_path)
    settings = EvalSettings(
        generation_samples=generation_samples,
        max_new_tokens=max_new_tokens,
        compare_base=compare_base and adapter_path is not None,
        batch_size=batch_size,
        max_length=max_length,
        loss_on=loss_on,
    )
    report = _evaluate(model, tokenizer, rows, settings, None, phase)
    report["model_path"], report["adapter_path"] = str(model_path), str(adapter_path) if adapter_path else None
    if emit is not None:
        emit("eval", step=None, final=True, **report["summary"])
    return report
