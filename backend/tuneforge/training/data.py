"""Reading canonical rows, mixing files by weight, holding out a validation split, and
tokenising chat / prompt-completion / text rows with loss masks.

Masking is done here rather than by trl's `assistant_only_loss`, which needs a chat template
with `{% generation %}` markers that most shipped templates lack (docs/library-notes.md). The rule: a token
is trained when it starts inside an assistant turn's span, where a span runs from the end of the
generation prompt to the end of the rendered turn minus trailing whitespace - i.e. the answer
and the token that ends the turn (`<|im_end|>`, `<|eot_id|>`, `</s>`), nothing of the prompts.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tuneforge.training.exceptions import DatasetError
from tuneforge.training.spec import TrainingSpec, row_kind

IGNORE_INDEX = -100


def read_jsonl(path: str | Path, limit: int | None = None) -> list[dict]:
    rows = []
    with Path(path).open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(
                    f"{Path(path).name} line {line_no} is not JSON: {exc.msg}",
                    "Training reads JSON Lines of canonical rows; re-import the file through the datasets page.",
                ) from exc
            if limit and len(rows) >= limit:
                break
    return rows


def load_splits(spec: TrainingSpec) -> tuple[list[dict], list[dict]]:
    """(train_rows, eval_rows): each file split first, then the training parts mixed by weight.

    Splitting before mixing keeps every held-out row out of training, even when a small file is
    oversampled. With weights w_i the mixture has sum(n_i) rows, a share w_i/sum(w) from file i
    (sampled without replacement when it has enough rows, repeated when it is upsampled).
    """
    rng = random.Random(spec.seed)
    parts: list[tuple[list[dict], float]] = []
    eval_rows: list[dict] = []
    for source in spec.data.sources:
        rows = read_jsonl(source.path, spec.data.max_rows)
        if not rows:
            raise DatasetError(f"{Path(source.path).name} has no rows", "Upload a dataset with some examples.")
        for row in rows:
            row_kind(row)  # raises a DatasetError naming the bad shape
        rng.shuffle(rows)
        if spec.data.validation_path is None and spec.data.validation_split > 0 and len(rows) > 1:
            n_eval = max(1, round(len(rows) * spec.data.validation_split))
            n_eval = min(n_eval, len(rows) - 1)
            eval_rows += rows[:n_eval]
            rows = rows[n_eval:]
        parts.append((rows, source.weight))
    if spec.data.validation_path:
        eval_rows = read_jsonl(spec.data.validation_path, spec.data.max_rows)

    if len(parts) == 1:
        return parts[0][0], eval_rows
    total = sum(len(rows) for rows, _ in parts)
    weight_sum = sum(w for _, w in parts)
    train_rows: list[dict] = []
    for rows, weight in parts:
        want = max(1, round(total * weight / weight_sum))
        repeats, rest = divmod(want, len(rows))
        train_rows += rows * repeats + rng.sample(rows, rest)
    rng.shuffle(train_rows)
    return train_rows, eval_rows


# -- row shapes ------------------------------------------------------------------------------


def as_messages(row: dict) -> list[dict]:
    """Chat and prompt/completion rows as a conversation."""
    if "messages" in row:
        messages = row["messages"]
        if not isinstance(messages, list) or not messages:
            raise DatasetError("a row has an empty 'messages' list", "Every conversation needs turns.")
        return [_turn(m) for m in messages]
    prompt = row["prompt"]
    messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
    if "completion" in row:
        completion = row["completion"]
        messages = messages + (
            completion if isinstance(completion, list) else [{"role": "assistant", "content": completion}]
        )
    return messages


_TOOL_KEYS = ("tool_calls", "tool_call_id", "name")


def _turn(message: dict) -> dict:
    """role and content, tool calling's keys, and a per-message loss_weight (0: not trained) when
    the row has one."""
    turn = {"role": message["role"], "content": message["content"]}
    for key in _TOOL_KEYS:
        if key in message:
            turn[key] = message[key]
    if "loss_weight" in message:
        turn["loss_weight"] = message["loss_weight"]
    return turn


def _template_call(call: dict) -> dict:
    """A canonical tool call as chat templates expect it: arguments as an object (canonical rows
    keep OpenAI's JSON text)."""
    function = dict(call["function"])
    if isinstance(function.get("arguments"), str):
        try:
            function["arguments"] = json.loads(function["arguments"])
        except json.JSONDecodeError:
            pass
    return {**call, "function": function}


def _plain(messages: list[dict]) -> list[dict]:
    """Messages as the chat template and trl see them: role and content (and tool calling's keys)."""
    plain = []
    for m in messages:
        turn = {"role": m["role"], "content": m["content"]}
        for key in _TOOL_KEYS:
            if key in m:
                turn[key] = [_template_call(c) for c in m[key]] if key == "tool_calls" else m[key]
        plain.append(turn)
    return plain


def prompt_messages(row: dict) -> list[dict]:
    """The conversation up to (not including) the answer: for GRPO and generation evals."""
    if "messages" in row:
        messages = as_messages(row)
        if messages[-1]["role"] == "assistant":
            messages = messages[:-1]
        return _plain(messages)
    prompt = row["prompt"]
    return _plain(prompt) if isinstance(prompt, list) else [{"role": "user", "content": prompt}]


def reference_columns(row: dict) -> dict[str, str]:
    """A prompt-only row's named reference columns (solution, answer, ...), for GRPO rewards."""
    if set(row) & {"messages", "completion", "chosen"}:
        return {}
    return {k: v for k, v in row.items() if k != "prompt" and isinstance(v, str)}


def reference_answer(row: dict) -> str | None:
    if "messages" in row:
        last = row["messages"][-1]
        return last["content"] if last.get("role") == "assistant" else None
    completion = row.get("completion")
    if isinstance(completion, list):
        return completion[-1]["content"] if completion else None
    return completion


def to_conversational_preference(row: dict) -> dict:
    """prompt/chosen/rejected (or prompt/completion/label) with strings -> chat-message lists, so
    trl applies the chat template exactly as SFT does."""
    out = dict(row)
    out["prompt"] = _plain(row["prompt"]) if isinstance(row["prompt"], list) else [{"role": "user", "content": row["prompt"]}]
    for key in ("chosen", "rejected", "completion"):
        if key in row:
            value = row[key]
            out[key] = _plain(value) if isinstance(value, list) else [{"role": "assistant", "content": value}]
    return out


# -- tokenisation with loss masks --------------------------------------------------------------


def _render(tokenizer, messages: list[dict], add_generation_prompt: bool = False, tools: list[dict] | None = None) -> str:
    if tools:
        return tokenizer.apply_chat_template(
            messages, tools=tools, tokenize=False, add_generation_prompt=add_generation_prompt
        )
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)


