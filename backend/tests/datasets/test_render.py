"""The rendered preview marks exactly the tokens training computes the loss on."""

from __future__ import annotations

import pytest

from tuneforge.datasets.render import RenderError, render_row


def _trained(segment) -> str:
    return "".join(t["text"] for t in segment["tokens"] if t["trained"])


def test_chat_trains_on_every_assistant_turn_only(tiny_tokenizer):
    row = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"},
                        {"role": "assistant", "content": "hello"}, {"role": "user", "content": "bye"},
                        {"role": "assistant", "content": "see you"}]}
    [segment] = render_row(row, "chat", tiny_tokenizer, max_length=2048)
    assert segment["label"] == "conversation"
    assert _trained(segment) == "hello<|im_end|>see you<|im_end|>"
    assert "".join(t["text"] for t in segment["tokens"]) == segment["text"]
    assert not segment["truncated"]


def test_prompt_completion_preference_kto_and_text(tiny_tokenizer):
    [pc] = render_row({"prompt": "2+2?", "completion": "4"}, "prompt_completion", tiny_tokenizer, max_length=2048)
    assert _trained(pc) == "4<|im_end|>"
    chosen, rejected = render_row({"prompt": "pick", "chosen": "good", "rejected": "bad"}, "preference", tiny_tokenizer,
                                  max_length=2048)
    assert (chosen["label"], _trained(chosen), rejected["label"], _trained(rejected)) == (
        "chosen", "good<|im_end|>", "rejected", "bad<|im_end|>")
    [kto] = render_row({"prompt": "p", "completion": "no", "label": False}, "unpaired_preference", tiny_tokenizer, max_length=2048)
    assert kto["label"] == "completion (undesirable)" and _trained(kto) == "no<|im_end|>"
    [doc] = render_row({"text": "the cat sat"}, "text", tiny_tokenizer, max_length=2048)
    assert _trained(doc) == "the cat sat" and doc["trained_tokens"] == doc["total_tokens"]


def test_tokens_past_max_length_are_not_trained(tiny_tokenizer):
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "the dog " * 30}]}
    [segment] = render_row(row, "chat", tiny_tokenizer, max_length=16)
    assert segment["truncated"] and segment["total_tokens"] > 16
    assert not any(t["trained"] for t in segment["tokens"][16:])
    assert 0 < segment["trained_tokens"] <= 16


def test_a_model_without_a_chat_template_is_explained(tiny_tokenizer):
    import copy

    bare = copy.deepcopy(tiny_tokenizer)
    bare.chat_template = None
    with pytest.raises(RenderError, match="no chat template"):
        render_row({"prompt": "a", "completion": "b"}, "prompt_completion", bare, max_length=64)
