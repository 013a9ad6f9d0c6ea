"""How tokenised examples become batches without computing padding (issue #13).

Four ways, `data.batching` in the spec:

- `packed`: examples are packed into blocks of at most `max_length` tokens (best-fit decreasing),
  with `position_ids` restarting at 0 for every example. transformers reads packed sequences from
  the position ids (when no attention mask is passed) and builds a block-diagonal causal mask, so
  attention never crosses an example boundary; the first label of every example is masked, since
  unpacked its token is never predicted either. Loss and gradients equal those of the unpacked
  examples (tests/training/test_packing_equal.py).
- `length_grouped`: one example per row; rows are shuffled, cut into megabatches, sorted by
  length inside each, so a batch holds rows of similar length and little padding.
- `plain`: one example per row in random order, padded to the longest of its batch (the old default).
- `concatenate` (continued pre-training only): the corpus joined and cut into `max_length` blocks;
  attention crosses document boundaries. `data.packing: true` used to mean this.

Rows are right-padded and, for one-example-per-row batches, no attention mask is passed: under a
causal mask a real token only attends to the tokens before it, which are all real, so the pad
tokens after it change nothing and the fast causal kernels run without a mask. Pad positions carry
label -100.

`auto` picks among the first three with `choose_batching`: a cost model of one epoch (compute per
real and per padded token, attention over the attended span, the fixed cost of every micro-batch)
from the model's shape, the device, the attention implementation and the data's lengths.

`hyperparameters.batch_tokens` replaces rows per batch by a token budget (`token_budget_batches`).
Preference methods, which batch inside trl's trainers one example per row, get the same seeded
length-grouped order through `length_grouped_trainer`.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

IGNORE_INDEX = -100
BATCHINGS = ("auto", "packed", "length_grouped", "plain", "concatenate")
# Batches of one megabatch are sorted by length together: 50 batches is transformers' choice too
# (LengthGroupedSampler); larger groups pad less but make the order less random.
MEGABATCH_BATCHES = 50


# -- packing -------------------------------------------------------------------------------------


def best_fit_decreasing(lengths: Sequence[int], capacity: int) -> list[list[int]]:
    """Bins of example indices, each bin's lengths summing to at most `capacity`: longest first,
    each into the fullest bin it still fits (a new one when none). Deterministic for the same input."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    bins: list[list[int]] = []
    # (space left, bin index), kept sorted: the first entry with room >= length is the best fit.
    free: list[tuple[int, int]] = []
    for i in order:
        length = lengths[i]
        if length > capacity:
            raise ValueError(f"example {i} has {length} tokens, more than the block size {capacity}")
        at = bisect.bisect_left(free, (length, -1))
        if at < len(free):
            room, b = free.pop(at)
            bins[b].append(i)
            room -= length
        else:
            bins.append([i])
            b, room = len(bins) - 1, capacity - length
        if room > 0:
            bisect.insort(free, (room, b))
    return bins


def pack_examples(examples: Sequence[dict], max_length: int) -> list[dict]:
    """Blocks of whole examples (best-fit decreasing) with per-example position ids and the first
    label of each example masked. Every example keeps all its tokens."""
    lengths = [len(e["input_ids"]) for e in examples]
    blocks = []
    for members in best_fit_decreasing(lengths, max_length):
        input_ids: list[int] = []
        labels: list[int] = []
        position_ids: list[int] = []
        for i in members:
            example = examples[i]
            input_ids += example["input_ids"]
            labels += [IGNORE_INDEX] + list(example["labels"][1:])
            position_ids += list(range(len(example["input_ids"])))
        blocks.append(
            {"input_ids": input_ids, "labels": labels, "position_ids": position_ids, "num_examples": len(members)}
        )
    return blocks


def concatenate(examples: Sequence[dict], max_length: int) -> list[dict]:
    """The corpus joined and cut into blocks of max_length: no padding, but attention crosses
    document boundaries inside a block (trl's 'wrapped'). Continued pre-training only."""
    ids: list[int] = []
    labels: list[int] = []
    for example in examples:
        ids += example["input_ids"]
        labels += example["labels"]
    blocks = []
    for start in range(0, len(ids), max_length):
        block_labels = labels[start : start + max_length]
        if len(block_labels) < 8 or all(x == IGNORE_INDEX for x in block_labels):
            continue
        blocks.append({"input_ids": ids[start : start + max_length], "labels": block_labels})
    return blocks


# -- sampling ------------------------------------------------------------------------------------


