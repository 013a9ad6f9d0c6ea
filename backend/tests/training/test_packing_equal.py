"""Packed batches train exactly what unpacked examples train (issue #13).

Examples packed into one row with position ids restarting at each example must give every
example the loss and the gradients it has alone: attention never crosses a boundary, the first
token of an example is not predicted from the one before it, and the loss is normalised per
trained token as without packing. Checked in fp32 on tiny-llama and SmolLM2 within 1e-5; and a
control shows that the same rows joined *without* restarting the positions do differ.
"""

from __future__ import annotations

import random

import pytest
import torch

from tuneforge.training.batching import (
    IGNORE_INDEX,
    LengthGroupedSampler,
    PaddingFreeCollator,
    batches_in_order,
    best_fit_decreasing,
    length_grouped_order,
    pack_examples,
    real_token_fraction,
)
from tuneforge.training.data import tokenize_sft
from tuneforge.training.loading import default_cache_dir, load_tokenizer, resolve_base_model

TOLERANCE = 1e-5


def variable_rows(n: int, seed: int) -> list[dict]:
    """Chat rows from a few to ~60 words, answers of one to a dozen."""
    rng = random.Random(seed)
    words = ["apple", "pear", "plum", "cat", "dog", "cow", "horse", "red", "green", "blue"]
    rows = []
    for _ in range(n):
        prompt = " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
        answer = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        rows.append({"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]})
    return rows


def _load(path):
    from transformers import AutoModelForCausalLM

    tokenizer, _, _ = load_tokenizer(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    model.train()  # dropout is 0 in both models; train mode is what the trainer runs
    return tokenizer, model


@pytest.fixture(scope="module", params=["tiny-llama", "SmolLM2-135M-Instruct"])
def model_and_tokenizer(request, model_cache):
    if request.param == "tiny-llama":
        path = resolve_base_model("tiny-llama", model_cache)
    else:
        # The persistent cache: SmolLM2 is converted from its GGUF once per machine (~40 s).
        path = resolve_base_model("SmolLM2-135M-Instruct", default_cache_dir())
    tokenizer, model = _load(path)
    if request.param != "tiny-llama":
        # Gradients of the first and last blocks only (the backward pass still runs through every
        # block to reach the first): a 135M-parameter fp32 backward on two shared cores is slow enough.
        layers = model.model.layers
        for name, param in model.named_parameters():
            param.requires_grad = any(name.startswith(f"model.layers.{i}.") for i in (0, len(layers) - 1))
    return request.param, tokenizer, model


def _token_losses(model, batch) -> torch.Tensor:
    """Per-position cross-entropy of the next token ([rows, length-1]), 0 where untrained."""
    logits = model(**{k: v for k, v in batch.items() if k != "labels"}, use_cache=False).logits.float()
    targets = batch["labels"][:, 1:]
    losses = torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none", ignore_index=IGNORE_INDEX
    )
    return losses.view(targets.shape)


def _per_example_packed(model, block: dict) -> list[float]:
    batch = PaddingFreeCollator(0)([block])
    losses = _token_losses(model, batch)[0]
    starts = [i for i, p in enumerate(block["position_ids"]) if p == 0] + [len(block["position_ids"])]
    # position i predicts token i+1: an example spanning [a, b) owns predictions a .. b-2
    return [float(losses[a : b - 1].sum().detach()) for a, b in zip(starts, starts[1:])]


def _per_example_alone(model, example: dict) -> float:
    batch = PaddingFreeCollator(0)([example])
    return float(_token_losses(model, batch)[0].sum())


def _examples(tokenizer, n=7, seed=5, max_length=160):
    return tokenize_sft(tokenizer, variable_rows(n, seed), max_length=max_length, loss_on="assistant", packing=False)


def _grads(model) -> dict[str, torch.Tensor]:
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}


def _mean_loss_backward(model, batch) -> tuple[float, dict[str, torch.Tensor]]:
    """The trainer's loss: token cross-entropy summed, over the number of trained tokens."""
    model.zero_grad(set_to_none=True)
    losses = _token_losses(model, batch)
    trained = (batch["labels"][:, 1:] != IGNORE_INDEX).sum()
    loss = losses.sum() / trained
    loss.backward()
    return float(loss.detach()), _grads(model)


def test_packed_losses_and_gradients_equal_unpacked(model_and_tokenizer):
    name, tokenizer, model = model_and_tokenizer
    examples = _examples(tokenizer, n=7 if name == "tiny-llama" else 5, max_length=160 if name == "tiny-llama" else 96)
    block_tokens = sum(len(e["input_ids"]) for e in examples)  # one block holding them all
    [block] = pack_examples(examples, block_tokens)
    assert block["num_examples"] == len(examples)

    # Per example: the packed block gives each example the loss it has alone.
    with torch.no_grad():
        packed = _per_example_packed(model, block)
        order = best_fit_decreasing([len(e["input_ids"]) for e in examples], block_tokens)[0]
        alone = [_per_example_alone(model, examples[i]) for i in order]
    assert packed == pytest.approx(alone, abs=TOLERANCE * max(1.0, max(alone))), name

    # Per batch: the token-mean loss and every gradient of the packed row equal those of the
    # padded, unpacked batch of the same examples.
    loss_packed, grads_packed = _mean_loss_backward(model, PaddingFreeCollator(tokenizer.pad_token_id)([block]))
    loss_plain, grads_plain = _mean_loss_backward(model, PaddingFreeCollator(tokenizer.pad_token_id)(examples))
    assert loss_packed == pytest.approx(loss_plain, abs=TOLERANCE)
    assert grads_packed.keys() == grads_plain.keys() and grads_packed
    worst = max(float((grads_packed[k] - grads_plain[k]).abs().max()) for k in grads_plain)
    assert worst < TOLERANCE, f"{name}: largest gradient difference {worst:.2e}"


def test_joining_without_restarting_positions_differs(model_and_tokenizer):
    """The control: the same rows concatenated as one sequence (attention crossing examples)
    give different per-example losses, so the equality above is not vacuous."""
    name, tokenizer, model = model_and_tokenizer
    examples = _examples(tokenizer, n=4, seed=9, max_length=96)
    [block] = pack_examples(examples, sum(len(e["input_ids"]) for e in examples))
    joined = dict(block, position_ids=list(range(len(block["input_ids"]))))
    with torch.no_grad():
        packed = _per_example_packed(model, block)
        crossing = float(_token_losses(model, PaddingFreeCollator(0)([joined]))[0].sum())
    assert abs(crossing - sum(packed)) > 1e-3, name


def test_padding_free_rows_equal_masked_rows(model_and_tokenizer):
    """Right padding without an attention mask (the length-grouped and plain batches) gives the
    loss of the masked batch: a real token attends only to the real tokens before it."""
    from tuneforge.training.data import CausalLMCollator

    _, tokenizer, model = model_and_tokenizer
    examples = _examples(tokenizer, n=5, seed=11, max_length=96)
    with torch.no_grad():
        masked = _token_losses(model, CausalLMCollator(tokenizer.pad_token_id)(examples))
        unmasked = _token_losses(model, PaddingFreeCollator(tokenizer.pad_token_id)(examples))
    assert float(unmasked.sum()) > 0
    assert (unmasked - masked).abs().max() < TOLERANCE


# -- packing, sampling and the padding share, without a model --------------------------------------


def test_best_fit_decreasing_keeps_every_example_once_within_the_block():
    rng = random.Random(0)
    lengths = [rng.randint(20, 500) for _ in range(400)]
    bins = best_fit_decreasing(lengths, 512)
    assert sorted(i for b in bins for i in b) == list(range(400))
    assert all(sum(lengths[i] for i in b) <= 512 for b in bins)
    # Nearly full blocks: at most a few percent above the lower bound.
    assert len(bins) <= sum(lengths) / 512 * 1.05 + 1


def test_packed_blocks_mask_each_first_label_and_restart_positions(model_cache):
    tokenizer, _, _ = load_tokenizer(model_cache / "tiny-llama")
    examples = tokenize_sft(tokenizer, variable_rows(30, 2), max_length=128, loss_on="all", packing=False)
    blocks = pack_examples(examples, 128)
    assert sum(b["num_examples"] for b in blocks) == len(examples)
    for block in blocks:
        assert len(block["input_ids"]) <= 128
        starts = [i for i, p in enumerate(block["position_ids"]) if p == 0]
        assert len(starts) == block["num_examples"]
        assert all(block["labels"][i] == IGNORE_INDEX for i in starts)
    trained = sum(lab != IGNORE_INDEX for b in blocks for lab in b["labels"])
    assert trained == sum(len(e["labels"]) - 1 for e in examples)  # loss_on all: all but each first


def test_length_grouped_order_is_a_seeded_permutation_that_pads_less():
    rng = random.Random(1)
    # Alpaca-like: 20-750 tokens, median ~160
    lengths = [min(750, max(20, int(rng.lognormvariate(5.1, 0.6)))) for _ in range(999)]
    order = length_grouped_order(lengths, 8, seed=42)
    assert sorted(order) == list(range(999))
    assert order == length_grouped_order(lengths, 8, seed=42)
    assert order != length_grouped_order(lengths, 8, seed=43)
    assert lengths[order[0]] == max(lengths)  # the longest batch first
    grouped = real_token_fraction(lengths, batches_in_order(order, 8))
    shuffled = list(range(999))
    random.Random(42).shuffle(shuffled)
    plain = real_token_fraction(lengths, batches_in_order(shuffled, 8))
    assert plain < 0.7 and grouped > 0.9
    packed = pack_examples([{"input_ids": [1] * n, "labels": [1] * n} for n in lengths], 768)
    assert real_token_fraction([len(b["input_ids"]) for b in packed], batches_in_order(range(len(packed)), 1)) > 0.97


def test_the_sampler_reshuffles_every_epoch():
    sampler = LengthGroupedSampler([5, 9, 3, 7, 1, 8, 2, 6] * 20, batch_size=4, seed=3)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(160)) and first != second


def test_auto_keeps_plain_batches_unless_grouping_really_saves_time():
    """Grouping changes which rows meet in a batch (and so what a step learns): `auto` takes it only for a
    saving of at least 10% of the epoch; otherwise plain random batches stay, and the reason says so."""
    from tuneforge.training.batching import Candidate, choose_batching

    plain = Candidate("plain", 100.0, 0.985, 8, 14)
    nearly = Candidate("length_grouped", 97.0, 0.997, 8, 14)
    chosen, reason = choose_batching([plain, nearly, Candidate("packed", 129.0, 0.986, 8, 14)])
    assert chosen is plain
    assert reason.startswith("plain random batches (98% real tokens): length_grouped batches would save only 3%")

    faster = Candidate("length_grouped", 60.0, 0.97, 8, 14)
    chosen, reason = choose_batching([plain, faster])
    assert chosen is faster and reason.startswith("length_grouped batches are modelled fastest")
