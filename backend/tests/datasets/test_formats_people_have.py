"""The data people already have reads as what it means: ShareGPT and OpenAI preference data, KTO
conversations with a label, content parts and per-message loss_weight, and prompt-only RL data with
named reference columns - each with valid rows and broken rows (row-located messages), and on to
training (check_spec, the loss mask, a GRPO run)."""

from __future__ import annotations

import json
import os

import pytest

from tests.datasets.helpers import by_code, jsonl, messages_of, run
from tuneforge.datasets.ingest import FORMATS, detect
from tuneforge.datasets.render import render_row
from tuneforge.training.data import IGNORE_INDEX, as_messages, tokenize_conversation
from tuneforge.training.data_kinds import row_kind
from tuneforge.training.exceptions import SpecError
from tuneforge.training.spec import Target, TrainingSpec, check_spec

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def _errors(report) -> list[str]:
    return [i["message"] for i in report.issues if i["severity"] == "error"]


# -- ShareGPT preference (LLaMA-Factory): conversations + chosen/rejected turn objects -------------------


def _sharegpt_pref(question: str, good: str, bad: str) -> dict:
    return {"conversations": [{"from": "system", "value": "Be kind."}, {"from": "human", "value": question}],
            "chosen": {"from": "gpt", "value": good}, "rejected": {"from": "gpt", "value": bad}}


def test_sharegpt_preference_rows_are_pairs_on_a_conversation(tmp_path):
    rows = [_sharegpt_pref("hi", "hello!", "go away"), _sharegpt_pref("bye", "see you", "whatever")]
    report, out, _ = run(tmp_path, {"pref.jsonl": jsonl(rows)})
    assert (report.kind, report.mapping["format"]) == ("preference", "sharegpt_preference")
    assert report.detection["title"].startswith("Preference on a conversation")
    assert not _errors(report)
    # trl's conversational preference shape: three lists of turns.
    assert out[0] == {"prompt": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"}],
                      "chosen": [{"role": "assistant", "content": "hello!"}],
                      "rejected": [{"role": "assistant", "content": "go away"}]}
    assert {row_kind(r) for r in out} == {"preference"}


def test_broken_sharegpt_preference_rows_say_which_row_and_why(tmp_path):
    ends_with_answer = _sharegpt_pref("q", "a", "b")
    ends_with_answer["conversations"].append({"from": "gpt", "value": "already answered"})
    image = _sharegpt_pref("q", "a", "b")
    image["chosen"] = {"from": "gpt", "value": [{"type": "image_url", "image_url": "x.png"}]}
    empty = _sharegpt_pref("q", "a", "b")
    empty["rejected"] = {"from": "gpt", "value": "  "}
    rows = [_sharegpt_pref("hi", "hello", "no"), ends_with_answer, image, empty]
    report, out, _ = run(tmp_path, {"pref.jsonl": jsonl(rows)})
    assert report.mapping["format"] == "sharegpt_preference"
    assert _errors(report) == [
        "row 2: the prompt conversation ends with an assistant turn, not a user turn",
        "row 3: turn 1 (assistant) has content that is not text",
        "row 4: the rejected is empty",
    ]
    # The row that cannot be expressed canonically is kept as uploaded; the others are kept with their errors.
    assert [bool(r.get("_invalid")) for r in out] == [False, False, True, False]


# -- KTO conversations: messages + a boolean label ---------------------------------------------------------


def _kto_chat(question: str, answer: str, label) -> dict:
    return {"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}], "label": label}


def test_kto_messages_with_a_label_are_labelled_completions(tmp_path):
    rows = [_kto_chat("2+2?", "4", True), _kto_chat("3+3?", "7", False)]
    report, out, _ = run(tmp_path, {"kto.jsonl": jsonl(rows)})
    assert (report.kind, report.mapping["format"]) == ("unpaired_preference", "kto_chat")
    assert not _errors(report)
    assert out == [
        {"prompt": [{"role": "user", "content": "2+2?"}], "completion": [{"role": "assistant", "content": "4"}], "label": True},
        {"prompt": [{"role": "user", "content": "3+3?"}], "completion": [{"role": "assistant", "content": "7"}], "label": False},
    ]
    assert report.stats["labels"] == {"desirable": 1, "undesirable": 1}
    # Not read as plain chat with the label dropped: the chat reading is only a candidate.
    assert "openai" not in [c["format"] for c in report.detection["candidates"]]


def test_broken_kto_conversations(tmp_path):
    no_answer = {"messages": [{"role": "user", "content": "hello?"}], "label": True}
    rows = [_kto_chat("q", "a", True), _kto_chat("q", "b", "maybe"), no_answer]
    report, out, _ = run(tmp_path, {"kto.jsonl": jsonl(rows)})
    assert report.mapping["format"] == "kto_chat"
    assert _errors(report) == [
        "row 2: the label must be true or false, got 'maybe'",
        "row 3: the conversation does not end with an assistant turn, so there is no completion to label",
    ]


def test_a_kto_job_on_messages_and_label_passes_check_spec(tmp_path):
    rows = [_kto_chat(f"Is {i} even?", "yes" if i % 2 == 0 else "no", i % 3 != 0) for i in range(12)]
    report, _, data = run(tmp_path, {"kto.jsonl": jsonl(rows)})
    assert report.kind == "unpaired_preference"
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data)
    spec = TrainingSpec.model_validate(
        {"method": "kto", "adapter": "full", "data": {"sources": [{"path": str(path)}]}, "output_dir": str(tmp_path / "out")})
    assert check_spec(spec, target=Target.standard_worker(), inspect_data=True)["data_kind"] == "unpaired_preference"


