from __future__ import annotations

import os

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_tokenizer():
    """The offline tiny-llama tokenizer (ChatML template): the same one the API loads by default
    (built once into the model cache, then reused)."""
    from tuneforge.datasets.service import load_tokenizer

    return load_tokenizer("tiny-llama")
