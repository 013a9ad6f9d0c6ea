"""Tool calling in training: the loss mask trains the assistant's calls and answers and never the tool
results or definitions (checked token by token), the chatml-tools template is picked when the model's
own cannot render tools, a template without tool support is refused with the alternative named, a
short SFT run on tool_chat rows finishes, and evaluation reports the share of valid generated calls."""

from __future__ import annotations

import pytest

from tests.training.conftest import train, write_jsonl
from tuneforge.training.data import (
    IGNORE_INDEX,
    as_messages,
    render_text,
    template_supports_tools,
    tokenize_conversation,
)
from tuneforge.training.evaluation import tool_call_validity
from tuneforge.training.exceptions import SpecError
from tuneforge.training.loading import CHAT_TEMPLATES, default_cache_dir, load_tokenizer
from tuneforge.training.spec import check_spec

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>'
ANSWER = "It is sunny.<|im_end|>"


def _row(city: str = "Paris", sky: str = "sunny") -> dict:
    return {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"Weather in {city}?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": f'{{"city": "{city}"}}'}}]},
            {"role": "tool", "content": f'{{"sky": "{sky}"}}', "tool_call_id": "call_1"},
            {"role": "assistant", "content": f"It is {sky}."},
        ],
        "tools": TOOLS,
    }


def _check_mask(tokenizer) -> None:
    row = _row()
    example = tokenize_conversation(tokenizer, as_messages(row), max_length=4096, loss_on="assistant", tools=row["tools"])
    text = render_text(tokenizer, row["messages"], tools=row["tools"])
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert example["input_ids"] == encoded["input_ids"]
    # The expected trained characters: the call (through its end-of-turn token) and the final answer.
    expected = [(text.index(CALL), text.index(CALL) + len(CALL)), (text.index(ANSWER), text.index(ANSWER) + len(ANSWER))]
    for token_id, label, (start, end) in zip(example["input_ids"], example["labels"], encoded["offset_mapping"], strict=True):
        inside = any(a <= start < b for a, b in expected) and end > start
        assert label == (token_id if inside else IGNORE_INDEX), repr(text[start:end])
    trained = "".join(text[s:e] for (s, e), label in zip(encoded["offset_mapping"], example["labels"], strict=True)
                      if label != IGNORE_INDEX)
    assert trained == CALL + ANSWER
    assert "<tools>" in text and '{"sky": "sunny"}' in text  # definitions and results are there, untrained


def test_the_mask_trains_calls_and_answers_never_results_or_definitions(model_cache):
    tokenizer, name, added = load_tokenizer(model_cache / "tiny-llama", tools=True)
    assert (name, added) == ("chatml-tools", 0)  # tiny-llama's own ChatML template renders no tools
    _check_mask(tokenizer)


def test_the_mask_on_smollm2():
    from tuneforge.training.loading import resolve_base_model

    # Converted from its GGUF once per machine (~40 s), then cached.
    path = resolve_base_model("SmolLM2-135M-Instruct", default_cache_dir())
    tokenizer, name, _ = load_tokenizer(path, tools=True)
    assert name == "chatml-tools"  # SmolLM2's template has no tool support
    _check_mask(tokenizer)


def test_tool_support_is_read_from_the_template_source(model_cache):
    assert template_supports_tools(CHAT_TEMPLATES["chatml-tools"])
    assert not any(template_supports_tools(CHAT_TEMPLATES[n]) for n in ("chatml", "llama-3", "alpaca", "zephyr"))
    tokenizer, name, _ = load_tokenizer(model_cache / "tiny-llama")  # no tool data: the model's own
    assert name == "tokenizer"


def test_a_template_without_tool_support_is_refused_with_the_alternative(make_spec, tmp_path):
    data = write_jsonl(tmp_path / "tools.jsonl", [_row() for _ in range(4)])
    spec = make_spec(data={"sources": [{"path": str(data)}], "chat_template": "chatml"})
    with pytest.raises(SpecError) as caught:
        check_spec(spec)
    assert "does not support tools" in str(caught.value)
    assert "use chat_template: chatml-tools" in caught.value.hint
    ok = make_spec(data={"sources": [{"path": str(data)}], "chat_template": "chatml-tools"})
    assert check_spec(ok)["data_kind"] == "tool_chat"


def test_sft_on_tool_chat_rows_finishes_and_reports_valid_calls(make_spec, tmp_path):
    rows = [_row(city, sky) for city in ("Paris", "Rome", "Oslo") for sky in ("sunny", "rainy")] * 2
    data = write_jsonl(tmp_path / "tools.jsonl", rows)
    spec = make_spec(
        data={"sources": [{"path": str(data)}], "max_length": 512, "validation_split": 0.2},
        hyperparameters={"max_steps": 2, "batch_size": 2},
        eval={"enabled": True, "generation_samples": 2, "max_new_tokens": 8, "compare_base": False},
    )
    result, sink = train(spec)
    assert result.status == "finished", result.error
    [started] = sink.of_type("started")
    assert (started["data_kind"], started["chat_template"]) == ("tool_chat", "chatml-tools")
    assert any("using chatml-tools" in e["message"] for e in sink.of_type("log"))
    [final] = [e for e in sink.of_type("eval") if e.get("final")]
    assert final["tool_call_prompts"] >= 1 and 0.0 <= final["tool_call_valid_rate"] <= 1.0


def test_sft_on_tool_chat_rows_trains_smollm2(make_spec, tmp_path):
    from tuneforge.training.loading import resolve_base_model

    cache = default_cache_dir()
    resolve_base_model("SmolLM2-135M-Instruct", cache)  # converted from its GGUF once per machine (~40 s)
    data = write_jsonl(tmp_path / "tools.jsonl", [_row(city, sky) for city in ("Paris", "Rome") for sky in ("sunny", "rainy")])
    spec = make_spec(
        data={"sources": [{"path": str(data)}], "max_length": 256, "validation_split": 0.0},
        hyperparameters={"max_steps": 2, "batch_size": 2},
        eval={"enabled": False},
    ).model_copy(update={"base_model": "SmolLM2-135M-Instruct", "model_cache_dir": str(cache)})
    result, sink = train(spec)
    assert result.status == "finished", result.error
    [started] = sink.of_type("started")
    assert (started["data_kind"], started["chat_template"]) == ("tool_chat", "chatml-tools")
    losses = [e["loss"] for e in sink.of_type("metric") if isinstance(e.get("loss"), float)]
    assert len(losses) == 2 and all(loss > 0 for loss in losses)


def test_tool_call_validity_parses_the_generated_blocks():
    good = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Rome"}}\n</tool_call>'
    undefined = '<tool_call>{"name": "get_time", "arguments": {}}</tool_call>'
    bad_json = '<tool_call>{"name": "get_weather", "arguments": {"city": </tool_call>'
    text_args = '<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}</tool_call>'
    assert tool_call_validity(good + undefined + bad_json + text_args, TOOLS) == (2, 4)
    assert tool_call_validity("no calls here", TOOLS) == (0, 0)
