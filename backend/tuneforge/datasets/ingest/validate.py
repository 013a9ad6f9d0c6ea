"""Checks on one canonical row. Errors block training until fixed; warnings are worth a look."""

from __future__ import annotations

import json
from typing import Any

from tuneforge.datasets.ingest.detect import REFERENCE_SLOTS
from tuneforge.datasets.ingest.issues import Problem, short

_ALTERNATE = Problem(
    "error", "role_order", "roles must alternate user/assistant after an optional system message",
    "Start with a user turn (after one optional system turn) and alternate user, assistant. "
    "Merge consecutive turns from the same speaker.", "messages",
)
_DROP = "Fill it in, or use 'Drop invalid rows' to make a version without this row."


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


_EXPECTED = ("user", "assistant")


def _well_formed(turns: list[dict]) -> bool:
    """The common case, checked in one pass: optional system, then user/assistant alternating, ending
    with the assistant, no empty turn."""
    start = 1 if turns[0]["role"] == "system" else 0
    if len(turns) - start < 2 or (len(turns) - start) % 2:
        return False
    for index in range(start, len(turns)):
        turn = turns[index]
        content = turn["content"]
        if turn["role"] != _EXPECTED[(index - start) % 2] or not isinstance(content, str) or not content.strip():
            return False
    return True


def check_messages(turns: list[dict], *, field: str = "messages", need_assistant: bool = True) -> list[Problem]:
    if not turns:
        return [Problem("error", "empty_conversation", "the conversation has no turns", _DROP, field)]
    if need_assistant and _nothing_trained(turns):
        return [Problem("error", "no_assistant_turn", "every assistant turn has loss_weight 0, so nothing is trained",
                        "Set loss_weight 1 on at least one assistant turn, or drop the row.", field)]
    if _well_formed(turns):
        return []
    problems: list[Problem] = []
    roles = [t["role"] for t in turns]
    unknown = [(i, r) for i, r in enumerate(roles, 1) if r not in ("system", "user", "assistant")]
    for index, role in unknown[:1]:
        problems.append(Problem(
            "error", "unknown_role", f"turn {index} has the role {short(role)}; expected system, user or assistant",
            "Rename the role, or map it (ShareGPT 'human'/'gpt' are understood).", field))
    role_totals = {r: roles.count(r) for r in set(roles)}
    for index, turn in enumerate(turns, 1):
        if _blank(turn["content"]) and turn["role"] != "system":
            which = f" (turn {index})" if role_totals.get(turn["role"], 0) > 1 else ""
            problems.append(Problem("error", "empty_turn", f"the {turn['role']} turn{which} is empty", _DROP, field))
    if unknown:
        return problems
    body = roles[1:] if roles[0] == "system" else roles
    expected = ["user", "assistant"]
    if "system" in body or any(role != expected[i % 2] for i, role in enumerate(body)):
        problems.append(_ALTERNATE)
    elif need_assistant and "assistant" not in body:
        problems.append(Problem("error", "no_assistant_turn", "the conversation has no assistant turn to learn from",
                                "Add the assistant's reply.", field))
    elif need_assistant and body[-1] == "user":
        problems.append(Problem("warning", "ends_with_user", "the conversation ends with a user turn, which is not trained on",
                                "Add the assistant's reply or remove the last user turn.", field))
    return problems


def _nothing_trained(turns: list[dict]) -> bool:
    answers = [t for t in turns if t["role"] == "assistant"]
    return bool(answers) and all(t.get("loss_weight", 1) == 0 for t in answers)


def _check_prompt_turns(turns: list[dict]) -> list[Problem]:
    """A prompt given as a conversation: well-formed turns that end with the user's."""
    problems = [p for p in check_messages(turns, field="prompt", need_assistant=False) if p.severity == "error"]
    if not problems and turns[-1]["role"] != "user":
        problems.append(Problem("error", "role_order",
                                f"the prompt conversation ends with {'an' if turns[-1]['role'] == 'assistant' else 'a'} "
                                f"{turns[-1]['role']} turn, not a user turn",
                                "The prompt must end with the user turn that the answers reply to.", "prompt"))
    return problems


def _check_side(value: Any, name: str) -> list[Problem]:
    if isinstance(value, list):
        if not value or all(_blank(t.get("content")) for t in value):
            return [Problem("error", "empty_field", f"the {name} is empty", _DROP, name)]
        return []
    if _blank(value):
        return [Problem("error", "empty_field", f"the {name} is empty", _DROP, name)]
    return []


