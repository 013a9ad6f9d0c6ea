"""GGUF export with llama.cpp's converter: what it refuses before any work and why, the files it
writes (f16, q8_0), cancellation and time limits, and the check that the GGUF loaded back answers
like the original model."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest

from tuneforge.training import gguf

from .conftest import CHAT_PROMPTS, MAX_NEW_TOKENS


def test_the_converter_is_installed_with_the_types_it_offers():
    script = gguf.find_converter()
    assert script.name == "convert_hf_to_gguf.py"
    assert (script.parent / "VERSION").read_text().strip() == gguf.CONVERTER_SOURCE  # bootstrap.sh == gguf.py
    assert gguf.converter_out_types() == gguf.OUT_TYPES
    assert {"LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM"} <= gguf.supported_architectures()


def test_a_missing_converter_names_the_make_target(tmp_path, monkeypatch):
    monkeypatch.setenv(gguf.CONVERTER_ENV, str(tmp_path))
    with pytest.raises(gguf.GGUFError) as caught:
        gguf.find_converter()
    assert "not installed" in caught.value.message and "make setup" in caught.value.hint


def test_tiny_llama_is_refused_before_any_work_with_the_reason(tiny_llama, tmp_path):
    started = time.monotonic()
    with pytest.raises(gguf.GGUFError) as caught:
        gguf.preflight(tiny_llama)
    assert "its tokenizer's pre-tokenizer is not one llama.cpp knows" in caught.value.message
    assert "SmolLM2" in caught.value.hint
    assert time.monotonic() - started < 60  # the vocabulary alone: no weights are read

    # The export itself reports the same reason, and leaves nothing behind.
    with pytest.raises(gguf.GGUFError, match="pre-tokenizer is not one llama.cpp knows"):
        gguf.export_gguf(tiny_llama, tmp_path / "tiny.gguf", "f16")
    assert list(tmp_path.iterdir()) == []


def test_an_architecture_the_converter_lacks_is_refused_without_running_it(tiny_llama, tmp_path):
    folder = tmp_path / "odd"
    shutil.copytree(tiny_llama, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "architectures": ["MadeUpForCausalLM"]}))
    for check in (lambda: gguf.preflight(folder), lambda: gguf.export_gguf(folder, tmp_path / "odd.gguf")):
        with pytest.raises(gguf.GGUFError, match="does not support the architecture MadeUpForCausalLM"):
            check()


def test_smollm2_passes_the_preflight(smollm2):
    assert gguf.preflight(smollm2) == {"architecture": "LlamaForCausalLM", "vocab_type": "gpt2", "pre_tokenizer": "smollm"}


def test_unknown_types_are_refused(smollm2, tmp_path):
    with pytest.raises(gguf.GGUFError, match="unknown GGUF type 'q4_k_m'"):
        gguf.export_gguf(smollm2, tmp_path / "x.gguf", "q4_k_m")


def test_f16_and_q8_0_files(smol_ggufs):
    from gguf import GGUFReader

    f16, q8 = smol_ggufs["f16"], smol_ggufs["q8_0"]
    for export, file_type in ((f16, 1), (q8, 7)):  # llama.cpp's LlamaFileType MOSTLY_F16 / MOSTLY_Q8_0
        assert export.path.read_bytes()[:4] == b"GGUF"
        assert export.size == export.path.stat().st_size
        assert export.sha256 == gguf.sha256_of(export.path)
        assert not export.path.with_name(export.path.name + ".part").exists()
        fields = GGUFReader(export.path).fields
        assert fields["general.file_type"].contents() == file_type
        assert fields["general.architecture"].contents() == "llama"
        assert "<|im_start|>" in fields["tokenizer.chat_template"].contents()
    # 134.5 M parameters: 2 bytes each in f16, ~1.06 in q8_0 (32 weights + one f16 scale per block).
    assert 260e6 < f16.size < 280e6
    assert 135e6 < q8.size < 155e6
    print("\nGGUF exports:", {k: {"seconds": e.seconds, "MB": round(e.size / 1e6, 1)} for k, e in smol_ggufs.items()})


@pytest.mark.parametrize("kind, min_next_token, min_agree", [("f16", 0.97, len(CHAT_PROMPTS)), ("q8_0", 0.9, 1)])
def test_the_gguf_answers_like_the_original(smollm2, smol_ggufs, kind, min_next_token, min_agree):
    result = gguf.verify_gguf(smollm2, smol_ggufs[kind].path, CHAT_PROMPTS, max_new_tokens=MAX_NEW_TOKENS)
    print(f"\n{kind}: agree {result['agree']}/{result['prompts']}, next token {result['next_token_agreement']}, "
          f"{result['seconds']} s")
    assert result["prompts"] == len(CHAT_PROMPTS)
    assert result["tokens_match"]  # the GGUF's vocabulary splits the prompts like the original tokenizer
    assert result["next_token_agreement"] >= min_next_token
    assert result["agree"] >= min_agree
    assert result["answers"][0] == {"prompt": "What is the capital of France?", "original": "The capital of France is Paris.",
                                    "gguf": "The capital of France is Paris.", "agree": True, "gguf_done_reason": "stop"}
    if result["agree"] < result["prompts"]:
        assert set(result["first_disagreement"]) == {"prompt", "original", "gguf"}
    else:
        assert result["first_disagreement"] is None


def test_cancelling_stops_the_converter_and_leaves_nothing(smollm2, tmp_path):
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    started = time.monotonic()
    with pytest.raises(gguf.GGUFCancelled):
        gguf.export_gguf(smollm2, tmp_path / "out" / "smol.gguf", "f16", should_stop=stop)
    assert time.monotonic() - started < 10
    assert list((tmp_path / "out").iterdir()) == []


def test_the_time_limit_stops_the_converter(smollm2, tmp_path):
    with pytest.raises(gguf.GGUFError, match="took longer than 1 s"):
        gguf.export_gguf(smollm2, tmp_path / "smol.gguf", "f16", timeout=1)
    assert list(tmp_path.iterdir()) == []