def test_a_kto_job_trains_on_messages_and_label_rows(tmp_path, tmp_path_factory):
    from tuneforge.training.event_stream import EventSink
    from tuneforge.training.loading import build_tiny_llama
    from tuneforge.training.runner import run as train

    model_cache = tmp_path_factory.mktemp("model-cache")
    build_tiny_llama(model_cache / "tiny-llama")
    rows = [_kto_chat(f"Is {i} even?", "yes" if i % 2 == 0 else "no", i % 2 == 0) for i in range(16)]
    _, _, data = run(tmp_path, {"kto.jsonl": jsonl(rows)})
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data)
    spec = TrainingSpec.model_validate({
        "method": "kto", "adapter": "lora", "base_model": "tiny-llama", "model_cache_dir": str(model_cache),
        "data": {"sources": [{"path": str(path)}], "max_length": 64, "validation_split": 0.0},
        "hyperparameters": {"max_steps": 2, "batch_size": 4, "logging_steps": 1},
        "eval": {"enabled": False}, "output_dir": str(tmp_path / "out"),
    })
    sink = EventSink()
    result = train(spec, sink=sink)
    assert result.status == "finished", result.error
    [started] = sink.of_type("started")
    assert started["data_kind"] == "unpaired_preference"
    # KTO's own numbers reach the events: the labels were read, not dropped.
    metrics = sink.of_type("metric")
    assert any(any(key.startswith("rewards/") for key in m) for m in metrics), metrics


# -- OpenAI preference fine-tuning ---------------------------------------------------------------------------


def _openai_pref(question: str, good, bad) -> dict:
    return {"input": {"messages": [{"role": "user", "content": question}], "tools": [], "parallel_tool_calls": True},
            "preferred_output": good, "non_preferred_output": bad}


def test_openai_preference_fine_tuning_rows(tmp_path):
    rows = [_openai_pref("Capital of France?", [{"role": "assistant", "content": "Paris"}],
                         [{"role": "assistant", "content": "Lyon"}])] * 2
    report, out, _ = run(tmp_path, {"dpo.jsonl": jsonl(rows)})
    assert (report.kind, report.mapping["format"]) == ("preference", "openai_preference")
    assert report.mapping["columns"] == {"prompt": "input", "chosen": "preferred_output", "rejected": "non_preferred_output"}
    assert out[0] == {"prompt": [{"role": "user", "content": "Capital of France?"}],
                      "chosen": [{"role": "assistant", "content": "Paris"}],
                      "rejected": [{"role": "assistant", "content": "Lyon"}]}


def test_broken_openai_preference_rows(tmp_path):
    good = [{"role": "assistant", "content": "Paris"}]
    rows = [_openai_pref("q", good, [{"role": "assistant", "content": "Lyon"}]),
            _openai_pref("q", [], good),
            {"input": {"messages": []}, "preferred_output": good, "non_preferred_output": [{"role": "assistant", "content": "x"}]}]
    report, _, _ = run(tmp_path, {"dpo.jsonl": jsonl(rows)})
    assert report.mapping["format"] == "openai_preference"
    assert _errors(report) == ["row 2: the chosen is empty", "row 3: the prompt is empty"]


# -- content parts and per-message loss_weight ---------------------------------------------------------------


PARTS_ROW = {"messages": [
    {"role": "system", "content": [{"type": "text", "value": "You sort words."}]},
    {"role": "user", "content": [{"type": "text", "value": "apple pear"}]},
    {"role": "assistant", "content": [{"type": "text", "text": "fruit"}], "loss_weight": 0},
    {"role": "user", "content": [{"type": "text", "text": "cat "}, {"type": "text", "text": "dog"}]},
    {"role": "assistant", "content": "animal 42", "loss_weight": 1},
]}


