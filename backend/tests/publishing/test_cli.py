"""`tuneforge export` and `tuneforge publish` from the command line: a model llama.cpp cannot convert is
refused before any work with the reason and a non-zero exit; missing options are named."""

from __future__ import annotations

import subprocess
import sys


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tuneforge.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_export_refuses_a_model_the_converter_cannot_read_before_any_work(tiny_llama, tmp_path):
    out = tmp_path / "gguf"
    done = _cli("export", str(tiny_llama), "--type", "q8_0", "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert "pre-tokenizer is not one llama.cpp knows" in done.stderr
    assert not any(out.glob("*.gguf"))


def test_publish_names_the_missing_options(tiny_llama):
    ollama = _cli("publish", "ollama", str(tiny_llama))
    assert ollama.returncode == 2 and "--name is needed" in ollama.stderr
    hub = _cli("publish", "hub", str(tiny_llama), "--repo", "me/x", "--token-env", "TUNEFORGE_TEST_NO_SUCH_VAR")
    assert hub.returncode == 2 and "TUNEFORGE_TEST_NO_SUCH_VAR" in hub.stderr
