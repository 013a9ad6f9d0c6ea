"""Tokenised examples cached on disk, so a second run or a resume over the same data does not
tokenise again.

The key holds everything the tokens depend on: the rows themselves (after splitting and mixing,
so a dataset version, its split and its weights all count), the tokenizer's full definition (its
vocabulary and rules, not just its name: a folder reused for another model changes the key), the
chat template, max_length, the method and what the loss is on. A hit reads one JSON file; a damaged
or unreadable file is a miss and is written anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1


def cache_root(model_cache_dir: str | None) -> Path:
    """Next to the model cache (the platform's storage root holds both), or TUNEFORGE_TOKEN_CACHE."""
    if os.environ.get("TUNEFORGE_TOKEN_CACHE"):
        return Path(os.environ["TUNEFORGE_TOKEN_CACHE"])
    from tuneforge.training.loading import default_cache_dir

    models = Path(model_cache_dir) if model_cache_dir else default_cache_dir()
    return models.parent / "tokenized"


def tokenizer_fingerprint(tokenizer: Any) -> str:
    digest = hashlib.sha256()
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        digest.update(backend.to_str().encode())
    else:  # a slow tokenizer: its vocabulary
        digest.update(json.dumps(sorted(tokenizer.get_vocab().items())).encode())
    digest.update(json.dumps([tokenizer.chat_template, len(tokenizer), tokenizer.eos_token, tokenizer.pad_token],
                             default=str).encode())
    return digest.hexdigest()


def cache_key(*, rows: list[list[dict]], tokenizer: Any, options: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": FORMAT_VERSION, "options": options}, sort_keys=True).encode())
    digest.update(tokenizer_fingerprint(tokenizer).encode())
    for part in rows:
        digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def tokenized(
    *,
    root: Path,
    tokenizer: Any,
    rows: list[list[dict]],
    options: dict[str, Any],
    tokenize: Callable[[list[dict]], list[dict]],
) -> tuple[list[list[dict]], dict[str, Any]]:
    """`tokenize` applied to each part of `rows`, from the cache when it holds them; and what
    happened (`cache`: hit | miss | off, `seconds`, `key`)."""
    started = time.perf_counter()
    key = cache_key(rows=rows, tokenizer=tokenizer, options=options)
    path = root / f"{key}.json"
    try:
        parts = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(parts, list) and len(parts) == len(rows):
            return parts, {"cache": "hit", "key": key, "seconds": round(time.perf_counter() - started, 3)}
    except (OSError, ValueError):
        pass
    parts = [tokenize(part) if part else [] for part in rows]
    info = {"cache": "miss", "key": key}
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(parts, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)  # whole or not at all: a reader never sees half a file
    except OSError as exc:  # a full or read-only disk costs the next run a re-tokenisation, nothing more
        info["cache"] = "off"
        info["error"] = str(exc)
    info["seconds"] = round(time.perf_counter() - started, 3)
    return parts, info
