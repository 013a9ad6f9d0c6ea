"""Loading a model through Unsloth (provider 'unsloth', CUDA only).

Imported only when a spec resolves to this provider; `check_spec` has already refused it on a
machine without CUDA. Unsloth patches transformers/trl at import, so the runner imports it
before them. The method files then build their usual trainers around the returned model.
"""

from __future__ import annotations

from pathlib import Path

from tuneforge.training.spec import TrainingSpec

DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def load_model(spec: TrainingSpec, base_path: Path, tokenizer, precision: str):
    import torch
    from unsloth import FastLanguageModel

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    model, _ = FastLanguageModel.from_pretrained(
        model_name=str(base_path),
        max_seq_length=spec.data.max_length,
        dtype=dtype,
        load_in_4bit=spec.adapter == "qlora",
        full_finetuning=spec.adapter == "full",
    )
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    if spec.uses_adapter:
        targets = spec.lora.target_modules
        model = FastLanguageModel.get_peft_model(
            model,
            r=spec.lora.rank,
            lora_alpha=spec.lora.alpha,
            lora_dropout=spec.lora.dropout,
            target_modules=targets if isinstance(targets, list) else DEFAULT_TARGETS,
            use_gradient_checkpointing="unsloth" if spec.hyperparameters.gradient_checkpointing else False,
            random_state=spec.seed,
            use_rslora=spec.lora.use_rslora,
        )
    return model
