"""Merging a LoRA adapter into its base: the merged model's logits equal base + adapter's
(fp32: within 1e-3), on tiny-llama and on SmolLM2; an adapter folder exports to GGUF merged."""

from __future__ import annotations

import pytest

from tuneforge.training import gguf

from .conftest import CHAT_PROMPTS, make_adapter


@pytest.mark.parametrize("model", ["tiny_llama", "smollm2"])
def test_merged_logits_equal_base_plus_adapter(model, request, tmp_path):
    if model == "smollm2":
        adapter, prompts = request.getfixturevalue("smol_adapter"), CHAT_PROMPTS
    else:
        adapter, prompts = make_adapter(request.getfixturevalue(model), tmp_path / "adapter"), None
    result = gguf.merge_and_check(adapter, tmp_path / "merged", "float32", prompts=prompts)
    print(f"\n{model}: max |logit diff| {result['max_abs_logit_diff']:.2e}, adapter moves logits by "
          f"{result['adapter_effect']:.3f}, {result['seconds']} s")
    assert result["ok"] and result["max_abs_logit_diff"] <= 1e-3
    assert result["adapter_effect"] > 1e-2  # the adapter really changes the model: the check compares something
    assert result["prompts"] == len(prompts or gguf.CHECK_PROMPTS)
    merged = tmp_path / "merged"
    assert (merged / "model.safetensors").exists() and (merged / "tokenizer.json").exists()
    assert not (merged / "adapter_config.json").exists()


def test_merging_refuses_a_full_model(tiny_llama, tmp_path):
    with pytest.raises(gguf.GGUFError, match="is not a LoRA adapter"):
        gguf.merge_and_check(tiny_llama, tmp_path / "merged")


def test_an_adapter_folder_is_merged_before_conversion(smol_adapter, tmp_path):
    from gguf import GGUFReader

    adapter = smol_adapter
    export = gguf.export_gguf(adapter, tmp_path / "adapter.q8_0.gguf", "q8_0", work_dir=tmp_path)
    assert GGUFReader(export.path).fields["general.file_type"].contents() == 7
    assert [p.name for p in tmp_path.iterdir()] == ["adapter.q8_0.gguf"]  # the merge was cleaned up
    # The base model's preflight result holds for its adapter (config from the base, tokenizer from the adapter).
    assert gguf.preflight(adapter)["architecture"] == "LlamaForCausalLM"