def length_grouped_order(lengths: Sequence[int], batch_size: int, seed: int) -> list[int]:
    """Indices in an order whose consecutive `batch_size` runs have similar lengths: shuffled,
    cut into megabatches of MEGABATCH_BATCHES batches, each sorted longest first, and the batches
    shuffled - except that the batch with the longest row goes first, so an out-of-memory error
    shows at the first step rather than hours in."""
    rng = random.Random(seed)
    indices = list(range(len(lengths)))
    rng.shuffle(indices)
    mega = max(batch_size * MEGABATCH_BATCHES, batch_size)
    batches: list[list[int]] = []
    for start in range(0, len(indices), mega):
        group = sorted(indices[start : start + mega], key=lambda i: -lengths[i])
        batches += [group[j : j + batch_size] for j in range(0, len(group), batch_size)]
    rng.shuffle(batches)
    if batches:
        longest = max(range(len(batches)), key=lambda b: max(lengths[i] for i in batches[b]))
        batches[0], batches[longest] = batches[longest], batches[0]
    # The data loader cuts this order into runs of batch_size again: a short batch anywhere but
    # last would shift every batch after it.
    batches.sort(key=lambda batch: len(batch) < batch_size)
    return [i for batch in batches for i in batch]


class LengthGroupedSampler:
    """A torch Sampler (duck-typed, so this module imports no torch) over `length_grouped_order`,
    reseeded every epoch with seed + epoch."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        order = length_grouped_order(self.lengths, self.batch_size, self.seed + self.epoch)
        self.epoch += 1
        return iter(order)


def token_budget_batches(lengths: Sequence[int], budget: int, seed: int) -> list[list[int]]:
    """Batches of rows of similar length, each holding at most `budget` computed tokens (rows x
    its longest row): shuffled, cut into megabatches, sorted longest first inside each and filled
    greedily. A row longer than the budget gets a batch of its own."""
    rng = random.Random(seed)
    indices = list(range(len(lengths)))
    rng.shuffle(indices)
    mean = sum(lengths) / max(len(lengths), 1)
    mega = max(1, int(budget / max(mean, 1)) * MEGABATCH_BATCHES)
    batches: list[list[int]] = []
    for start in range(0, len(indices), mega):
        batch: list[int] = []
        for i in sorted(indices[start : start + mega], key=lambda i: -lengths[i]):
            if batch and (len(batch) + 1) * lengths[batch[0]] > budget:
                batches.append(batch)
                batch = []
            batch.append(i)
        if batch:
            batches.append(batch)
    return batches


class TokenBudgetBatchSampler:
    """A torch batch sampler (duck-typed) over `token_budget_batches`: the batches are formed once
    from the seed, so every epoch has the same number of steps; their order is reshuffled every
    epoch (seed + epoch), the batch with the longest row first."""

    def __init__(self, lengths: Sequence[int], budget: int, seed: int) -> None:
        self.lengths = list(lengths)
        self.budget = budget
        self.seed = seed
        self.epoch = 0
        self.batches = token_budget_batches(self.lengths, budget, seed)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[list[int]]:
        order = list(self.batches)
        random.Random(self.seed + self.epoch).shuffle(order)
        if order:
            longest = max(range(len(order)), key=lambda b: max(self.lengths[i] for i in order[b]))
            order[0], order[longest] = order[longest], order[0]
        self.epoch += 1
        return iter(order)


# -- collating -----------------------------------------------------------------------------------


class PaddingFreeCollator:
    """Right-pads a batch to its longest row without an attention mask (see the module docstring).

    Packed rows carry position ids; their padding tail gets positions restarting at 0, a sequence
    of its own that no real token attends to. With `flatten`, the whole batch becomes one row of
    concatenated examples (flash-attention's variable-length kernels, CUDA only).
    """

    def __init__(self, pad_token_id: int, *, flatten: bool = False) -> None:
        self.pad_token_id = pad_token_id
        self.flatten = flatten

    def __call__(self, features: list[dict[str, Any]]) -> dict:
        import torch

        packed = any("position_ids" in f for f in features)
        if self.flatten:
            features = [
                {
                    "input_ids": [t for f in features for t in f["input_ids"]],
                    "labels": [t for f in features for t in _labels(f, packed)],
                    "position_ids": [p for f in features for p in _positions(f)],
                }
            ]
            packed = True
        length = max(len(f["input_ids"]) for f in features)
        input_ids, labels, positions = [], [], []
        for f in features:
            pad = length - len(f["input_ids"])
            input_ids.append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            labels.append(list(f["labels"]) + [IGNORE_INDEX] * pad)
            if packed:
                positions.append(_positions(f) + list(range(pad)))
        batch = {
            "input_ids": torch.tensor(input_ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
        }
        if packed:
            batch["position_ids"] = torch.tensor(positions, dtype=torch.long)
        return batch


def _positions(feature: dict) -> list[int]:
    return list(feature["position_ids"]) if "position_ids" in feature else list(range(len(feature["input_ids"])))


def _labels(feature: dict, packed: bool) -> list[int]:
    """Labels of a row about to be joined to others: its first label is never predicted."""
    labels = list(feature["labels"])
    return labels if packed else [IGNORE_INDEX] + labels[1:]


# -- how much is padding -------------------------------------------------------------------------


def batches_in_order(order: Sequence[int], batch_size: int) -> list[list[int]]:
    return [list(order[i : i + batch_size]) for i in range(0, len(order), batch_size)]


def real_token_fraction(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> float:
    """Real tokens over computed tokens (rows x longest row, per batch)."""
    real = sum(lengths[i] for batch in batches for i in batch)
    computed = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches if batch)
    return real / computed if computed else 1.0


# -- the cost model behind `auto` ------------------------------------------------------------------


@dataclass(frozen=True)
class CostInputs:
    """What the choice depends on. Per-token and per-batch costs in seconds; `attention_per_pair`
    is the cost of one query-key pair (all layers, forward and backward)."""

    device: str  # cpu | cuda | mps
    attention: str  # sdpa | eager | flash_attention_2 | ...
    per_token_s: float
    attention_per_pair_s: float
    per_batch_s: float


@dataclass
class Candidate:
    batching: str
    seconds: float
    real_fraction: float
    rows_per_batch: int
    batches: int
    detail: dict[str, Any] = field(default_factory=dict)


# A mask over packed rows makes sdpa leave its causal fast path for a kernel that computes every
# query-key pair of the block, masked or not, and reads a [rows, 1, T, T] mask in every layer.
# A rough figure, not a fit: bench/variable_length.py's forced-batching runs check the order it gives
# (tiny-llama on the 2-core CPU: length_grouped < packed < plain, as modelled; bench/README.md).
MASKED_ATTENTION_PENALTY = {"cpu": 4.0, "mps": 4.0, "cuda": 2.0}


def packed_rows_per_batch(batch_size: int, mean_length: float, block: int) -> int:
    """Blocks per micro-batch that hold about as many examples as `batch_size` unpacked rows, so
    packing changes the speed, not how many examples an optimizer step sees."""
    return max(1, round(batch_size * mean_length / block))


def epoch_candidates(lengths: Sequence[int], *, batch_size: int, max_length: int, seed: int,
                     cost: CostInputs) -> list[Candidate]:
    """The modelled seconds of one epoch for packed, length-grouped and plain batches."""
    lengths = list(lengths)
    n = len(lengths)
    if not n:
        return []
    mean = sum(lengths) / n
    out = []

    def seconds(batches: list[list[int]], row_lengths: Sequence[int], masked: bool,
                members: list[list[int]] | None = None) -> float:
        total = 0.0
        for batch in batches:
            longest = max(row_lengths[i] for i in batch)
            total += cost.per_batch_s + cost.per_token_s * len(batch) * longest
            if cost.attention.startswith("flash") and members is not None:
                # variable-length kernels: only each example's own causal triangle
                pairs = sum(lengths[j] ** 2 / 2 for i in batch for j in members[i])
            elif masked:
                pairs = len(batch) * longest**2 * MASKED_ATTENTION_PENALTY.get(cost.device, 4.0)
            else:
                pairs = len(batch) * longest**2 / 2
            total += cost.attention_per_pair_s * pairs
        return total

    plain = batches_in_order(random.Random(seed).sample(range(n), n), batch_size)
    out.append(Candidate("plain", seconds(plain, lengths, False), real_token_fraction(lengths, plain),
                         batch_size, len(plain)))
    grouped = batches_in_order(length_grouped_order(lengths, batch_size, seed), batch_size)
    out.append(Candidate("length_grouped", seconds(grouped, lengths, False), real_token_fraction(lengths, grouped),
                         batch_size, len(grouped)))
    bins = best_fit_decreasing(lengths, max_length)
    block_lengths = [sum(lengths[i] for i in b) for b in bins]
    rows = packed_rows_per_batch(batch_size, mean, max_length)
    packed = batches_in_order(random.Random(seed).sample(range(len(bins)), len(bins)), rows)
    out.append(Candidate("packed", seconds(packed, block_lengths, True, bins),
                         real_token_fraction(block_lengths, packed), rows, len(packed),
                         {"blocks": len(bins), "block_tokens": max_length}))
    return out


# Grouping rows by length (or packing them) changes which rows meet in a batch, and so what each step
# learns: on data whose length follows its label, a length-grouped batch holds one label. Worth it only
# for a real saving — below this, plain random batches stay.
MIN_SPEEDUP = 1.10


def choose_batching(candidates: list[Candidate]) -> tuple[Candidate, str]:
    """The fastest candidate, unless it saves under 10% on plain random batches; and a sentence saying why."""
    best = min(candidates, key=lambda c: c.seconds)
    plain = next((c for c in candidates if c.batching == "plain"), None)
    if plain is not None and best is not plain and plain.seconds < best.seconds * MIN_SPEEDUP:
        saving = 1 - best.seconds / plain.seconds
        return plain, (
            f"plain random batches ({plain.real_fraction:.0%} real tokens): {best.batching} batches would save only "
            f"{saving:.0%} of the epoch here, not worth changing which rows meet in a batch"
        )
    others = ", ".join(
        f"{c.batching} {c.seconds / best.seconds:.2f}x" for c in candidates if c is not best
    )
    reason = (
        f"{best.batching} batches are modelled fastest for this model, device and data "
        f"({best.real_fraction:.0%} real tokens; relative epoch time of the others: {others})"
    )
    return best, reason


def cost_inputs(shape: Any, *, device: dict, attention: str, adapter: str, precision: str,
                gradient_checkpointing: bool = False) -> CostInputs:
    """Per-token, per-pair and per-batch costs from estimate.py's calibrated time model."""
    from tuneforge.training import estimate as est

    throughput = est._throughput(device, precision)
    lm_head = shape.vocab * shape.hidden
    linear = 2 * (shape.block_linear_params + lm_head)
    passes = 3.0 if adapter == "full" else 2.0
    if gradient_checkpointing:
        passes += 1.0
    per_pair = 2 * 2 * shape.layers * shape.heads * shape.head_dim * passes
    kind = device.get("type", "cpu")
    if kind == "cuda":
        layer_cost = est.GPU_LAYER_OVERHEAD_S
    else:
        layer_cost = est.CPU_LAYER_OVERHEAD_S * est.cpu_speed_ratio(device, "dispatch_seconds")
    return CostInputs(
        device=kind,
        attention=attention,
        per_token_s=linear * passes / throughput,
        attention_per_pair_s=per_pair / throughput,
        per_batch_s=shape.layers * layer_cost,
    )


# -- putting it together for a run -----------------------------------------------------------------


@dataclass
class BatchPlan:
    """What sft.py and cpt.py hand to the trainer, and what the job's events report."""

    train_dataset: list[dict]
    eval_dataset: list[dict] | None
    collator: PaddingFreeCollator
    sampler: LengthGroupedSampler | None
    rows_per_batch: int
    report: dict[str, Any]
    # With hyperparameters.batch_tokens: batches of varying rows up to a token budget.
    batch_sampler: TokenBudgetBatchSampler | None = None


def attention_implementation(model: Any) -> str:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(base, "config", None)
    return str(getattr(config, "_attn_implementation", None) or "sdpa")


def plan_batches(ctx: Any, train_examples: list[dict], eval_examples: list[dict] | None) -> BatchPlan:
    """Forms the datasets, collator and sampler for the batching the spec asks for (or `auto`
    chooses), with a report of the choice, its reason and the share of real tokens."""
    from tuneforge.training.spec import requested_batching

    spec = ctx.spec
    requested, note = requested_batching(spec)
    batch_size = spec.hyperparameters.batch_size
    budget = spec.hyperparameters.batch_tokens
    max_length = spec.data.max_length
    if budget:
        # Rows of average length that fill the budget: what the cost model compares, and the
        # held-out batches' rows (longest first, so budget // max_length of them always fit).
        lengths_all = [len(e["input_ids"]) for e in train_examples] or [max_length]
        batch_size = max(1, int(budget / (sum(lengths_all) / len(lengths_all))))
    attention = attention_implementation(ctx.model)
    flatten = ctx.device == "cuda" and attention.startswith("flash")
    collator = PaddingFreeCollator(ctx.tokenizer.pad_token_id, flatten=flatten)
    report: dict[str, Any] = {"requested": requested, "attention": attention}
    if note:
        report["note"] = note

    if budget:
        report["batch_tokens"] = budget
    if requested == "concatenate":
        rows = max(1, budget // max_length) if budget else batch_size
        train = concatenate(train_examples, max_length)
        evals = concatenate(eval_examples, max_length) if eval_examples else None
        report.update(batching="concatenate", reason="asked for: documents joined and cut into "
                      f"{max_length}-token blocks (attention crosses document boundaries)",
                      real_token_fraction=real_token_fraction([len(b["input_ids"]) for b in train],
                                                              batches_in_order(range(len(train)), rows)))
        return BatchPlan(train, evals, collator, None, rows, report)

    lengths = [len(e["input_ids"]) for e in train_examples]
    candidates: list[Candidate] = []
    try:
        from tuneforge.training.estimate import ModelShape

        base = ctx.model.get_base_model() if hasattr(ctx.model, "get_base_model") else ctx.model
        shape = ModelShape.from_config(base.config.to_dict())
        device = dict(ctx.extras.get("device_info") or {"type": ctx.device})
        device["type"] = ctx.device
        cost = cost_inputs(shape, device=device, attention=attention, adapter=spec.adapter,
                           precision=ctx.precision, gradient_checkpointing=spec.hyperparameters.gradient_checkpointing)
        candidates = epoch_candidates(lengths, batch_size=batch_size, max_length=max_length, seed=spec.seed, cost=cost)
    except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError) as exc:
        report["cost_model_error"] = str(exc)

    if budget:
        candidates = [c for c in candidates if c.batching != "plain"]  # a token budget batches by length
    by_name = {c.batching: c for c in candidates}
    if requested == "auto" and candidates:
        chosen, reason = choose_batching(candidates)
        batching = chosen.batching
    elif requested == "auto":
        batching, reason = "length_grouped", "the cost model could not read this model's shape; length-grouped batches pad least without a mask"
    else:
        batching, reason = requested, "asked for in the spec"
    report.update(batching=batching, reason=reason)
    if candidates:
        fastest = min(c.seconds for c in candidates)
        report["candidates"] = [
            {"batching": c.batching, "relative_time": round(c.seconds / fastest, 3),
             "real_token_fraction": round(c.real_fraction, 4), "rows_per_batch": c.rows_per_batch}
            for c in candidates
        ]

    sampler = None
    token_batches = None
    rows = batch_size
    if batching == "packed":
        train = pack_examples(train_examples, max_length)
        evals = pack_examples(eval_examples, max_length) if eval_examples else None
        if budget:
            rows = max(1, budget // max_length)
        else:
            rows = packed_rows_per_batch(batch_size, sum(lengths) / max(len(lengths), 1), max_length)
        report.update(blocks=len(train), block_tokens=max_length, flattened=flatten)
    else:
        train = list(train_examples)
        # The eval loss is averaged per token (TuneForgeTrainer), so its order is free: longest first.
        evals = sorted(eval_examples, key=lambda e: -len(e["input_ids"])) if eval_examples else None
        if budget:
            token_batches = TokenBudgetBatchSampler(lengths, budget, spec.seed)
            rows = max(1, budget // max_length)
            batches = token_batches.batches
            report.update(batches=len(batches), rows_per_batch_mean=round(len(lengths) / max(len(batches), 1), 2),
                          real_token_fraction=round(real_token_fraction(lengths, batches), 4))
        elif batching == "length_grouped":
            # Grouped by the global batch: on N devices each rank takes its slice of every group
            # (accelerate shards the batches), so the steps see the rows one device would.
            sampler = LengthGroupedSampler(lengths, batch_size * ctx.extras.get("world_size", 1), spec.seed)
    report["rows_per_batch"] = rows
    if batching in by_name and "real_token_fraction" not in report:
        report["real_token_fraction"] = round(by_name[batching].real_fraction, 4)
    return BatchPlan(train, evals, collator, sampler, rows, report, token_batches)



# -- length-grouped batches for the methods that batch inside trl's trainers -----------------------


def sequence_length(row: dict) -> int:
    """The longest sequence a tokenised preference/RL row puts into its batch: trl's DPO and KTO
    keep the prompt apart (prompt_ids + the longest completion), the reward, ORPO and CPO trainers
    store whole sequences (chosen/rejected input ids). Padding follows the longest of these."""
    ids = {k: v for k, v in row.items() if k.endswith("_ids") and isinstance(v, (list, tuple))}
    prompt = len(ids.pop("prompt_ids", ()))
    ids = {k: v for k, v in ids.items() if not k.startswith(("KL_", "prompt_")) and "label" not in k}
    return prompt + max((len(v) for v in ids.values()), default=0)


def dataset_lengths(dataset: Any) -> list[int] | None:
    """`sequence_length` of every row, or None when the dataset has no length or no token ids."""
    if dataset is None or not hasattr(dataset, "__len__") or not len(dataset):
        return None
    lengths = [sequence_length(row) for row in dataset]
    return lengths if any(lengths) else None


class LongestFirstSampler:
    """Held-out rows longest first (deterministic; the trainers average eval losses per example,
    so the order changes only the padding)."""

    def __init__(self, lengths: Sequence[int]) -> None:
        self.order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self) -> Iterator[int]:
        return iter(self.order)


def length_grouped_trainer(trainer_class: type) -> type:
    """`trainer_class` with seeded length-grouped training batches and longest-first evaluation
    batches (dpo, orpo, kto, simpo/cpo, reward: one example per row, so packing does not apply).
    The data loader cuts the order into per-device batches, which then hold rows of similar length."""

    class LengthGrouped(trainer_class):  # type: ignore[misc, valid-type]
        length_grouped = True

        def _get_train_sampler(self, train_dataset=None):
            lengths = dataset_lengths(train_dataset if train_dataset is not None else self.train_dataset)
            if lengths is None:
                return super()._get_train_sampler(train_dataset)
            return LengthGroupedSampler(lengths, self.args.per_device_train_batch_size * self.args.world_size, self.args.seed)

        def _get_eval_sampler(self, eval_dataset):
            lengths = dataset_lengths(eval_dataset)
            if lengths is None:
                return super()._get_eval_sampler(eval_dataset)
            return LongestFirstSampler(lengths)

    LengthGrouped.__name__ = LengthGrouped.__qualname__ = f"LengthGrouped{trainer_class.__name__}"
    return LengthGrouped


def grouped_trainer_class(trainer_class: type, spec: Any) -> type:
    """The trainer class a preference method should build: length-grouped unless the spec asks
    for plain (random) batches."""
    from tuneforge.training.spec import requested_batching

    batching, _ = requested_batching(spec)
    return trainer_class if batching == "plain" else length_grouped_trainer(trainer_class)


def report_row_batching(ctx: Any, trainer: Any) -> None:
    """The job's `batching` event for a method that batches one example per row inside a trl
    trainer: which batching, why, and the share of real tokens, next to random batches'."""
    lengths = dataset_lengths(getattr(trainer, "train_dataset", None))
    grouped = bool(getattr(trainer, "length_grouped", False))
    batch_size = trainer.args.per_device_train_batch_size
    seed = trainer.args.seed
    report: dict[str, Any] = {"requested": ctx.spec.data.batching, "rows_per_batch": batch_size}
    if grouped:
        report.update(batching="length_grouped", reason=(
            f"{ctx.spec.method} trains on whole examples, one per row (no packing): rows of similar length "
            "are batched together, in a seeded order"))
    else:
        report.update(batching="plain", reason="asked for in the spec: random batches padded to their longest row")
    if lengths:
        plain = batches_in_order(random.Random(seed).sample(range(len(lengths)), len(lengths)), batch_size)
        report["plain_real_token_fraction"] = round(real_token_fraction(lengths, plain), 4)
        if grouped:
            order = length_grouped_order(lengths, batch_size, seed)
            report["real_token_fraction"] = round(real_token_fraction(lengths, batches_in_order(order, batch_size)), 4)
        else:
            report["real_token_fraction"] = report["plain_real_token_fraction"]
    ctx.extras["batching"] = report

__all__ = [
    "BATCHINGS",
    "BatchPlan",
    "plan_batches",
    "Candidate",
    "CostInputs",
    "LengthGroupedSampler",
    "PaddingFreeCollator",
    "best_fit_decreasing",
    "dataset_lengths",
    "grouped_trainer_class",
    "length_grouped_trainer",
    "report_row_batching",
    "sequence_length",
    "choose_batching",
    "concatenate",
    "cost_inputs",
    "epoch_candidates",
    "length_grouped_order",
    "pack_examples",
    "real_token_fraction",
    "token_budget_batches",
    "TokenBudgetBatchSampler",
]
