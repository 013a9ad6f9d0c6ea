"""Turn one source row into its canonical shape, given a mapping.

Returns (row, problems). `row` is None when the source row cannot be expressed canonically
(a required field missing, a label that is not true/false): the pipeline keeps the raw row
so nothing is lost, and reports the problem.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tuneforge.datasets.ingest.detect import FORMATS, REFERENCE_SLOTS, Mapping, as_list
from tuneforge.datasets.ingest.issues import Problem, short

ROLE_ALIASES = {
    "user": "user", "human": "user", "prompter": "user", "customer": "user",
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant", "chatgpt": "assistant",
    "ai": "assistant", "system": "system",
}
_CANONICAL_ROLES = frozenset({"system", "user", "assistant"})
_TRUE = {"true", "1", "yes", "y", "desirable", "good", "positive", "t"}
_FALSE = {"false", "0", "no", "n", "undesirable", "bad", "negative", "f"}


def _missing(slot: str, column: str) -> Problem:
    return Problem("error", "missing_field", f"the {column!r} field is missing",
                   f"Every row needs {column!r} (used as the {slot}). Add it, or change the column mapping.", column)


def _text(value: Any, *, slot: str, column: str, problems: list[Problem]) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        problems.append(Problem("error", "wrong_type", f"the {column!r} field is true/false, not text",
                                "Use text for this field.", column))
        return None
    if isinstance(value, int | float):
        return str(value)
    problems.append(Problem("error", "wrong_type", f"the {column!r} field is a {type(value).__name__}, not text",
                            f"The {slot} must be a string. Change the column mapping if another column holds it.",
                            column))
    return None


_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})


def _content(value: Any) -> Any:
    """Content may be a list of parts ({"type": "text", "text": ...} as OpenAI writes them, or
    {"type": "text", "value": ...}); text parts are joined, anything else is reported later."""
    if isinstance(value, list):
        texts = [p.get("text", p.get("value")) for p in value if isinstance(p, dict) and p.get("type") in _TEXT_PARTS]
        if len(texts) == len(value) and all(isinstance(t, str) for t in texts):
            return "".join(texts)
    return value


def _loss_weight(value: Any) -> int | None:
    """A message's loss_weight: 0 (not trained) or 1 (trained); None for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    return None


def normalize_messages(value: Any, column: str, problems: list[Problem]) -> list[dict] | None:
    value = as_list(value)
    if not isinstance(value, list):
        kind = "text" if isinstance(value, str) else type(value).__name__
        problems.append(Problem("error", "wrong_type", f"{column!r} must be a list of turns, but it is {kind}",
                                'Each row needs a list like [{"role": "user", "content": "..."}, ...].', column))
        return None
    turns = []
    for index, turn in enumerate(value, 1):
        if type(turn) is dict and len(turn) == 2 and type(turn.get("content")) is str and turn.get("role") in _CANONICAL_ROLES:
            turns.append(turn)  # already canonical (the common OpenAI case): no copying
            continue
        if not isinstance(turn, dict):
            problems.append(Problem("error", "wrong_type", f"turn {index} is not an object with a role and content",
                                    'Write each turn as {"role": "user", "content": "..."}.', column))
            return None
        role = turn.get("role", turn.get("from"))
        content = _content(turn.get("content", turn.get("value", turn.get("text"))))
        role_text = str(role).strip()
        canonical_role = ROLE_ALIASES.get(role_text.lower(), role_text)
        if content is not None and not isinstance(content, str):
            problems.append(Problem("error", "wrong_type", f"turn {index} ({canonical_role}) has content that is not text",
                                    "Only text conversations can be trained on; remove images or tool payloads.",
                                    column))
            return None
        canonical = {"role": canonical_role, "content": content if content is not None else ""}
        if "loss_weight" in turn:
            weight = _loss_weight(turn["loss_weight"])
            if weight is None:
                problems.append(Problem(
                    "error", "wrong_type",
                    f"turn {index} ({canonical_role}) has the loss_weight {short(turn['loss_weight'])}; "
                    "it must be 0 (not trained) or 1 (trained)",
                    "Set loss_weight to 0 or 1, or remove it.", column))
                return None
            canonical["loss_weight"] = weight
        turns.append(canonical)
    return turns


# -- tool calling ----------------------------------------------------------------------------------
# Canonical tool rows are OpenAI's shape: {"messages": [...], "tools": [{"type": "function", "function": {...}}]};
# an assistant turn may carry "tool_calls": [{"type": "function", "function": {"name", "arguments"}}] (arguments
# as JSON text, as OpenAI writes them) and tool results are {"role": "tool", "content", "tool_call_id"?, "name"?}.
_TOOL_CALL_ROLES = frozenset({"function_call", "tool_call", "tool_calls"})
_TOOL_RESULT_ROLES = frozenset({"observation", "tool", "function", "tool_response", "ipython"})


