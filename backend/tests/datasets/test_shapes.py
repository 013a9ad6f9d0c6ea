"""Detection of every supported shape, user mappings, validation messages, stats and splits."""

from __future__ import annotations

import io
import json

import pytest

from tests.datasets.helpers import by_code, chat, jsonl, messages_of, run
from tuneforge.datasets.ingest import IngestOptions, ingest_canonical, split_canonical
from tuneforge.datasets.ingest.splits import split_counts


def test_sharegpt_with_system_and_human_gpt_roles(tmp_path):
    rows = [{"conversations": [{"from": "system", "value": "Be kind."}, {"from": "human", "value": "Hi"},
                               {"from": "gpt", "value": "Hello"}, {"from": "human", "value": "Bye"},
                               {"from": "gpt", "value": "Goodbye"}]}]
    report, out, _ = run(tmp_path, {"sg.jsonl": jsonl(rows)})
    assert report.mapping == {"kind": "chat", "format": "sharegpt", "columns": {"messages": "conversations"}}
    assert [t["role"] for t in out[0]["messages"]] == ["system", "user", "assistant", "user", "assistant"]
    assert report.stats["turns"] == {"histogram": {"4": 1}, "mean": 4.0}
    assert report.stats["roles"] == {"system": 1, "user": 2, "assistant": 2}


def test_chat_validation_messages(tmp_path):
    rows = [chat(f"q{i}", f"a{i}") for i in range(45)]
    rows[11] = chat("q", "   ")  # row 12
    rows[39] = {"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "yo"}]}  # row 40
    rows[40] = {"messages": [{"role": "user", "content": "a"}, {"role": "bot2", "content": "b"}]}  # row 41
    rows[41] = {"messages": [{"role": "user", "content": "only a question"}]}  # row 42
    rows[42] = {"messages": "not a list"}  # row 43
    rows[43] = {"text": "no messages column"}  # row 44
    report, out, _ = run(tmp_path, {"chat.jsonl": jsonl(rows)})
    assert messages_of(report) == [
        "row 12: the assistant turn is empty",
        "row 40: roles must alternate user/assistant after an optional system message",
        "row 41: turn 2 has the role 'bot2'; expected system, user or assistant",
        "row 42: the conversation has no assistant turn to learn from",
        "row 43: 'messages' must be a list of turns, but it is text",
        "row 44: the 'messages' field is missing",
    ]
    assert {i["severity"] for i in report.issues} == {"error"}
    assert report.stats["rows"] == 45 and report.stats["valid_rows"] == 39
    assert out[42] == {"_invalid": True, "raw": {"messages": "not a list"}}


def test_multi_turn_empty_turn_names_the_turn(tmp_path):
    row = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                        {"role": "user", "content": "c"}, {"role": "assistant", "content": ""}]}
    report, _, _ = run(tmp_path, {"c.jsonl": jsonl([row])})
    assert messages_of(report) == ["row 1: the assistant turn (turn 4) is empty"]


@pytest.mark.parametrize(
    ("row", "fmt", "canonical"),
    [
        ({"instruction": "Add", "input": "2 and 3", "output": "5"}, "alpaca", {"prompt": "Add\n\n2 and 3", "completion": "5"}),
        ({"instruction": "Hi", "context": "", "response": "Hello"}, "dolly", {"prompt": "Hi", "completion": "Hello"}),
        ({"prompt": "P", "completion": "C"}, "prompt_completion", {"prompt": "P", "completion": "C"}),
        ({"question": "Q?", "answer": "A", "context": "Ctx"}, "question_answer", {"prompt": "Ctx\n\nQ?", "completion": "A"}),
        ({"prompt": "P", "completion": "C", "label": "false"}, "kto", {"prompt": "P", "completion": "C", "label": False}),
        ({"text": "Some text"}, "text", {"text": "Some text"}),
        ({"prompt": "P", "chosen": "good", "rejected": "bad"}, "preference", {"prompt": "P", "chosen": "good", "rejected": "bad"}),
    ],
)
def test_instruction_preference_kto_and_text_shapes(tmp_path, row, fmt, canonical):
    report, out, _ = run(tmp_path, {"d.jsonl": jsonl([row])})
    assert report.mapping["format"] == fmt
    assert out == [canonical]


def test_anthropic_hh_full_text_pairs_become_conversations(tmp_path):
    row = {"chosen": "\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant: 6.",
           "rejected": "\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant: Fish."}
    report, out, _ = run(tmp_path, {"hh.jsonl": jsonl([row])})
    assert report.mapping["format"] == "anthropic_hh"
    assert out == [{
        "prompt": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4."},
                   {"role": "user", "content": "And 3+3?"}],
        "chosen": [{"role": "assistant", "content": "6."}],
        "rejected": [{"role": "assistant", "content": "Fish."}],
    }]


