"""Imported once, by the forkserver process that ingest children are forked from (`ingest_child`), and
nowhere else: it imports the ingest code and loads the default tokenizer there, so every child starts
with them in memory instead of spending seconds importing transformers itself."""

try:
    from tuneforge.datasets import ingest_child  # noqa: F401
    from tuneforge.datasets.service import _tokenizer
    from tuneforge.training.catalogue import DEFAULT_BASE_MODEL

    _tokenizer(DEFAULT_BASE_MODEL)
except Exception:  # noqa: BLE001 — a child loads what it needs itself; the forkserver must start regardless
    pass
