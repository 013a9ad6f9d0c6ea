"""Loss masking: exactly the assistant tokens (answer + end-of-turn token) carry labels."""

from __future__ import annotations

import pytest

from tuneforge.training.data import IGNORE_INDEX, tokenize_conversation, tokenize_sft
from tuneforge.training.loading import load_tokenizer

CONVERSATION = [
    {"role": "system", "content": "You sort words."},
    {"role": "user", "content": "apple pear"},
    {"role": "assistant", "content": "fruit"},
    {"role": "user", "content": "cat dog"},
    {"role": "assistant", "content": "animal 42"},
]


@pytest.fixture(scope="module")
def tokenizer(model_cache):
    tok, name, added = load_tokenizer(model_cache / "tiny-llama")
    assert name == "tokenizer" and added == 0  # tiny-llama ships its own ChatML template
    return tok


def _trained_spans(tokenizer, example) -> list[list[int]]:
    """Contiguous runs of trained token ids."""
    spans, current = [], []
    for token_id, label in zip(example["input_ids"], example["labels"], strict=True):
        if label == IGNORE_INDEX:
            if current:
                spans.append(current)
            current = []
        else:
            assert label == token_id
            current.append(token_id)
    if current:
        spans.append(current)
    return spans


def test_multi_turn_labels_cover_exactly_the_assistant_turns(tokenizer):
    example = tokenize_conversation(tokenizer, CONVERSATION, max_length=512, loss_on="assistant")
    spans = _trained_spans(tokenizer, example)
    assert [tokenizer.decode(s) for s in spans] == ["fruit<|im_end|>", "animal 42<|im_end|>"]

    # And every other token - system, user turns, role headers, newlines - is masked.
    full = tokenizer.apply_chat_template(CONVERSATION, tokenize=False)
    assert tokenizer.decode(example["input_ids"]) == full
    trained = sum(len(s) for s in spans)
    expected = len(tokenizer("fruit<|im_end|>", add_special_tokens=False)["input_ids"]) + len(
        tokenizer("animal 42<|im_end|>", add_special_tokens=False)["input_ids"]
    )
    assert trained == expected
    masked = [t for t, lab in zip(example["input_ids"], example["labels"], strict=True) if lab == IGNORE_INDEX]
    assert "You sort words." in tokenizer.decode(masked) and "cat dog" in tokenizer.decode(masked)


def test_loss_on_all_trains_every_token(tokenizer):
    example = tokenize_conversation(tokenizer, CONVERSATION, max_length=512, loss_on="all")
    assert example["labels"] == example["input_ids"]


def test_prompt_completion_rows_train_only_the_completion(tokenizer):
    [example] = tokenize_sft(
        tokenizer, [{"prompt": "cow horse", "completion": "animal"}], max_length=64, loss_on="assistant",
        packing=False,
    )
    assert [tokenizer.decode(s) for s in _trained_spans(tokenizer, example)] == ["animal<|im_end|>"]


def test_truncated_rows_without_answer_tokens_are_dropped(tokenizer):
    long_prompt = {"prompt": "word " * 200, "completion": "fruit"}
    short = {"prompt": "plum", "completion": "fruit"}
    examples = tokenize_sft(tokenizer, [long_prompt, short], max_length=32, loss_on="assistant", packing=False)
    assert len(examples) == 1 and len(examples[0]["input_ids"]) <= 32


def test_packing_fills_blocks_and_keeps_masks(tokenizer):
    rows = [{"prompt": "plum pear", "completion": "fruit"}] * 20
    blocks = tokenize_sft(tokenizer, rows, max_length=32, loss_on="assistant", packing=True)
    assert all(len(b["input_ids"]) == 32 for b in blocks[:-1])
    trained = [t for b in blocks for t, lab in zip(b["input_ids"], b["labels"], strict=True) if lab != IGNORE_INDEX]
    assert tokenizer.decode(trained).count("fruit<|im_end|>") >= 18


def test_named_fallback_template_for_a_model_without_one(model_cache, tmp_path):
    """A base model with no chat template gets the named one, its special tokens, and saves it."""
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(model_cache / "tiny-llama", bare)
    (bare / "chat_template.jinja").unlink()
    import json

    config = json.loads((bare / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (bare / "tokenizer_config.json").write_text(json.dumps(config))

    tok, name, added = load_tokenizer(bare, "llama-3")
    assert name == "llama-3" and added == 3
    assert tok.eos_token == "<|eot_id|>"
    example = tokenize_conversation(tok, CONVERSATION, max_length=512, loss_on="assistant")
    assert [tok.decode(s) for s in _trained_spans(tok, example)] == ["fruit<|eot_id|>", "animal 42<|eot_id|>"]
    tok.save_pretrained(tmp_path / "saved")
    assert "start_header_id" in (tmp_path / "saved" / "chat_template.jinja").read_text()
