"""Shared fixtures for the training tests: the tiny model (built once per session), small
synthetic datasets in every canonical shape, and a spec factory."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FRUITS = ["apple", "pear", "plum"]
ANIMALS = ["cat", "dog", "cow", "horse"]


def category_rows(n: int, seed: int) -> list[tuple[str, str, str]]:
    """(prompt, answer, wrong answer): three words of one kind -> 'fruit' or 'animal'."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        fruit = rng.random() < 0.5
        words = " ".join(rng.choice(FRUITS if fruit else ANIMALS) for _ in range(3))
        answer, wrong = ("fruit", "animal") if fruit else ("animal", "fruit")
        rows.append((words, answer, wrong))
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    from tuneforge.training.loading import build_tiny_llama

    cache = tmp_path_factory.mktemp("model-cache")
    build_tiny_llama(cache / "tiny-llama")
    return cache


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("data")
    rows = category_rows(120, seed=1)
    write_jsonl(
        d / "chat.jsonl",
        [{"messages": [{"role": "user", "content": p}, {"role": "assistant", "content": a}]} for p, a, _ in rows],
    )
    write_jsonl(d / "pc.jsonl", [{"prompt": p, "completion": a} for p, a, _ in rows])
    write_jsonl(d / "pref.jsonl", [{"prompt": p, "chosen": a, "rejected": w} for p, a, w in rows])
    kto = []
    for i, (p, a, w) in enumerate(rows):
        kto.append({"prompt": p, "completion": a if i % 2 == 0 else w, "label": i % 2 == 0})
    write_jsonl(d / "kto.jsonl", kto)
    rng = random.Random(3)
    write_jsonl(
        d / "text.jsonl",
        [{"text": " ".join(rng.choice(FRUITS) for _ in range(20)) + " the end."} for _ in range(60)],
    )
    return d


@pytest.fixture
def make_spec(model_cache, data_dir, tmp_path):
    from tuneforge.training.spec import TrainingSpec

    def make(method="sft", adapter="lora", data_file="chat.jsonl", **overrides):
        hp = {"max_steps": 8, "batch_size": 8, "learning_rate": 5e-3, "logging_steps": 1}
        hp.update(overrides.pop("hyperparameters", {}))
        raw = {
            "method": method,
            "adapter": adapter,
            "base_model": "tiny-llama",
            "model_cache_dir": str(model_cache),
            "data": {"sources": [{"path": str(data_dir / data_file)}], "max_length": 64, "validation_split": 0.1},
            "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
            "hyperparameters": hp,
            "eval": {"enabled": False},
            "output_dir": str(tmp_path / f"{method}-{adapter}"),
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(raw.get(key), dict):
                raw[key] = {**raw[key], **value}
            else:
                raw[key] = value
        return TrainingSpec.model_validate(raw)

    return make


def train(spec, stop=None):
    """Run in-process; returns (result, sink)."""
    from tuneforge.training.event_stream import EventSink
    from tuneforge.training.runner import run

    sink = EventSink()
    result = run(spec, sink=sink, stop=stop)
    return result, sink


def metric_series(sink, key: str) -> list[float]:
    return [e[key] for e in sink.of_type("metric") if isinstance(e.get(key), (int, float))]


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)
