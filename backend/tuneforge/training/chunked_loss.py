"""Causal-LM cross-entropy without the full [batch, length, vocabulary] logits.

A model's own loss computes the logits of every position, upcasts them to fp32 and keeps them for
the backward pass: with a 49k-token vocabulary that is the largest tensor of a small model's step.
Here the decoder's last hidden states are taken instead, only the positions whose next token is
trained are kept (labels shifted by one, as the model's loss does), and the LM head and the
cross-entropy run over them in chunks, each recomputed in the backward pass (activation
checkpointing), so at most one chunk's logits exist at a time. The sum equals the model's loss
times the number of trained tokens (tests/training/test_chunked_loss.py).

`TuneForgeTrainer` uses it for SFT and CPT, together with the length-grouped sampler.
"""

from __future__ import annotations

from typing import Any

from tuneforge.training.batching import IGNORE_INDEX

# Positions per chunk: 4096 x a 49k vocabulary in fp32 is 800 MB; memory falls with the chunk,
# speed barely moves above ~1k positions.
CHUNK_POSITIONS = 2048


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


def loss_sum(model: Any, inputs: dict, chunk: int = CHUNK_POSITIONS) -> tuple[Any, Any]:
    """(sum of the token cross-entropies, number of trained tokens) for a causal-LM batch."""
    import torch
    from torch.utils.checkpoint import checkpoint

    base = _base_model(model)
    decoder, head = base.get_decoder(), base.get_output_embeddings()
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


def make_trainer_class():
    """TuneForgeTrainer, built on first use so that importing this module needs no transformers."""
    from transformers import Trainer

    class TuneForgeTrainer(Trainer):
        """transformers' Trainer with the chunked loss and the length-grouped sampler.

        The loss is normalised per trained token over the whole accumulated batch, as the model's
        own loss is when the Trainer counts `num_items_in_batch` (which it does for models that
        take loss keyword arguments; set below so that it always counts).
        """

        def __init__(self, *args, sampler=None, chunked_loss: bool = True, **kwargs):
            super().__init__(*args, **kwargs)
            self.length_sampler = sampler
            self.chunked_loss = chunked_loss and supports_chunked_loss(self.model)
            if self.chunked_loss:
                self.model_accepts_loss_kwargs = True  # count trained tokens per accumulated batch ...
                self._loss_shifts_labels = True  # ... over labels[:, 1:], the positions this loss predicts

        def evaluation_loop(self, dataloader, description, prediction_loss_only=None, ignore_keys=None,
                            metric_key_prefix="eval"):
            """The held-out loss per trained token over the whole set (the Trainer averages batch
            means by rows), so it does not depend on how the rows were batched."""
            self._eval_sums = [0.0, 0]
            output = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys, metric_key_prefix)
            total, count = self._eval_sums
            if self.chunked_loss and count:
                output.metrics[f"{metric_key_prefix}_loss"] = total / count
            self._eval_sums = None
            return output

        def _get_train_sampler(self, train_dataset=None):
            if self.length_sampler is not None:
                return self.length_sampler
            return super()._get_train_sampler(train_dataset)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if not self.chunked_loss or "labels" not in inputs:
                if "position_ids" in inputs:
                    # Packed rows are read from position ids only without a cache (masking_utils).
                    inputs = {**inputs, "use_cache": False}
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            total, count = loss_sum(model, inputs)
            if not model.training and getattr(self, "_eval_sums", None) is not None:
                self._eval_sums[0] += float(total)
                self._eval_sums[1] += int(count)
            denominator = num_items_in_batch if num_items_in_batch is not None else count
            if hasattr(denominator, "to"):
                denominator = denominator.to(total.device)
            loss = total / denominator if (denominator > 0) else total * 0.0
            return (loss, {"loss": loss}) if return_outputs else loss

    return TuneForgeTrainer
