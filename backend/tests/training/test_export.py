"""Exports: a merged LoRA model answers exactly like base + adapter; the model card names what was
done; the Ollama template, rendered the way Ollama renders it, gives the same prompt text as the
tokenizer's chat template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tuneforge.training import export

# -- a minimal renderer for the Go-template subset the exporter writes -----------------------------

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)


def _parse(template: str):
    """Tokens -> nested nodes: ('text', s) | ('var', name) | ('if', cond, then, else) | ('range', body)."""
    tokens = []
    pos = 0
    for m in _ACTION.finditer(template):
        tokens.append(("text", template[pos : m.start()]))
        tokens.append(("action", m.group(1).strip()))
        pos = m.end()
    tokens.append(("text", template[pos:]))

    def block(i):
        nodes = []
        while i < len(tokens):
            kind, value = tokens[i]
            if kind == "text":
                nodes.append(("text", value))
                i += 1
            elif value == '"{{"':
                nodes.append(("text", "{{"))
                i += 1
            elif value in ("end", "else") or value.startswith("else if"):
                return nodes, i
            elif value.startswith("if "):
                node, i = conditional(value[3:], i + 1)
                nodes.append(node)
            elif value == "range .Messages":
                body, i = block(i + 1)
                assert tokens[i][1] == "end"
                nodes.append(("range", body))
                i += 1
            else:
                assert value in (".System", ".Content", ".Role"), value
                nodes.append(("var", value[1:]))
                i += 1
        return nodes, i

    def conditional(cond, i):
        then, i = block(i)
        otherwise = []
        if tokens[i][1].startswith("else if"):
            node, i = conditional(tokens[i][1][len("else if ") :], i + 1)
            return ("if", cond, then, [node]), i
        if tokens[i][1] == "else":
            otherwise, i = block(i + 1)
        assert tokens[i][1] == "end"
        return ("if", cond, then, otherwise), i + 1

    nodes, i = block(0)
    assert i == len(tokens)
    return nodes


def render_ollama(template: str, messages: list[dict]) -> str:
    """Ollama hands system messages to `.System` and the rest to `.Messages`."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [m for m in messages if m["role"] != "system"]

    def test(cond, scope):
        if cond == ".System":
            return bool(system)
        m = re.fullmatch(r'eq \.Role "(\w+)"', cond)
        assert m, cond
        return scope["Role"] == m.group(1)

    def run(nodes, scope):
        out = []
        for node in nodes:
            if node[0] == "text":
                out.append(node[1])
            elif node[0] == "var":
                out.append(system if node[1] == "System" else scope[node[1]])
            elif node[0] == "if":
                out.append(run(node[2] if test(node[1], scope) else node[3], scope))
            else:
                out.extend(run(node[1], {"Role": m["role"], "Content": m["content"]}) for m in rest)
        return "".join(out)

    return run(_parse(template), {})


def _template_of(modelfile: str) -> str:
    return re.search(r'TEMPLATE """(.*?)"""', modelfile, re.S).group(1)


CONVERSATION = [
    {"role": "system", "content": "You sort words."},
    {"role": "user", "content": "apple pear plum"},
    {"role": "assistant", "content": "fruit"},
    {"role": "user", "content": "cat {{dog}} cow"},
]


@pytest.fixture(scope="module")
def tiny_tokenizer(model_cache):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_cache / "tiny-llama")


def test_chatml_modelfile_renders_like_the_chat_template(tiny_tokenizer):
    modelfile = export.ollama_modelfile(tiny_tokenizer, from_path="./merged")
    assert modelfile.splitlines()[1] == "FROM ./merged"
    assert 'PARAMETER stop "<|im_end|>"' in modelfile
    assert 'PARAMETER stop "<|im_start|>"' in modelfile
    assert "SYSTEM" not in modelfile  # the chatml fallback has no default system prompt
    template = _template_of(modelfile)
    expected = tiny_tokenizer.apply_chat_template(CONVERSATION, tokenize=False, add_generation_prompt=True)
    assert render_ollama(template, CONVERSATION) == expected
    # Without a system message the system block disappears, as in the Jinja template.
    expected = tiny_tokenizer.apply_chat_template(CONVERSATION[1:], tokenize=False, add_generation_prompt=True)
    assert render_ollama(template, CONVERSATION[1:]) == expected


def test_llama3_modelfile(tiny_tokenizer):
    from tuneforge.training.loading import CHAT_TEMPLATES

    tokenizer = tiny_tokenizer.__class__.from_pretrained(tiny_tokenizer.name_or_path)
    tokenizer.add_special_tokens(
        {"additional_special_tokens": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]}
    )
    tokenizer.chat_template = CHAT_TEMPLATES["llama-3"]
    tokenizer.eos_token = "<|eot_id|>"
    modelfile = export.ollama_modelfile(tokenizer)
    template = _template_of(modelfile)
    assert "<|start_header_id|>assistant<|end_header_id|>\n\n" in template
    assert re.findall(r'PARAMETER stop "(.*)"', modelfile) == ["<|eot_id|>", "<|start_header_id|>"]
    expected = tokenizer.apply_chat_template(CONVERSATION, tokenize=False, add_generation_prompt=True)
    assert render_ollama(template, CONVERSATION) == expected


