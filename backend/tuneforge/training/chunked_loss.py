"""Causal-LM cross-entropy without the full [batch, length, vocabulary] logits.

A model's own loss computes the logits of every position, upcasts them to fp32 and keeps them for
the backward pass: with a 49k-token vocabulary that is the largest tensor of a small model's step.
Here the decoder's last hidden states are taken instead, only the positions whose next token is
trained are kept (labels shifted by one, as the model's loss does), and the LM head and the
cross-entropy run over them in chunks, each recomputed in the backward pass (activation
checkpointing), so at most one chunk's logits exist at a time. The sum equals the model's loss
times the number of trained tokens (tests/training/test_chunked_loss.py).

`TuneForgeTrainer` uses it for SFT and CPT (training on one device; the held-out loss on any number),
together with the length-grouped sampler.
"""

from __future__ import annotations

from typing import Any

from tuneforge.training import distributed
from tuneforge.training.batching import IGNORE_INDEX

# Positions per chunk, chosen per model (chunk_positions): a chunk's fp32 logits take about
# CHUNK_LOGIT_BYTES. A fixed 2,048 positions held 2048 x 49k x 4 B = 400 MB per logit copy for
# SmolLM2 and covered a whole 4 x 512 batch, so chunking saved nothing there (bench/README.md,
# "Memory"). Fewer positions than CHUNK_MIN_POSITIONS make the LM-head matmuls too thin to run at
# speed; more than CHUNK_MAX_POSITIONS save nothing measurable on small vocabularies.
CHUNK_LOGIT_BYTES = 32 * 2**20
CHUNK_MIN_POSITIONS = 128
CHUNK_MAX_POSITIONS = 8192
CHUNK_POSITIONS = 2048  # models whose vocabulary is unknown


def chunk_positions(vocab: int | None, hidden: int | None = None) -> int:
    """Positions per loss chunk for a vocabulary and hidden size: about CHUNK_LOGIT_BYTES of fp32
    logits, a multiple of 64, at least CHUNK_MIN_POSITIONS (thin matmuls waste a GPU; 128 x a 128k
    vocabulary is 63 MB), and never so few that a chunk's head matmul ([chunk, hidden] x
    [hidden, vocab]) has under 2^23 multiply-adds (small models get bigger chunks)."""
    if not vocab:
        return CHUNK_POSITIONS
    positions = CHUNK_LOGIT_BYTES // (4 * vocab)
    if hidden:
        # at least ~2^23 multiply-adds per chunk, so that per-call overhead stays small
        positions = max(positions, 2**23 // (hidden * vocab))
    positions = positions // 64 * 64
    return int(min(max(positions, CHUNK_MIN_POSITIONS), CHUNK_MAX_POSITIONS))


def _base_model(model: Any) -> Any:
    """The transformers model under a PEFT wrapper (LoRA layers are injected in place, so calling
    its parts directly still trains the adapter)."""
    if hasattr(model, "get_base_model"):
        return model.get_base_model()
    return model


def supports_chunked_loss(model: Any) -> bool:
    """A decoder plus an LM head, and no logit transform besides optional soft-capping."""
    base = _base_model(model)
    try:
        decoder, head = base.get_decoder(), base.get_output_embeddings()
    except (AttributeError, NotImplementedError):
        return False
    if decoder is None or head is None or decoder is base:
        return False
    config = getattr(base, "config", None)
    # Models that scale their logits (Cohere's logit_scale, Granite's logits_scaling) are left to
    # their own loss rather than reproduced here.
    return not any(getattr(config, name, None) not in (None, 1, 1.0) for name in ("logit_scale", "logits_scaling"))


def _chunk_loss(hidden, targets, head, softcap):
    import torch

    logits = head(hidden).float()
    if softcap:
        logits = torch.tanh(logits / softcap) * softcap
    return torch.nn.functional.cross_entropy(logits, targets, reduction="sum")


def model_chunk_positions(model: Any) -> int:
    """`chunk_positions` for this model's LM head."""
    base = _base_model(model)
    config = getattr(base, "config", None)
    head = base.get_output_embeddings() if hasattr(base, "get_output_embeddings") else None
    vocab = getattr(head, "out_features", None) or getattr(config, "vocab_size", None)
    hidden = getattr(head, "in_features", None) or getattr(config, "hidden_size", None)
    return chunk_positions(vocab, hidden)


def loss_sum(model: Any, inputs: dict, chunk: int | None = None) -> tuple[Any, Any]:
    """(sum of the token cross-entropies, number of trained tokens) for a causal-LM batch, the
    trained positions taken `chunk` at a time (default: `model_chunk_positions`)."""
    import torch
    from torch.utils.checkpoint import checkpoint

    base = _base_model(model)
    decoder, head = base.get_decoder(), base.get_output_embeddings()
    chunk = chunk or model_chunk_positions(model)
    labels = inputs["labels"]
    forward = {k: v for k, v in inputs.items() if k in ("input_ids", "attention_mask", "position_ids")}
    hidden = decoder(**forward, use_cache=False).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != IGNORE_INDEX
    hidden = hidden[:, :-1][keep]
    targets = targets[keep]
    softcap = getattr(base.config, "final_logit_softcapping", None)
    total = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, targets.numel(), chunk):
        part = (hidden[start : start + chunk], targets[start : start + chunk], head, softcap)
        if torch.is_grad_enabled():
            total = total + checkpoint(_chunk_loss, *part, use_reentrant=False)
        else:
            total = total + _chunk_loss(*part)
    return total, keep.sum()


