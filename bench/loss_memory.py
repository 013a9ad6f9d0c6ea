"""Where one SFT+LoRA step's memory goes (issue #13, "Memory"): the model's own loss against the
chunked loss at several chunk sizes, with and without gradient checkpointing.

Each variant runs one forward and backward pass of SmolLM2-135M-Instruct (LoRA r16 on every linear
layer of the blocks, as variable_length.py trains it) on a batch of 4 rows of 480-512 tokens, a third
of each row's tokens untrained, in a fresh child process, one torch thread; reported: the child's
peak RSS (ru_maxrss, which sees torch's CPU allocator, unlike tracemalloc), its growth over the RSS
before the step, and the loss (the same for every variant).

    .venv/bin/python bench/loss_memory.py
    .venv/bin/python bench/loss_memory.py --variants hf-mask chunk-128 gc-chunk-128

Variants: `hf-mask` (the model's loss with an attention mask: what plain trl computes), `hf-nomask`,
`chunk-N` (chunked_loss.loss_sum with N positions per chunk; `chunk-auto`: the model's own size),
any of them prefixed `gc-` with gradient checkpointing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VARIANTS = ("hf-mask", "hf-nomask", "chunk-2048", "chunk-auto", "gc-hf-mask", "gc-chunk-auto")


def step(variant: str, model_name: str) -> dict:
    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, str(REPO / "backend"))
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from tuneforge.training.chunked_loss import loss_sum, model_chunk_positions
    from tuneforge.training.loading import default_cache_dir, resolve_base_model

    path = resolve_base_model(model_name, default_cache_dir())
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    targets = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules()
                      if isinstance(m, torch.nn.Linear) and "lm_head" not in n})
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=targets,
                                             task_type="CAUSAL_LM"))
    kind = variant.removeprefix("gc-")
    if variant.startswith("gc-"):
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.train()
    vocab = model.get_base_model().config.vocab_size
    ids = torch.randint(0, vocab, (4, 512), generator=torch.Generator().manual_seed(0))
    labels, mask = ids.clone(), torch.zeros(4, 512, dtype=torch.long)
    for row, length in enumerate((512, 500, 490, 480)):
        mask[row, :length] = 1
        labels[row, length:] = -100
        labels[row, : length // 3] = -100  # the prompt
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if kind == "hf-mask":
        loss = model(input_ids=ids, attention_mask=mask, labels=labels, use_cache=False).loss
    elif kind == "hf-nomask":
        loss = model(input_ids=ids, labels=labels, use_cache=False).loss
    else:
        size = kind.removeprefix("chunk-")
        chunk = model_chunk_positions(model) if size == "auto" else int(size)
        total, count = loss_sum(model, {"input_ids": ids, "labels": labels}, chunk=chunk)
        loss = total / count
    loss.backward()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": variant, "loss": round(float(loss.detach()), 5), "peak_mib": round(peak),
            "step_growth_mib": round(peak - before)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--model", default="SmolLM2-135M-Instruct")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(step(args.child, args.model)), flush=True)
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for variant in args.variants:
        out = subprocess.run([sys.executable, __file__, "--model", args.model, "--child", variant], env=env,
                             capture_output=True, text=True)
        lines = [x for x in out.stdout.splitlines() if x.startswith("{")]
        print(lines[-1] if lines else f"{variant}: failed: {out.stderr[-1500:]}", flush=True)


if __name__ == "__main__":
    main()