def test_default_system_prompt_becomes_SYSTEM():
    """SmolLM2-style templates insert a system prompt when the conversation has none."""
    from tuneforge.training.loading import CHAT_TEMPLATES

    class Stub:
        chat_template = "x"
        bos_token = None
        eos_token = "<|im_end|>"
        all_special_tokens = ["<|im_start|>", "<|im_end|>"]
        added_tokens_decoder: dict = {}

        def apply_chat_template(self, messages, tokenize, add_generation_prompt):
            if messages[0]["role"] != "system":
                messages = [{"role": "system", "content": "You are helpful."}] + messages
            from jinja2 import Template

            return Template(CHAT_TEMPLATES["chatml"]).render(messages=messages, add_generation_prompt=add_generation_prompt)

    modelfile = export.ollama_modelfile(Stub())
    assert 'SYSTEM """You are helpful."""' in modelfile


def test_template_that_is_not_turn_by_turn_is_refused(tiny_tokenizer):
    tokenizer = tiny_tokenizer.__class__.from_pretrained(tiny_tokenizer.name_or_path)
    # Llama-2 style: the system prompt is folded into the first user turn.
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{% set sys = m['content'] %}"
        "{% elif m['role'] == 'user' %}[INST] {% if loop.index0 == 1 %}<<SYS>>{{ messages[0]['content'] }}"
        "<</SYS>> {% endif %}{{ m['content'] }} [/INST]{% else %} {{ m['content'] }}</s>{% endif %}{% endfor %}"
    )
    with pytest.raises(export.ExportError, match="by hand"):
        export.ollama_modelfile(tokenizer)


# -- merge and model card ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_adapter(model_cache, data_dir, tmp_path_factory):
    from tuneforge.training import runner
    from tuneforge.training.spec import TrainingSpec

    out = tmp_path_factory.mktemp("export-run")
    spec = TrainingSpec.model_validate(
        {
            "base_model": "tiny-llama",
            "model_cache_dir": str(model_cache),
            "data": {"sources": [{"path": str(data_dir / "chat.jsonl")}], "max_length": 64, "validation_split": 0.1},
            "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
            "hyperparameters": {"max_steps": 6, "batch_size": 8, "learning_rate": 5e-3},
            "eval": {"enabled": False},
            "output_dir": str(out),
        }
    )
    result = runner.run(spec)
    assert result.status == "finished", result.error
    return spec, out, result


def test_merged_model_answers_like_base_plus_adapter(trained_adapter, model_cache, tmp_path):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    _, adapter_dir, _ = trained_adapter
    base_dir = model_cache / "tiny-llama"
    merged_dir = export.merge_lora(base_dir, adapter_dir, tmp_path / "merged")

    assert (merged_dir / "model.safetensors").exists()
    assert not (merged_dir / "adapter_config.json").exists()
    assert not any("lora" in k for k in load_file(merged_dir / "model.safetensors"))
    assert (merged_dir / "chat_template.jinja").exists() or "chat_template" in (
        merged_dir / "tokenizer_config.json"
    ).read_text()

    ids = torch.tensor([[5, 17, 42, 99, 3, 7]])
    merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
    base = AutoModelForCausalLM.from_pretrained(base_dir).eval()
    with torch.no_grad():
        with_adapter = PeftModel.from_pretrained(base, adapter_dir).eval()(ids).logits
        merged_logits = merged(ids).logits
        base_logits = AutoModelForCausalLM.from_pretrained(base_dir).eval()(ids).logits
    torch.testing.assert_close(merged_logits, with_adapter, atol=1e-5, rtol=1e-4)
    assert (merged_logits - base_logits).abs().max() > 1e-3  # training changed the weights

    # The merged folder can become an Ollama model as it is.
    modelfile = export.write_modelfile(merged_dir)
    assert modelfile.read_text().startswith("# Ollama Modelfile")


def test_model_card_names_base_method_data_settings_and_metrics(trained_adapter):
    spec, out, result = trained_adapter
    evaluation = {"summary": {"fine_tuned": {"exact_match": 0.9, "rouge1": 0.95}, "base": {"exact_match": 0.0, "rouge1": 0.1}}}
    path = export.write_model_card(output_dir=out, spec=spec, metrics=result.metrics, evaluation=evaluation)
    card = Path(path).read_text()
    assert card.startswith("---\nbase_model: tiny-llama\nlibrary_name: peft\n")
    assert "method **SFT**, adapter **lora**" in card
    assert "`chat.jsonl` (mixing weight 1)" in card
    assert "| learning rate | 0.005 |" in card
    assert "| LoRA rank | 8 |" in card
    assert f"- steps: {result.metrics['steps']}" in card
    assert "| exact_match | 0.9 | 0 |" in card
