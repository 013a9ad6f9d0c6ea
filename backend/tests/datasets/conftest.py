from __future__ import annotations

import os

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_tokenizer(tmp_path_factory):
    """The offline tiny-llama tokenizer (ChatML template), built once per session."""
    from transformers import AutoTokenizer

    from tuneforge.training.models import build_tiny_llama

    path = build_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-llama")
    return AutoTokenizer.from_pretrained(path)
