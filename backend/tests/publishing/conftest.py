"""Shared fixtures for the publishing tests: the bundled models, LoRA adapters made with peft
directly (random, non-zero B so the adapter really changes the model), SmolLM2 exported to GGUF once
per session, and one loopback Ollama that runs it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Few check prompts with short answers (all end on <|im_end|>) keep the suite quick; the product uses
# training.gguf.CHECK_PROMPTS.
CHAT_PROMPTS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "What is 2 plus 2?"}],
    [{"role": "user", "content": "Say hello."}, {"role": "assistant", "content": "Hello!"},
     {"role": "user", "content": "Now say goodbye."}],
]
MAX_NEW_TOKENS = 24


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """One intra-op thread: on a machine whose cores are shared with other test runs, torch's default
    (one per core) spins and waits, and a 24-token answer takes 15 s instead of 2.5 s."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def smollm2() -> Path:
    from tuneforge.training.loading import default_cache_dir, resolve_base_model

    # The persistent cache: SmolLM2 is converted from its packaged GGUF once per machine.
    return resolve_base_model("SmolLM2-135M-Instruct", default_cache_dir())


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    from tuneforge.training.loading import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-llama")


def make_adapter(base: Path, out: Path, *, seed: int = 0, scale: float = 0.05) -> Path:
    """A LoRA adapter on q/v projections whose B matrices are random (peft starts them at zero)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0.0, scale)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def smol_adapter(smollm2, tmp_path_factory) -> Path:
    return make_adapter(smollm2, tmp_path_factory.mktemp("adapters") / "smollm2-lora", seed=1)


@pytest.fixture(scope="session")
def smol_ggufs(smollm2, tmp_path_factory) -> dict:
    """SmolLM2 exported to f16 and q8_0: {type: GGUFExport}."""
    from tuneforge.training.gguf import export_gguf

    out = tmp_path_factory.mktemp("gguf")
    return {kind: export_gguf(smollm2, out / f"smollm2.{kind}.gguf", kind) for kind in ("f16", "q8_0")}


@pytest.fixture(scope="session")
def reference(smollm2) -> list[dict]:
    """TuneForge's own greedy answers (transformers on the original folder) to CHAT_PROMPTS."""
    from tuneforge.training.gguf import reference_answers

    return reference_answers(smollm2, CHAT_PROMPTS, max_new_tokens=MAX_NEW_TOKENS)


@pytest.fixture(scope="session")
def ollama_server(smol_ggufs):
    """One loopback Ollama for the chat tests, with the f16 GGUF uploaded (it loads it once)."""
    from tuneforge.publishing import ollama
    from tuneforge.testing.fake_ollama import FakeOllama

    fake = FakeOllama()
    fake.start()
    fake.gguf_digest = ollama.push_blob(fake.url, smol_ggufs["f16"].path)
    yield fake
    fake.stop()