def check_tool_messages(turns: list[dict], tools: list[dict]) -> list[Problem]:
    """A tool conversation: system/user/assistant/tool turns; every call names a defined tool with
    JSON-object arguments; every tool result follows a call; something assistant-written to train on."""
    if not turns:
        return [Problem("error", "empty_conversation", "the conversation has no turns", _DROP, "messages")]
    defined = {t["function"]["name"] for t in tools if isinstance(t.get("function"), dict)}
    problems: list[Problem] = []
    pending = 0  # calls not yet answered by a tool result
    for index, turn in enumerate(turns, 1):
        role = turn["role"]
        if role not in ("system", "user", "assistant", "tool"):
            problems.append(Problem("error", "unknown_role",
                                    f"turn {index} has the role {short(role)}; expected system, user, assistant or tool",
                                    "Rename the role (ShareGPT function_call/observation are understood).", "messages"))
            continue
        calls = turn.get("tool_calls") or []
        if role == "assistant":
            if not calls and _blank(turn["content"]):
                problems.append(Problem("error", "empty_turn", f"the assistant turn {index} is empty and makes no tool call",
                                        _DROP, "messages"))
            for call in calls:
                name = call["function"]["name"]
                if name not in defined:
                    problems.append(Problem(
                        "error", "undefined_tool", f"turn {index} calls the tool {short(name)}, which the tools do not define",
                        f"Add its definition to the tools, or fix the name (defined: {', '.join(sorted(defined)) or 'none'}).",
                        "messages"))
                arguments = call["function"]["arguments"]
                try:
                    parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
                except json.JSONDecodeError as exc:
                    problems.append(Problem("error", "invalid_arguments",
                                            f"turn {index} calls {short(name)} with arguments that are not valid JSON ({exc.msg})",
                                            "Write the arguments as a JSON object.", "messages"))
                    continue
                if not isinstance(parsed, dict):
                    problems.append(Problem("error", "invalid_arguments",
                                            f"turn {index} calls {short(name)} with arguments that are not a JSON object",
                                            "Write the arguments as a JSON object.", "messages"))
            pending = len(calls)
        elif role == "tool":
            if pending <= 0:
                problems.append(Problem("error", "orphan_tool_result",
                                        f"turn {index} is a tool result without a preceding tool call",
                                        "Put the assistant's tool call before its result, or drop the row.", "messages"))
            pending -= 1
        else:
            if role == "user" and _blank(turn["content"]):
                problems.append(Problem("error", "empty_turn", f"the user turn {index} is empty", _DROP, "messages"))
            pending = 0
    if not any(t["role"] == "assistant" and t.get("loss_weight", 1) for t in turns):
        problems.append(Problem("error", "no_assistant_turn", "the conversation has no assistant turn to learn from",
                                "Add the assistant's call or answer.", "messages"))
    return problems


def validate(row: dict, kind: str) -> list[Problem]:
    if kind == "tool_chat":
        return check_tool_messages(row["messages"], row.get("tools") or [])
    if kind == "chat":
        return check_messages(row["messages"])
    if kind == "prompt_completion":
        problems = []
        if _blank(row["prompt"]):
            problems.append(Problem("error", "empty_field", "the prompt is empty", _DROP, "prompt"))
        if _blank(row["completion"]):
            problems.append(Problem("error", "empty_field", "the completion is empty", _DROP, "completion"))
        return problems
    if kind == "preference":
        problems = _check_side(row["prompt"], "prompt") + _check_side(row["chosen"], "chosen") + _check_side(row["rejected"], "rejected")
        if not problems and isinstance(row["prompt"], list):
            problems += _check_prompt_turns(row["prompt"])
        if not problems and row["chosen"] == row["rejected"]:
            problems.append(Problem("warning", "chosen_equals_rejected", "chosen and rejected are identical, so there is nothing to learn",
                                    "Fix the pair or drop the row.", "chosen"))
        return problems
    if kind == "unpaired_preference":
        problems = _check_side(row["prompt"], "prompt") + _check_side(row["completion"], "completion")
        if not problems and isinstance(row["prompt"], list):
            problems += _check_prompt_turns(row["prompt"])
        return problems
    if kind == "prompt":
        problems = _check_side(row["prompt"], "prompt")
        if not problems and isinstance(row["prompt"], list):
            problems += _check_prompt_turns(row["prompt"])
        for slot in REFERENCE_SLOTS:
            if slot in row and _blank(row[slot]):
                problems.append(Problem("warning", "empty_reference", f"the {slot} is empty",
                                        f"Rewards that compare with the {slot} score this row 0. Fill it or drop the row.",
                                        slot))
        return problems
    if _blank(row["text"]):
        return [Problem("error", "empty_field", "the text is empty", _DROP, "text")]
    return []