def normalize_tools(value: Any, column: str, problems: list[Problem]) -> list[dict] | None:
    """tools as a list (or JSON text) of OpenAI {"type": "function", "function": {...}} or bare
    {"name", "description", "parameters"} definitions -> the OpenAI shape."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            problems.append(Problem("error", "invalid_tools", f"{column!r} is not valid JSON ({exc.msg})",
                                    'Write the tool definitions as a JSON list: [{"name": ..., "parameters": {...}}].',
                                    column))
            return None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        problems.append(Problem("error", "invalid_tools", f"{column!r} must be a list of tool definitions",
                                'Write [{"name": ..., "description": ..., "parameters": {...}}].', column))
        return None
    tools = []
    for index, tool in enumerate(value, 1):
        function = tool.get("function") if isinstance(tool, dict) and isinstance(tool.get("function"), dict) else tool
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"].strip():
            problems.append(Problem("error", "invalid_tools", f"tool definition {index} has no name",
                                    'Every tool needs {"name": ..., "parameters": {...}}.', column))
            return None
        tools.append({"type": "function", "function": function})
    return tools


def _tool_call(call: Any) -> dict | None:
    """{"name", "arguments"} or OpenAI's {"type", "id"?, "function": {...}} -> the canonical call
    (arguments as JSON text; text that is not JSON is kept as it is, for validation to report)."""
    if not isinstance(call, dict):
        return None
    function = call.get("function") if isinstance(call.get("function"), dict) else call
    name = function.get("name")
    if not isinstance(name, str):
        return None
    arguments = function.get("arguments", function.get("parameters", {}))
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    out: dict = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if isinstance(call.get("id"), str):
        out["id"] = call["id"]
    return out


def normalize_tool_messages(value: Any, column: str, problems: list[Problem]) -> list[dict] | None:
    """A tool conversation in OpenAI's (tool_calls / role tool) or ShareGPT's (function_call /
    observation) shape -> canonical turns."""
    value = as_list(value)
    if not isinstance(value, list):
        problems.append(Problem("error", "wrong_type", f"{column!r} must be a list of turns",
                                'Each row needs a list like [{"role": "user", "content": "..."}, ...].', column))
        return None
    turns: list[dict] = []
    for index, turn in enumerate(value, 1):
        if not isinstance(turn, dict):
            problems.append(Problem("error", "wrong_type", f"turn {index} is not an object with a role and content",
                                    'Write each turn as {"role": "user", "content": "..."}.', column))
            return None
        role_text = str(turn.get("role", turn.get("from"))).strip()
        lower = role_text.lower()
        content = _content(turn.get("content", turn.get("value", turn.get("text"))))
        if lower in _TOOL_CALL_ROLES:  # ShareGPT: the call is the turn's value, a JSON object (or list of them)
            try:
                parsed = json.loads(content) if isinstance(content, str) else content
            except json.JSONDecodeError as exc:
                problems.append(Problem("error", "invalid_tool_call",
                                        f"turn {index} ({role_text}) is not valid JSON ({exc.msg})",
                                        'Write the call as {"name": "tool", "arguments": {...}}.', column))
                return None
            calls = [_tool_call(c) for c in (parsed if isinstance(parsed, list) else [parsed])]
            if not calls or None in calls:
                problems.append(Problem("error", "invalid_tool_call", f"turn {index} ({role_text}) names no tool",
                                        'Write the call as {"name": "tool", "arguments": {...}}.', column))
                return None
            turns.append({"role": "assistant", "content": "", "tool_calls": calls})
            continue
        if lower in _TOOL_RESULT_ROLES:
            result = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
            canonical = {"role": "tool", "content": result if result is not None else ""}
            for key in ("tool_call_id", "name"):
                if isinstance(turn.get(key), str):
                    canonical[key] = turn[key]
            turns.append(canonical)
            continue
        canonical_role = ROLE_ALIASES.get(lower, role_text)
        if content is not None and not isinstance(content, str):
            problems.append(Problem("error", "wrong_type", f"turn {index} ({canonical_role}) has content that is not text",
                                    "Only text conversations can be trained on.", column))
            return None
        canonical = {"role": canonical_role, "content": content if content is not None else ""}
        raw_calls = turn.get("tool_calls")
        if raw_calls:
            calls = [_tool_call(c) for c in (raw_calls if isinstance(raw_calls, list) else [raw_calls])]
            if None in calls:
                problems.append(Problem("error", "invalid_tool_call", f"turn {index} ({canonical_role}) has a tool call without a name",
                                        'Write each call as {"type": "function", "function": {"name": ..., "arguments": "{...}"}}.',
                                        column))
                return None
            canonical["tool_calls"] = calls
        if "loss_weight" in turn and _loss_weight(turn["loss_weight"]) is not None:
            canonical["loss_weight"] = _loss_weight(turn["loss_weight"])
        turns.append(canonical)
    return turns


def _single_turn(value: Any) -> Any:
    """A chosen/rejected answer given as one turn object ({"from": "gpt", "value": ...} or
    {"role": "assistant", "content": ...}) is a list of one turn."""
    if isinstance(value, dict) and ({"role", "content"} <= value.keys() or {"from", "value"} <= value.keys()):
        return [value]
    return value


def _input_messages(value: Any) -> Any:
    """OpenAI preference fine-tuning's `input` is {"messages": [...], "tools": ...}: its messages."""
    if isinstance(value, dict) and "messages" in value:
        return value["messages"]
    return value