def blank_rows(rows: list[dict], multiple: int) -> list[dict]:
    """Rows that make len(rows) a multiple of `multiple`: copies of the shortest row with every label
    ignored, so they add nothing to a loss sum or its token count."""
    missing = -len(rows) % multiple
    if not missing:
        return []
    shortest = min(rows, key=lambda row: len(row["input_ids"]))
    blank = {**shortest, "labels": [IGNORE_INDEX] * len(shortest["input_ids"])}
    return [blank] * missing


def make_trainer_class():
    """TuneForgeTrainer, built on first use so that importing this module needs no transformers."""
    from transformers import Trainer

    class TuneForgeTrainer(Trainer):
        """transformers' Trainer with the chunked loss and the length-grouped sampler.

        The loss is normalised per trained token over the whole accumulated batch, as the model's
        own loss is when the Trainer counts `num_items_in_batch` (which it does for models that
        take loss keyword arguments; set below so that it always counts).
        """

        def __init__(self, *args, sampler=None, batch_sampler=None, chunked_loss: bool = True, **kwargs):
            super().__init__(*args, **kwargs)
            self.length_sampler = sampler
            self.token_batches = batch_sampler  # batches up to a token budget (hyperparameters.batch_tokens)
            self.chunked_loss = chunked_loss and supports_chunked_loss(self.model)
            if self.chunked_loss:
                self.model_accepts_loss_kwargs = True  # count trained tokens per accumulated batch ...
                self._loss_shifts_labels = True  # ... over labels[:, 1:], the positions this loss predicts

        def evaluation_loop(self, dataloader, description, prediction_loss_only=None, ignore_keys=None,
                            metric_key_prefix="eval"):
            """The held-out loss per trained token over the whole set (the Trainer averages batch
            means by rows), so it does not depend on how the rows were batched — nor on how many
            devices share it (the sums are added over ranks)."""
            self._eval_sums = [0.0, 0]
            output = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys, metric_key_prefix)
            total, count = distributed.sum_over_ranks(self._eval_sums, self.args.device)
            if self.chunked_loss and count:
                output.metrics[f"{metric_key_prefix}_loss"] = total / count
            self._eval_sums = None
            return output

        def get_eval_dataloader(self, eval_dataset=None):
            """On N devices, the held-out rows padded to whole batches on every rank with rows that
            train nothing (labels all ignored), so accelerate need not repeat real rows to even the
            ranks out — a repeated row would count twice in the loss."""
            dataset = eval_dataset if eval_dataset is not None else self.eval_dataset
            if self.args.world_size > 1 and isinstance(dataset, list) and dataset:
                dataset = dataset + blank_rows(dataset, self.args.per_device_eval_batch_size * self.args.world_size)
            return super().get_eval_dataloader(dataset)

        def get_train_dataloader(self):
            if self.token_batches is None:
                return super().get_train_dataloader()
            from torch.utils.data import DataLoader

            loader = DataLoader(self.train_dataset, batch_sampler=self.token_batches, collate_fn=self.data_collator,
                                num_workers=self.args.dataloader_num_workers,
                                pin_memory=self.args.dataloader_pin_memory)
            return self.accelerator.prepare(loader)

        def _get_train_sampler(self, train_dataset=None):
            if self.length_sampler is not None:
                return self.length_sampler
            return super()._get_train_sampler(train_dataset)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            # Under DDP a training loss must come out of the wrapped model's own forward (its gradient
            # hooks are set there); the chunked loss calls the decoder directly, so there it is one
            # device's saving, and the held-out loss's (no gradients) on any number.
            chunked = self.chunked_loss and (not model.training or self.args.world_size == 1)
            if not chunked or "labels" not in inputs:
                if "position_ids" in inputs:
                    # Packed rows are read from position ids only without a cache (masking_utils).
                    inputs = {**inputs, "use_cache": False}
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            total, count = loss_sum(self.accelerator.unwrap_model(model), inputs)
            if not model.training and getattr(self, "_eval_sums", None) is not None:
                self._eval_sums[0] += float(total)
                self._eval_sums[1] += int(count)
            denominator = num_items_in_batch if num_items_in_batch is not None else count
            if hasattr(denominator, "to"):
                denominator = denominator.to(total.device)
            loss = total / denominator if (denominator > 0) else total * 0.0
            return (loss, {"loss": loss}) if return_outputs else loss

    return TuneForgeTrainer
