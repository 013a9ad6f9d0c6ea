"""The chunked cross-entropy (chunked_loss.py) trains as the model's own loss does: the same loss
at every step within 1e-4 over a few optimizer steps with gradient accumulation, on the same
batches. Its memory is measured by bench/variable_length.py, not here."""

from __future__ import annotations

import pytest
import torch

from tuneforge.training.batching import PaddingFreeCollator, pack_examples
from tuneforge.training.chunked_loss import chunk_positions, loss_sum, make_trainer_class, supports_chunked_loss
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


@pytest.mark.parametrize("name", ["tiny-llama", "SmolLM2-135M-Instruct"])
def test_chunks_sum_to_the_models_loss(model_cache, name):
    path = resolve_base_model(name, model_cache)
    tokenizer, _, _ = load_tokenizer(path)
    model = _model(path, lora=False)
    examples = tokenize_sft(tokenizer, variable_rows(6, 3), max_length=128, loss_on="assistant", packing=False)
    batch = PaddingFreeCollator(tokenizer.pad_token_id)(examples)
    with torch.no_grad():
        own = model(**batch, use_cache=False).loss
        trained = int((batch["labels"][:, 1:] != -100).sum())
        # chunks smaller, about equal and larger than the trained positions, and the model's own size
        for chunk in (3, 64, 100_000, None):
            total, count = loss_sum(model, batch, chunk=chunk)
            assert int(count) == trained
            assert float(total / count) == pytest.approx(float(own), abs=1e-5)
    assert supports_chunked_loss(model)


def test_the_chunk_size_follows_the_vocabulary():
    """One chunk's fp32 logits stay at a few tens of MB whatever the vocabulary: SmolLM2's 49k-token
    head gets 128 positions, so a 4 x 512 batch is cut into 16 chunks instead of one (the fixed 2,048
    positions before covered the whole batch and saved nothing); a tiny vocabulary gets big chunks."""
    for vocab, hidden in ((49152, 576), (32000, 4096), (128256, 4096), (151936, 896)):
        positions = chunk_positions(vocab, hidden)
        assert positions % 64 == 0 and 128 <= positions <= 512
        assert positions * vocab * 4 <= 80 * 2**20  # tens of MB, not the 400 MB of 2,048 positions
    assert chunk_positions(49152, 576) == 128
    assert chunk_positions(512, 64) >= 4096
    assert chunk_positions(None) == 2048


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


def test_models_it_cannot_reproduce_keep_their_own_loss():
    """No decoder/LM-head split (or one that raises), or logits the model scales itself: the trainer
    falls back to the model's own loss rather than computing a different one."""
    import types

    import torch

    assert not supports_chunked_loss(torch.nn.Linear(2, 2))  # no get_decoder at all

    class Unsplittable(torch.nn.Module):
        def get_decoder(self):
            raise NotImplementedError

    assert not supports_chunked_loss(Unsplittable())

    class Scaled(torch.nn.Module):
        config = types.SimpleNamespace(logit_scale=0.0625)

        def get_decoder(self):
            return torch.nn.Identity()

        def get_output_embeddings(self):
            return torch.nn.Linear(2, 4)

    assert not supports_chunked_loss(Scaled())
    Scaled.config = types.SimpleNamespace(logit_scale=None)
    assert supports_chunked_loss(Scaled())