def _messages_or_text(value: Any, slot: str, column: str, problems: list[Problem]) -> Any:
    value = _single_turn(_input_messages(as_list(value)))
    if isinstance(value, list):
        return normalize_messages(value, column, problems)
    return _text(value, slot=slot, column=column, problems=problems)


def _common_prefix_messages(a: list[dict], b: list[dict]) -> int:
    k = 0
    while k < min(len(a), len(b)) - 1 and a[k] == b[k]:
        k += 1
    return k


def _split_hh(text: str) -> list[dict] | None:
    """'\\n\\nHuman: hi\\n\\nAssistant: hello' -> turns; None when the markers do not parse."""
    turns = []
    rest = text
    marker_of = {"Human:": "user", "Assistant:": "assistant"}
    while rest.strip():
        rest = rest.lstrip("\n")
        head = next((m for m in marker_of if rest.startswith(m)), None)
        if head is None:
            return None
        rest = rest[len(head):]
        nexts = [i for i in (rest.find("\n\nHuman:"), rest.find("\n\nAssistant:")) if i >= 0]
        end = min(nexts) if nexts else len(rest)
        turns.append({"role": marker_of[head], "content": rest[:end].strip()})
        rest = rest[end:]
    return turns or None


def _implicit_prompt(chosen: Any, rejected: Any, problems: list[Problem]) -> tuple[Any, Any, Any] | None:
    if isinstance(chosen, list) and isinstance(rejected, list):
        k = _common_prefix_messages(chosen, rejected)
        if k == 0:
            problems.append(Problem("error", "no_shared_prompt", "chosen and rejected share no prompt turns",
                                    "Add a prompt column, or start both conversations with the same turns."))
            return None
        return chosen[:k], chosen[k:], rejected[k:]
    if isinstance(chosen, str) and isinstance(rejected, str):
        prefix = os.path.commonprefix([chosen, rejected])
        cut = prefix.rfind("Assistant:")
        if cut < 0:
            problems.append(Problem("error", "no_shared_prompt",
                                    "chosen and rejected do not share a prompt ending in 'Assistant:'",
                                    "Add a prompt column, or use the HH layout (\\n\\nHuman: ...\\n\\nAssistant: ...)."))
            return None
        cut += len("Assistant:")
        prompt_text, chosen_text, rejected_text = chosen[:cut], chosen[cut:].strip(), rejected[cut:].strip()
        prompt_turns = _split_hh(prompt_text)
        if prompt_turns and prompt_turns[-1]["role"] == "assistant" and not prompt_turns[-1]["content"]:
            prompt_turns = prompt_turns[:-1]
            return (prompt_turns, [{"role": "assistant", "content": chosen_text}],
                    [{"role": "assistant", "content": rejected_text}])
        return prompt_text, chosen_text, rejected_text
    problems.append(Problem("error", "wrong_type", "chosen and rejected must both be text or both be lists of turns",
                            "Make them the same type."))
    return None


def _label(value: Any, column: str, problems: list[Problem]) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(Problem("error", "invalid_label", f"the label must be true or false, got {short(value)}",
                            "Use true for a desirable completion and false for an undesirable one.", column))
    return None