def test_preference_message_lists_with_implicit_prompt(tmp_path):
    user = {"role": "user", "content": "Hi"}
    row = {"chosen": [user, {"role": "assistant", "content": "Hello!"}],
           "rejected": [user, {"role": "assistant", "content": "Go away."}]}
    report, out, _ = run(tmp_path, {"p.jsonl": jsonl([row])})
    assert report.mapping["format"] == "implicit_preference"
    assert out == [{"prompt": [user], "chosen": [{"role": "assistant", "content": "Hello!"}],
                    "rejected": [{"role": "assistant", "content": "Go away."}]}]


def test_kto_label_errors_and_counts(tmp_path):
    rows = [{"prompt": "p", "completion": "c", "label": True}, {"prompt": "p2", "completion": "c2", "label": 0},
            {"prompt": "p3", "completion": "c3", "label": "maybe"}]
    report, out, _ = run(tmp_path, {"k.jsonl": jsonl(rows)})
    assert messages_of(report) == ["row 3: the label must be true or false, got 'maybe'"]
    assert report.kind == "unpaired_preference" and report.stats["labels"] == {"desirable": 1, "undesirable": 1}
    assert out[2]["_invalid"] is True


def test_ambiguous_columns_are_reported_with_candidates(tmp_path):
    rows = [{"instruction": "Add", "input": "", "output": "5", "text": "### Instruction: Add ### Response: 5"}]
    report, _, _ = run(tmp_path, {"a.jsonl": jsonl(rows)})
    assert report.mapping["format"] == "alpaca"
    assert report.detection["ambiguous"] is True
    assert [c["format"] for c in report.detection["candidates"]] == ["alpaca", "text"]
    [warning] = by_code(report, "ambiguous_format")
    assert warning["message"] == ("read as Alpaca (instruction/input/output); the file could also be read as "
                                  "Plain text (text). Change the mapping if that is what you meant")


def test_user_mapping_overrides_detection(tmp_path):
    rows = [{"instruction": "Add", "input": "", "output": "5", "text": "pre-rendered"}]
    report, out, _ = run(tmp_path, {"a.jsonl": jsonl(rows)}, mapping={"kind": "text", "columns": {"text": "text"}})
    assert out == [{"text": "pre-rendered"}] and report.kind == "text"
    rows = [{"q": "Why?", "a": "Because."}]
    report, out, _ = run(tmp_path, {"b.jsonl": jsonl(rows)},
                         mapping={"format": "prompt_completion", "columns": {"prompt": "q", "completion": "a"}})
    assert out == [{"prompt": "Why?", "completion": "Because."}]
    with pytest.raises(ValueError, match="column 'nope' .* is not in the file; its columns are q, a"):
        run(tmp_path, {"b.jsonl": jsonl(rows)}, mapping={"kind": "prompt_completion", "columns": {"prompt": "nope"}})


def test_unrecognised_columns_are_an_error_with_a_way_out(tmp_path):
    report, out, _ = run(tmp_path, {"x.jsonl": jsonl([{"foo": 1, "bar": 2}])})
    assert report.kind is None and report.detection["candidates"] == []
    assert messages_of(report)[0].startswith("could not recognise the columns (foo, bar). Choose a mapping")
    assert out == [{"_invalid": True, "raw": {"foo": 1, "bar": 2}}]


def test_duplicates_are_warned_with_the_first_occurrence(tmp_path):
    rows = [chat("a", "b"), chat("c", "d"), chat("a", "b"), chat("e", "f"), chat("c", "d"), chat("a", "b")]
    report, _, _ = run(tmp_path, {"d.jsonl": jsonl(rows)})
    assert messages_of(report) == ["row 3: identical to row 1", "row 5: identical to row 2", "row 6: identical to row 1"]
    assert report.stats["duplicates"] == 3 and report.usable


def test_token_stats_and_rows_over_the_limit(tmp_path, tiny_tokenizer):
    rows = [chat("hello", "hi"), chat("the cat " * 40, "the dog " * 40), chat("apple", "pear")]
    report, _, _ = run(tmp_path, {"c.jsonl": jsonl(rows)}, tokenizer=tiny_tokenizer, tokenizer_name="tiny-llama",
                       max_length=64)
    length = report.stats["length"]
    rendered = [tiny_tokenizer.apply_chat_template(r["messages"], tokenize=False) for r in rows]
    expected = [len(tiny_tokenizer(text, add_special_tokens=False)["input_ids"]) for text in rendered]
    assert length["unit"] == "tokens" and length["tokenizer"] == "tiny-llama"
    assert length["total"] == sum(expected) and length["max"] == max(expected)
    assert length["over_limit"] == 1 and sum(b["rows"] for b in length["histogram"]) == 3
    assert messages_of(report) == [f"row 2: {expected[1]} tokens, longer than the 64-token limit"]


def test_drop_invalid_rows_makes_a_clean_canonical_file(tmp_path):
    body = jsonl([chat("a", "b"), chat("c", "")]) + b"{broken\n" + jsonl([chat("a", "b")])
    report, _, data = run(tmp_path, {"c.jsonl": body})
    assert report.summary["errors"] == 2
    source = tmp_path / "canonical.jsonl"
    source.write_bytes(data)
    out = io.BytesIO()
    clean = ingest_canonical(source, out, kind="chat", options=IngestOptions(drop_invalid=True, drop_duplicates=True))
    assert clean.usable and clean.rows == 1
    assert clean.dropped == {"invalid": 2, "duplicates": 1}
    assert [json.loads(x) for x in out.getvalue().splitlines()] == [chat("a", "b")]