def render_text(tokenizer, messages: list[dict], *, tools: list[dict] | None = None,
                add_generation_prompt: bool = False) -> str:
    """A conversation (tool calls and results included) rendered with the chat template."""
    return _render(tokenizer, _plain(messages), add_generation_prompt, tools)


def template_supports_tools(template: str | None) -> bool:
    """Whether a chat template renders tool definitions: its source uses the `tools` variable."""
    import re

    return bool(template) and re.search(r"\btools\b", template) is not None


def assistant_char_spans(tokenizer, messages: list[dict], tools: list[dict] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans of its trained assistant turns (all of
    them but those with loss_weight 0): the answers and tool calls, never tool results or the
    tool definitions (those sit in the system turn or before the first message)."""
    weights = [m.get("loss_weight", 1) for m in messages]
    messages = _plain(messages)
    text = _render(tokenizer, messages, tools=tools)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant" or weights[i] == 0:
            continue
        before = _render(tokenizer, messages[:i], add_generation_prompt=True, tools=tools)
        through = _render(tokenizer, messages[: i + 1], tools=tools)
        if not text.startswith(before) or not text.startswith(through):
            raise DatasetError(
                "the chat template does not render conversations incrementally, so assistant turns "
                "cannot be located",
                "Use data.loss_on: all, or a named template (data.chat_template: chatml).",
            )
        end = len(through.rstrip())
        if end > len(before):
            spans.append((len(before), end))
    return text, spans


def tokenize_conversation(
    tokenizer, messages: list[dict], *, max_length: int, loss_on: str, tools: list[dict] | None = None
) -> dict | None:
    """input_ids and labels (-100 outside assistant spans). None when nothing is left to train."""
    text, spans = assistant_char_spans(tokenizer, messages, tools)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    input_ids = encoded["input_ids"]
    if loss_on == "all":
        labels = list(input_ids)
    else:
        labels = []
        for token_id, (start, end) in zip(input_ids, encoded["offset_mapping"], strict=True):
            inside = any(a <= start < b for a, b in spans) and end > start
            labels.append(token_id if inside else IGNORE_INDEX)
    input_ids, labels = input_ids[:max_length], labels[:max_length]
    if all(label == IGNORE_INDEX for label in labels):
        return None
    return {"input_ids": input_ids, "labels": labels}


def tokenize_sft(tokenizer, rows: list[dict], *, max_length: int, loss_on: str, packing: bool) -> list[dict]:
    examples = []
    for row in rows:
        example = tokenize_conversation(
            tokenizer, as_messages(row), max_length=max_length, loss_on=loss_on, tools=row.get("tools")
        )
        if example is not None:
            examples.append(example)
    if not examples:
        raise DatasetError(
            "no example has a trainable token left after truncation",
            "Raise data.max_length, or check that rows have assistant answers.",
        )
    return pack(examples, max_length) if packing else examples


def tokenize_text(tokenizer, rows: list[dict], *, max_length: int, packing: bool) -> list[dict]:
    """Continued pre-training: every token is trained; documents end with EOS."""
    docs = []
    for row in rows:
        ids = tokenizer(row["text"], add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        docs.append({"input_ids": ids, "labels": list(ids)})
    if packing:
        return pack(docs, max_length)
    return [{"input_ids": d["input_ids"][:max_length], "labels": d["labels"][:max_length]} for d in docs]


def pack(examples: list[dict], max_length: int) -> list[dict]:
    """The old `packing`: documents concatenated and cut into max_length blocks, attention
    crossing their boundaries (batching 'concatenate'). Examples kept apart: batching.pack_examples."""
    from tuneforge.training.batching import concatenate

    return concatenate(examples, max_length)


class CausalLMCollator:
    """Pads input_ids/labels to the longest in the batch (right padding)."""

    def __init__(self, pad_token_id: int, pad_to_multiple_of: int | None = None) -> None:
        self.pad_token_id = pad_token_id
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, features: list[dict[str, Any]]) -> dict:
        import torch

        length = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        input_ids, labels, attention = [], [], []
        for f in features:
            pad = length - len(f["input_ids"])
            input_ids.append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            labels.append(list(f["labels"]) + [IGNORE_INDEX] * pad)
            attention.append([1] * len(f["input_ids"]) + [0] * pad)
        return {
            "input_ids": torch.tensor(input_ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "attention_mask": torch.tensor(attention, dtype=torch.long),
        }