def normalize(data: Any, mapping: Mapping) -> tuple[dict | None, list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        problems.append(Problem("error", "not_an_object", f"expected a JSON object, got {kind}",
                                'Each row must be an object such as {"messages": [...]} or {"prompt": ..., "completion": ...}.'))
        return None, problems
    cols = mapping.columns
    for slot, column in cols.items():
        if slot in _required_slots(mapping) and column not in data:
            problems.append(_missing(slot, column))
    if problems:
        return None, problems

    def text(slot: str) -> str | None:
        column = cols.get(slot)
        return _text(data.get(column), slot=slot, column=column, problems=problems) if column else ""

    fmt = mapping.format
    row: dict | None
    if mapping.kind == "tool_chat":
        tools = normalize_tools(data.get(cols["tools"]), cols["tools"], problems)
        turns = normalize_tool_messages(data.get(cols["messages"]), cols["messages"], problems)
        if tools is None or turns is None:
            return None, problems
        system = text("system") if "system" in cols else ""
        row = {"messages": _with_system(turns, system), "tools": tools}
    elif mapping.kind == "chat":
        turns = normalize_messages(data.get(cols.get("messages", "messages")), cols.get("messages", "messages"), problems)
        system = text("system") if "system" in cols else ""
        if turns is not None and system:
            turns = _with_system(turns, system)
        row = {"messages": turns} if turns is not None else None
    elif fmt in ("alpaca", "dolly", "question_answer"):
        main, extra, answer = {"alpaca": ("instruction", "input", "output"), "dolly": ("instruction", "context", "response"),
                               "question_answer": ("question", "context", "answer")}[fmt]
        main_text, extra_text, answer_text = text(main), text(extra), text(answer)
        if None in (main_text, extra_text, answer_text):
            return None, problems
        if fmt == "question_answer" and extra_text.strip():
            prompt = f"{extra_text}\n\n{main_text}"
        else:
            prompt = f"{main_text}\n\n{extra_text}" if extra_text.strip() else main_text
        row = {"prompt": prompt, "completion": answer_text}
    elif fmt == "prompt_completion":
        prompt, completion = text("prompt"), text("completion")
        row = None if None in (prompt, completion) else {"prompt": prompt, "completion": completion}
    elif mapping.kind == "preference":
        chosen = _messages_or_text(data.get(cols["chosen"]), "chosen", cols["chosen"], problems)
        rejected = _messages_or_text(data.get(cols["rejected"]), "rejected", cols["rejected"], problems)
        if chosen is None or rejected is None:
            return None, problems
        if "prompt" in cols:
            prompt = _messages_or_text(data.get(cols["prompt"]), "prompt", cols["prompt"], problems)
            if prompt is None:
                return None, problems
            if isinstance(prompt, list):
                prompt = _with_system(prompt, text("system") if "system" in cols else "")
            if isinstance(prompt, list) or isinstance(chosen, list) or isinstance(rejected, list):
                # One shape for the three (what trl's conversational preference data is): lists of turns.
                prompt, chosen, rejected = (_as_turns(prompt, "user"), _as_turns(chosen, "assistant"),
                                            _as_turns(rejected, "assistant"))
        else:
            split = _implicit_prompt(chosen, rejected, problems)
            if split is None:
                return None, problems
            prompt, chosen, rejected = split
        row = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
    elif fmt == "kto_chat":
        turns = normalize_messages(data.get(cols["messages"]), cols["messages"], problems)
        label = _label(data.get(cols["label"]), cols["label"], problems)
        if turns is None or label is None:
            return None, problems
        turns = _with_system(turns, text("system") if "system" in cols else "")
        if not turns or turns[-1]["role"] != "assistant":
            problems.append(Problem("error", "no_assistant_turn",
                                    "the conversation does not end with an assistant turn, so there is no completion to label",
                                    "End each conversation with the assistant turn the label judges.", cols["messages"]))
            return None, problems
        row = {"prompt": turns[:-1], "completion": turns[-1:], "label": label}
    elif mapping.kind == "unpaired_preference":
        prompt = _messages_or_text(data.get(cols["prompt"]), "prompt", cols["prompt"], problems)
        completion = _messages_or_text(data.get(cols["completion"]), "completion", cols["completion"], problems)
        label = _label(data.get(cols["label"]), cols["label"], problems)
        row = None if None in (prompt, completion, label) else {"prompt": prompt, "completion": completion, "label": label}
    elif mapping.kind == "prompt":
        prompt = _messages_or_text(data.get(cols["prompt"]), "prompt", cols["prompt"], problems)
        if prompt is None:
            return None, problems
        row = {"prompt": prompt}
        for slot in REFERENCE_SLOTS:
            column = cols.get(slot)
            if column is None or data.get(column) is None:
                continue
            value = _text(data[column], slot=f"reference answer ({slot})", column=column, problems=problems)
            if value is None:
                return None, problems
            row[slot] = value
    else:  # text
        value = text("text")
        row = None if value is None else {"text": value}
    return row, problems


def _with_system(turns: list[dict], system: str | None) -> list[dict]:
    """A separate system column becomes the first turn, unless the conversation has one."""
    if system and system.strip() and not any(t["role"] == "system" for t in turns):
        return [{"role": "system", "content": system}, *turns]
    return turns


def _as_turns(value: Any, role: str) -> list[dict]:
    return value if isinstance(value, list) else [{"role": role, "content": value}]


def _required_slots(mapping: Mapping) -> tuple[str, ...]:
    fmt = FORMATS.get(mapping.format)
    return tuple(fmt.required) if fmt else ()