def test_identical_content_has_identical_sha(tmp_path):
    rows = [chat("a", "b")]
    first, _, _ = run(tmp_path, {"a.jsonl": jsonl(rows)})
    second, _, _ = run(tmp_path, {"b.csv": b'messages\n"[{""role"": ""user"", ""content"": ""a""}, {""role"": ""assistant"", ""content"": ""b""}]"\n'})
    assert second.kind == "chat" and first.sha256 == second.sha256


def test_split_is_deterministic_exact_and_warns_on_overlap(tmp_path):
    rows = [chat(f"q{i}", f"a{i}") for i in range(70)] + [chat("q1", "a1")] * 30
    path = tmp_path / "rows.jsonl"
    path.write_bytes(jsonl(rows))

    def do_split(seed):
        outs = {name: io.BytesIO() for name in ("train", "validation", "test")}
        report = split_canonical(path, outs, ratios={"train": 0.8, "validation": 0.1, "test": 0.1}, seed=seed)
        return report, {k: v.getvalue() for k, v in outs.items()}

    first, files = do_split(7)
    again, files_again = do_split(7)
    other, files_other = do_split(8)
    assert first.counts == {"train": 80, "validation": 10, "test": 10}
    assert files == files_again and first.sha256 == again.sha256
    assert files["validation"] != files_other["validation"]
    assert sorted(b"".join(files.values()).splitlines()) == sorted(path.read_bytes().splitlines())
    shared = first.overlap.get("validation", 0) + first.overlap.get("test", 0)
    assert shared >= 1
    assert first.issues[0]["message"].endswith("rows also appear in train")


def test_split_counts_edge_cases():
    assert split_counts(3, {"train": 0.8, "validation": 0.1, "test": 0.1}) == {"train": 1, "validation": 1, "test": 1}
    assert split_counts(1, {"train": 0.5, "validation": 0.5, "test": 0.0}) == {"train": 1, "validation": 0, "test": 0}
    with pytest.raises(ValueError, match="add up to 1"):
        split_canonical(None, {}, ratios={"train": 0.5, "validation": 0.1}, seed=1)


def test_markdown_transcripts_become_chat_rows(tmp_path):
    transcript = (
        "# Support log\nExported 2024-01-01\n\n"
        "**Customer:** My order is late.\nIt was due Monday.\n\n"
        "**Agent:** Sorry! Let me check.\n\n"
        "Q2: Any news?\n\n"
        "A: It ships today.\n"
        "---\n"
        "**Customer:** Second conversation\n**Agent:** Reply\n"
    )
    participants = {"user": ["**Customer:**", {"regex": r"Q\d+:"}], "assistant": ["**Agent:**", {"regex": "A:"}]}
    report, out, _ = run(tmp_path, {"log.md": transcript.encode()}, participants=participants,
                         conversation_separator="---")
    assert report.mapping["format"] == "markdown_chat" and report.kind == "chat"
    assert out == [
        {"messages": [{"role": "user", "content": "My order is late.\nIt was due Monday."},
                      {"role": "assistant", "content": "Sorry! Let me check."},
                      {"role": "user", "content": "Any news?"},
                      {"role": "assistant", "content": "It ships today."}]},
        {"messages": [{"role": "user", "content": "Second conversation"}, {"role": "assistant", "content": "Reply"}]},
    ]
    assert messages_of(report) == ["log.md: 2 lines before the first speaker (line 4) were ignored"]


def test_bad_participant_regex_is_refused():
    from tuneforge.datasets.ingest import PatternError, compile_participants

    with pytest.raises(PatternError, match="not a valid regular expression"):
        compile_participants({"user": [{"regex": "(unclosed"}], "assistant": ["A:"]})
    with pytest.raises(PatternError, match="at least one pattern for the user"):
        compile_participants({"assistant": ["A:"]})


def test_token_lengths_past_the_exact_budget_are_estimated_but_over_limit_stays_exact(tmp_path, tiny_tokenizer):
    rows = [chat(f"the cat {i}", "the dog sat " * 3) for i in range(300)]
    rows[250] = chat("long", "the dog sat " * 100)  # over 300 tokens, after the exact budget
    common = dict(tokenizer=tiny_tokenizer, tokenizer_name="tiny-llama", max_length=300)
    exact, _, _ = run(tmp_path, {"c.jsonl": jsonl(rows)}, **common)
    sampled, _, _ = run(tmp_path, {"c.jsonl": jsonl(rows)}, exact_token_rows=100, **common)
    assert exact.stats["length"]["estimated_rows"] == 0
    assert sampled.stats["length"]["estimated_rows"] == 199  # rows 101-300 except the long one
    assert exact.stats["length"]["over_limit"] == sampled.stats["length"]["over_limit"] == 1
    assert messages_of(sampled) == messages_of(exact)
    assert sampled.stats["length"]["total"] == pytest.approx(exact.stats["length"]["total"], rel=0.05)
