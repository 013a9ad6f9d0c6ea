"""A canonical row rendered through a base model's chat template, token by token, with the tokens
the loss is computed on marked. Uses the training library's own span-finding, so the preview shows
exactly what training does (assistant tokens only; every token for continued pre-training)."""

from __future__ import annotations

from typing import Any


class RenderError(ValueError):
    pass


def _tokens(tokenizer, text: str, spans: list[tuple[int, int]], max_length: int) -> dict:
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    tokens = []
    for index, (token_id, (start, end)) in enumerate(zip(encoded["input_ids"], encoded["offset_mapping"], strict=True)):
        inside = end > start and any(a <= start < b for a, b in spans)
        tokens.append({"id": token_id, "text": text[start:end], "trained": inside and index < max_length})
    return {
        "text": text,
        "tokens": tokens,
        "total_tokens": len(tokens),
        "trained_tokens": sum(t["trained"] for t in tokens),
        "truncated": len(tokens) > max_length,
    }


def _answer_spans(tokenizer, prompt: list[dict], answer: list[dict]) -> tuple[str, list[tuple[int, int]]]:
    before = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(prompt + answer, tokenize=False)
    if not full.startswith(before):
        raise RenderError("the chat template does not render the prompt as a prefix of the full conversation")
    return full, [(len(before), len(full.rstrip()))]


def _as_turns(value: Any, role: str) -> list[dict]:
    return value if isinstance(value, list) else [{"role": role, "content": value}]


def _with_tool_template(tokenizer):
    """As training does with chat_template 'auto': a template that cannot render tools is replaced
    by chatml-tools (on a copy: the tokenizer may be shared)."""
    import copy

    from tuneforge.training.data import template_supports_tools
    from tuneforge.training.loading import CHAT_TEMPLATES

    own = getattr(tokenizer, "chat_template", None)
    if template_supports_tools(own if isinstance(own, str) else None):
        return tokenizer
    tokenizer = copy.copy(tokenizer)
    tokenizer.chat_template = CHAT_TEMPLATES["chatml-tools"]
    return tokenizer


def render_row(row: dict, kind: str, tokenizer, *, max_length: int) -> list[dict]:
    from tuneforge.training.data import as_messages, assistant_char_spans

    if kind == "text":
        return [{"label": "document", **_tokens(tokenizer, row["text"], [(0, len(row["text"]))], max_length)}]
    if kind == "tool_chat":
        tokenizer = _with_tool_template(tokenizer)
    if not getattr(tokenizer, "chat_template", None):
        raise RenderError("this base model has no chat template, so chat rows cannot be rendered")
    try:
        if kind == "tool_chat":  # the assistant's calls and answers; never tool results or definitions
            text, spans = assistant_char_spans(tokenizer, as_messages(row), row.get("tools"))
            return [{"label": "conversation", **_tokens(tokenizer, text, spans, max_length)}]
        if kind in ("chat", "prompt_completion"):
            text, spans = assistant_char_spans(tokenizer, as_messages(row))
            return [{"label": "conversation", **_tokens(tokenizer, text, spans, max_length)}]
        prompt = _as_turns(row["prompt"], "user")
        if kind == "prompt":  # RL prompts: nothing is trained on the data itself (the model writes the answers)
            text = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
            return [{"label": "prompt", **_tokens(tokenizer, text, [], max_length)}]
        if kind == "preference":
            segments = []
            for side in ("chosen", "rejected"):
                text, spans = _answer_spans(tokenizer, prompt, _as_turns(row[side], "assistant"))
                segments.append({"label": side, **_tokens(tokenizer, text, spans, max_length)})
            return segments
        text, spans = _answer_spans(tokenizer, prompt, _as_turns(row["completion"], "assistant"))
        label = "completion (desirable)" if row["label"] else "completion (undesirable)"
        return [{"label": label, **_tokens(tokenizer, text, spans, max_length)}]
    except RenderError:
        raise
    except Exception as exc:  # template errors (e.g. "System role not supported") are the point of the preview
        raise RenderError(f"the chat template refused this row: {exc}") from exc