def test_content_parts_and_loss_weight_are_read(tmp_path):
    report, out, _ = run(tmp_path, {"parts.jsonl": jsonl([PARTS_ROW])})
    assert (report.kind, report.mapping["format"]) == ("chat", "openai")
    assert not report.issues
    assert out == [{"messages": [
        {"role": "system", "content": "You sort words."},
        {"role": "user", "content": "apple pear"},
        {"role": "assistant", "content": "fruit", "loss_weight": 0},
        {"role": "user", "content": "cat dog"},
        {"role": "assistant", "content": "animal 42", "loss_weight": 1},
    ]}]


def test_broken_loss_weights_and_parts(tmp_path):
    half = json.loads(json.dumps(PARTS_ROW))
    half["messages"][2]["loss_weight"] = 0.5
    none_trained = json.loads(json.dumps(PARTS_ROW))
    none_trained["messages"][4]["loss_weight"] = 0
    empty_part = json.loads(json.dumps(PARTS_ROW))
    empty_part["messages"][1]["content"] = [{"type": "text", "value": ""}]
    report, _, _ = run(tmp_path, {"parts.jsonl": jsonl([PARTS_ROW, half, none_trained, empty_part])})
    assert _errors(report) == [
        "row 2: turn 3 (assistant) has the loss_weight 0.5; it must be 0 (not trained) or 1 (trained)",
        "row 3: every assistant turn has loss_weight 0, so nothing is trained",
        "row 4: the user turn (turn 2) is empty",
    ]


def test_loss_weight_0_turns_are_masked_token_by_token(tmp_path, tiny_tokenizer):
    _, [row], _ = run(tmp_path, {"parts.jsonl": jsonl([PARTS_ROW])})
    example = tokenize_conversation(tiny_tokenizer, as_messages(row), max_length=512, loss_on="assistant")
    trained = [t for t, label in zip(example["input_ids"], example["labels"], strict=True) if label != IGNORE_INDEX]
    assert tiny_tokenizer.decode(trained) == "animal 42<|im_end|>"
    assert all(label in (IGNORE_INDEX, t) for t, label in zip(example["input_ids"], example["labels"], strict=True))
    # The rendered text is the plain conversation (loss_weight never reaches the chat template).
    plain = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
    assert tiny_tokenizer.decode(example["input_ids"]) == tiny_tokenizer.apply_chat_template(plain, tokenize=False)
    # Without the weight both answers are trained.
    both = tokenize_conversation(tiny_tokenizer, plain, max_length=512, loss_on="assistant")
    assert sum(label != IGNORE_INDEX for label in both["labels"]) > len(trained)

    # The preview shows the same tokens as trained.
    [segment] = render_row(row, "chat", tiny_tokenizer, max_length=2048)
    assert "".join(t["text"] for t in segment["tokens"] if t["trained"]) == "animal 42<|im_end|>"


# -- prompt-only RL data with named reference columns ------------------------------------------------------------


def test_prompt_only_rows_keep_their_reference_columns(tmp_path):
    rows = [{"problem": f"What is {i} + {i}?", "solution": str(2 * i)} for i in range(3)]
    report, out, _ = run(tmp_path, {"math.jsonl": jsonl(rows)})
    assert (report.kind, report.mapping["format"]) == ("prompt", "prompt_only")
    assert report.mapping["columns"] == {"prompt": "problem", "solution": "solution"}
    assert out[1] == {"prompt": "What is 1 + 1?", "solution": "2"}
    assert {row_kind(r) for r in out} == {"prompt"}


def test_prompt_only_preview_trains_nothing(tiny_tokenizer):
    [segment] = render_row({"prompt": "What is 1 + 1?", "solution": "2"}, "prompt", tiny_tokenizer, max_length=2048)
    assert segment["label"] == "prompt" and segment["trained_tokens"] == 0
    assert segment["text"].endswith("<|im_start|>assistant\n")


def test_prompt_only_reference_numbers_become_text(tmp_path):
    report, out, _ = run(tmp_path, {"rl.jsonl": jsonl([{"prompt": "2+2?", "ground_truth": 4}])})
    assert (report.kind, out) == ("prompt", [{"prompt": "2+2?", "ground_truth": "4"}])


def test_broken_prompt_only_rows(tmp_path):
    rows = [{"prompt": "2+2?", "solution": "4"}, {"prompt": " ", "solution": "1"}, {"prompt": "3+3?", "solution": ""},
            {"prompt": "x", "solution": {"value": 1}}]
    report, out, _ = run(tmp_path, {"rl.jsonl": jsonl(rows)})
    assert report.kind == "prompt"
    assert _errors(report) == [
        "row 2: the prompt is empty",
        "row 4: the 'solution' field is a dict, not text",
    ]
    assert [i["message"] for i in by_code(report, "empty_reference")] == ["row 3: the solution is empty"]


