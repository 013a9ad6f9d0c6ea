"""The chunked cross-entropy (chunked_loss.py) trains as the model's own loss does: the same loss
at every step within 1e-4 over a few optimizer steps with gradient accumulation, on the same
batches. Its memory is measured by bench/variable_length.py, not here."""

from __future__ import annotations

import pytest
import torch

from tuneforge.training.batching import PaddingFreeCollator, pack_examples
from tuneforge.training.chunked_loss import loss_sum, make_trainer_class, supports_chunked_loss
from tuneforge.training.data import tokenize_sft
from tuneforge.training.loading import load_tokenizer, resolve_base_model

from test_packing_equal import variable_rows


@pytest.fixture(scope="module")
def tiny(model_cache):
    return resolve_base_model("tiny-llama", model_cache)


def _model(path, lora: bool):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    if lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"]))
    return model


def test_chunks_sum_to_the_models_loss(tiny):
    tokenizer, _, _ = load_tokenizer(tiny)
    model = _model(tiny, lora=False)
    examples = tokenize_sft(tokenizer, variable_rows(6, 3), max_length=128, loss_on="assistant", packing=False)
    batch = PaddingFreeCollator(tokenizer.pad_token_id)(examples)
    own = model(**batch, use_cache=False).loss
    for chunk in (3, 64, 100_000):  # chunks smaller, about equal and larger than the trained positions
        total, count = loss_sum(model, batch, chunk=chunk)
        assert float((total / count).detach()) == pytest.approx(float(own), abs=1e-5)
    assert supports_chunked_loss(model)


@pytest.mark.parametrize("lora", [False, True], ids=["full", "lora"])
def test_training_with_the_chunked_loss_follows_the_models_loss(tiny, tmp_path, lora):
    from transformers import TrainingArguments

    tokenizer, _, _ = load_tokenizer(tiny)
    examples = tokenize_sft(tokenizer, variable_rows(48, 4), max_length=128, loss_on="assistant", packing=False)
    blocks = pack_examples(examples, 128)
    histories = []
    for chunked in (True, False):
        args = TrainingArguments(
            output_dir=str(tmp_path / f"out-{chunked}"), per_device_train_batch_size=2, gradient_accumulation_steps=2,
            learning_rate=5e-3, max_steps=6, logging_steps=1, use_cpu=True, report_to="none", seed=7, data_seed=7,
            save_strategy="no", disable_tqdm=True, remove_unused_columns=False, bf16=False, fp16=False,
        )
        trainer = make_trainer_class()(
            model=_model(tiny, lora), args=args, train_dataset=blocks,
            data_collator=PaddingFreeCollator(tokenizer.pad_token_id), chunked_loss=chunked,
        )
        assert trainer.chunked_loss is chunked
        trainer.train()
        histories.append([h["loss"] for h in trainer.state.log_history if "loss" in h])
    chunked_losses, plain_losses = histories
    assert len(chunked_losses) == 6
    assert chunked_losses[-1] < chunked_losses[0]  # it learns
    assert chunked_losses == pytest.approx(plain_losses, abs=1e-4)


def test_the_held_out_loss_is_per_token_whatever_the_batching(tiny, tmp_path):
    """Packed or padded, in batches of 1 or 3: the same held-out loss, the per-token mean."""
    from transformers import TrainingArguments

    tokenizer, _, _ = load_tokenizer(tiny)
    examples = tokenize_sft(tokenizer, variable_rows(9, 8), max_length=128, loss_on="assistant", packing=False)
    model = _model(tiny, lora=False)
    batch = PaddingFreeCollator(tokenizer.pad_token_id)(examples)
    with torch.no_grad():
        expected = float(model(**batch, use_cache=False).loss)  # the token mean over all nine
    seen = []
    for dataset, rows in ((examples, 1), (examples, 3), (pack_examples(examples, 128), 2)):
        args = TrainingArguments(output_dir=str(tmp_path / "eval"), per_device_eval_batch_size=rows, use_cpu=True,
                                 report_to="none", remove_unused_columns=False, prediction_loss_only=True)
        trainer = make_trainer_class()(model=model, args=args, data_collator=PaddingFreeCollator(tokenizer.pad_token_id))
        seen.append(trainer.evaluate(eval_dataset=dataset)["eval_loss"])
    assert seen == pytest.approx([expected] * 3, abs=1e-5)
