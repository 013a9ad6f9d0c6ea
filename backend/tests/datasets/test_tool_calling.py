"""Tool-calling conversations read as the tool_chat kind: ShareGPT (function_call/observation + a tools
column, as JSON text or a list) and OpenAI (assistant tool_calls, role tool, tools) - valid rows become
canonical OpenAI-shaped rows, broken ones get row-located messages - and the preview marks the
assistant's calls and answers only."""

from __future__ import annotations

import json

from tests.datasets.helpers import jsonl, run
from tuneforge.datasets.ingest import detect
from tuneforge.datasets.render import render_row
from tuneforge.training.data_kinds import DATA_KIND_DESCRIPTIONS, row_kind

WEATHER = {"name": "get_weather", "description": "The weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def _errors(report) -> list[str]:
    return [i["message"] for i in report.issues if i["severity"] == "error"]


def _sharegpt(call: str = '{"name": "get_weather", "arguments": {"city": "Paris"}}', tools=None) -> dict:
    return {
        "conversations": [
            {"from": "human", "value": "Weather in Paris?"},
            {"from": "function_call", "value": call},
            {"from": "observation", "value": '{"sky": "sunny"}'},
            {"from": "gpt", "value": "It is sunny in Paris."},
        ],
        "tools": json.dumps([WEATHER]) if tools is None else tools,
    }


def _openai(name: str = "get_weather", arguments: str = '{"city": "Paris"}') -> dict:
    return {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None,
             "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "sunny"}'},
            {"role": "assistant", "content": "Sunny."},
        ],
        "tools": [{"type": "function", "function": WEATHER}],
    }


def test_sharegpt_function_call_and_observation_rows_are_tool_conversations(tmp_path):
    rows = [_sharegpt(), _sharegpt(tools=[WEATHER])]  # tools as JSON text, and as a list
    report, out, _ = run(tmp_path, {"tools.jsonl": jsonl(rows)})
    assert (report.kind, report.mapping["format"]) == ("tool_chat", "sharegpt_tools")
    assert not _errors(report)
    assert out[0] == out[1] == {
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "",
             "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
            {"role": "tool", "content": '{"sky": "sunny"}'},
            {"role": "assistant", "content": "It is sunny in Paris."},
        ],
        "tools": [{"type": "function", "function": WEATHER}],
    }
    assert {row_kind(r) for r in out} == {"tool_chat"}
    assert DATA_KIND_DESCRIPTIONS["tool_chat"] == "conversations with tool calls"


def test_openai_tool_calls_tool_role_and_tools_are_tool_conversations(tmp_path):
    report, out, _ = run(tmp_path, {"tools.jsonl": jsonl([_openai(), _openai()])})
    assert (report.kind, report.mapping["format"]) == ("tool_chat", "openai_tools")
    assert not _errors(report)
    messages = out[0]["messages"]
    assert messages[2] == {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}, "id": "call_1"}]}
    assert messages[3] == {"role": "tool", "content": '{"sky": "sunny"}', "tool_call_id": "call_1"}
    assert detect([_openai()]).mapping.kind == "tool_chat"


def test_broken_sharegpt_tool_rows_say_which_row_and_why(tmp_path):
    orphan = _sharegpt()
    del orphan["conversations"][1]  # the observation has no call before it
    rows = [_sharegpt(), _sharegpt('{"name": "get_time", "arguments": {}}'),
            _sharegpt('{"name": "get_weather", "arguments": {"city": '), orphan, _sharegpt(tools="[not json")]
    report, out, _ = run(tmp_path, {"tools.jsonl": jsonl(rows)})
    assert report.kind == "tool_chat"
    errors = _errors(report)
    assert errors[0] == "row 2: turn 2 calls the tool 'get_time', which the tools do not define"
    assert errors[1].startswith("row 3: turn 2 (function_call) is not valid JSON")
    assert errors[2] == "row 4: turn 2 is a tool result without a preceding tool call"
    assert errors[3].startswith("row 5: 'tools' is not valid JSON")
    assert len(errors) == 4


def test_broken_openai_tool_rows_say_which_row_and_why(tmp_path):
    orphan = _openai()
    del orphan["messages"][2]
    rows = [_openai(), _openai(name="get_time"), _openai(arguments='{"city": Paris}'), orphan]
    report, _, _ = run(tmp_path, {"tools.jsonl": jsonl(rows)})
    assert report.kind == "tool_chat"
    errors = _errors(report)
    assert errors[0] == "row 2: turn 3 calls the tool 'get_time', which the tools do not define"
    assert errors[1].startswith("row 3: turn 3 calls 'get_weather' with arguments that are not valid JSON")
    assert errors[2] == "row 4: turn 3 is a tool result without a preceding tool call"
    assert len(errors) == 3


def test_the_preview_marks_the_calls_and_answers_not_the_results_or_definitions(tmp_path):
    from tuneforge.training.loading import build_tiny_llama
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(build_tiny_llama(tmp_path / "tiny-llama"))
    _, out, _ = run(tmp_path, {"tools.jsonl": jsonl([_openai()])})
    [segment] = render_row(out[0], "tool_chat", tokenizer, max_length=4096)
    trained = "".join(t["text"] for t in segment["tokens"] if t["trained"])
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' in trained
    assert "Sunny." in trained
    assert "sunny" not in trained  # the tool result
    assert "<tools>" in segment["text"] and "<tools>" not in trained and "description" not in trained
    assert tokenizer.chat_template and "tools" not in tokenizer.chat_template  # the shared tokenizer is untouched