def test_ambiguous_files_are_explained():
    sample = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
               "prompt": "2+2?", "solution": "4"}] * 3
    detection = detect(sample)
    assert detection.ambiguous
    assert "could also be read as" in detection.message
    assert {c.format for c in detection.candidates} >= {"openai", "prompt_only"}


def test_every_new_format_is_offered_to_the_mapping_editor():
    assert {"sharegpt_preference", "openai_preference", "kto_chat", "prompt_only"} <= set(FORMATS)
    assert FORMATS["prompt_only"].kind == "prompt" and FORMATS["kto_chat"].kind == "unpaired_preference"


async def test_dataset_formats_endpoint_lists_them(client, register):
    me = await register()
    response = await client.get("/api/dataset-formats", headers=me.headers)
    assert response.status_code == 200
    formats = {f["name"]: f for f in response.json()}
    assert formats["prompt_only"]["kind"] == "prompt"
    assert "solution" in formats["prompt_only"]["optional"]
    assert formats["openai_preference"]["required"]["chosen"] == ["preferred_output"]
    assert formats["kto_chat"]["required"]["label"] == ["label"]


# -- GRPO on prompt-only rows, exact_match against `solution` ------------------------------------------------------


def test_exact_match_reads_a_named_reference_column():
    from tuneforge.training.rewards import build_reward_functions
    from tuneforge.training.spec import RewardFunction

    [reward], _ = build_reward_functions([RewardFunction(kind="exact_match", reference_column="solution")])
    assert reward(completions=["4", " 5 "], prompts=["a", "b"], solution=["4", "6"], answer=["", ""]) == [1.0, 0.0]


def _grpo_spec(tmp_path, path, model_cache, rewards):
    return TrainingSpec.model_validate({
        "method": "grpo", "adapter": "full", "base_model": "tiny-llama", "model_cache_dir": str(model_cache),
        "data": {"sources": [{"path": str(path)}], "max_length": 64, "validation_split": 0},
        "hyperparameters": {"max_steps": 2, "batch_size": 4, "learning_rate": 1e-3, "logging_steps": 1},
        "grpo": {"num_generations": 4, "max_completion_length": 4, "rewards": rewards},
        "eval": {"enabled": False},
        "output_dir": str(tmp_path / "grpo"),
    })


def test_check_spec_names_the_reference_columns(tmp_path):
    _, _, data = run(tmp_path, {"math.jsonl": jsonl([{"problem": "1+1?", "solution": "2"}] * 4)})
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data)
    target = Target.standard_worker()
    ok = _grpo_spec(tmp_path, path, tmp_path, [{"kind": "exact_match", "reference_column": "solution"}])
    assert check_spec(ok, target=target)["data_kind"] == "prompt"
    with pytest.raises(SpecError, match="by default the 'answer' column, which these prompt-only rows do not have \\(their other columns: solution\\)") as caught:
        check_spec(_grpo_spec(tmp_path, path, tmp_path, [{"kind": "exact_match"}]), target=target)
    assert "reference_column to the column with the answer (e.g. 'solution')" in caught.value.hint
    with pytest.raises(SpecError, match="compares with the column 'answerz'"):
        check_spec(_grpo_spec(tmp_path, path, tmp_path, [{"kind": "exact_match", "reference_column": "answerz"}]),
                   target=target)


def test_grpo_trains_on_prompt_only_rows_with_exact_match_against_solution(tmp_path, tmp_path_factory):
    from tuneforge.training.event_stream import EventSink
    from tuneforge.training.loading import build_tiny_llama
    from tuneforge.training.runner import run as train

    model_cache = tmp_path_factory.mktemp("model-cache")
    build_tiny_llama(model_cache / "tiny-llama")
    rows = [{"problem": f"{w} {w}", "solution": w} for w in ["cat", "dog", "pear", "plum"] * 4]
    _, _, data = run(tmp_path, {"rl.jsonl": jsonl(rows)})
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data)
    spec = _grpo_spec(tmp_path, path, model_cache,
                      [{"kind": "exact_match", "reference_column": "solution"}, {"kind": "length", "target_length": 4}])
    assert check_spec(spec)["data_kind"] == "prompt"
    sink = EventSink()
    result = train(spec, sink=sink)
    assert result.status == "finished", result.error
    metrics = sink.of_type("metric")
    assert len([m for m in metrics if "loss" in m]) == 2
    assert any(any("exact_match_solution" in key for key in m) for m in metrics), metrics
