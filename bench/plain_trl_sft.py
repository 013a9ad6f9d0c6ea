"""A plain trl SFT+LoRA script: the baseline TuneForge is compared with.

Written the way a user would write it against trl 1.16 without TuneForge: load the model, render
each chat row with the tokenizer's chat template, mask everything but the assistant answer (and
the token that ends it) in the labels, wrap in LoRA, hand the pre-tokenised rows to `SFTTrainer`. It imports
nothing from tuneforge, so it is an independent check of the per-step losses.

Settings come from a JSON file written by training_speed.py or variable_length.py (the same
numbers TuneForge's spec gets); every logged step is appended to `steps_file` as {"step", "time",
"loss"}. variable_length.py also sets `epochs` (instead of max_steps), trl's own `packing` strategy
and `padding_free`, `eval_data` (the held-out loss per token, computed one row at a time as
TuneForge reports it) and `results_file` (train runtime and that loss, as JSON).

    python bench/plain_trl_sft.py settings.json
"""

from __future__ import annotations

import json
import random
import sys
import time


def tokenize(tokenizer, messages: list[dict], max_length: int) -> dict:
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    answer_end = len(full.rstrip())  # the answer and its end-of-turn token, not the newline after
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = encoded["input_ids"]
    # trl 1.16's collator takes a `labels` column as it is (it ignores a `completion_mask` column
    # on pre-tokenised data), so the mask goes straight into the labels.
    labels = [i if len(prompt) <= start < answer_end and end > start else -100
              for i, (start, end) in zip(ids, encoded["offset_mapping"])]
    return {"input_ids": ids[:max_length], "labels": labels[:max_length]}


def main() -> None:
    settings = json.loads(open(sys.argv[1]).read())
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback, set_seed
    from trl import SFTConfig, SFTTrainer

    if settings.get("threads"):
        torch.set_num_threads(settings["threads"])
    rows = [json.loads(line) for line in open(settings["data"]) if line.strip()]
    random.Random(settings["seed"]).shuffle(rows)  # the same row order TuneForge's loader uses

    tokenizer = AutoTokenizer.from_pretrained(settings["model"])
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset = Dataset.from_list([tokenize(tokenizer, r["messages"], settings["max_length"]) for r in rows])

    set_seed(settings["seed"])
    model = AutoModelForCausalLM.from_pretrained(settings["model"], dtype=torch.float32)
    model.config.pad_token_id = tokenizer.pad_token_id
    targets = sorted(
        {name.rsplit(".", 1)[-1] for name, m in model.named_modules()
         if isinstance(m, torch.nn.Linear) and "lm_head" not in name}
    )
    model = get_peft_model(
        model,
        LoraConfig(
            r=settings["lora_rank"], lora_alpha=settings["lora_alpha"], lora_dropout=settings["lora_dropout"],
            target_modules=targets, task_type="CAUSAL_LM",
        ),
    )

    steps_file = open(settings["steps_file"], "a", buffering=1)

    class StepLog(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                steps_file.write(json.dumps({"step": state.global_step, "time": time.time(),
                                             "cpu": time.process_time(), "loss": logs["loss"]}) + "\n")

    config = SFTConfig(
        output_dir=settings["output_dir"],
        per_device_train_batch_size=settings["batch_size"],
        gradient_accumulation_steps=settings["gradient_accumulation"],
        learning_rate=settings["learning_rate"],
        lr_scheduler_type=settings["scheduler"],
        warmup_steps=0,
        max_steps=settings.get("max_steps") or -1,
        num_train_epochs=settings.get("epochs", 1),
        packing=bool(settings.get("packing")),
        packing_strategy=settings.get("packing") or "bfd",
        padding_free=bool(settings.get("padding_free")),
        weight_decay=0.0,
        max_grad_norm=1.0,
        optim="adamw_torch",
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        bf16=False,  # trl defaults to bf16, which fails on CPU
        fp16=False,
        use_cpu=True,
        seed=settings["seed"],
        data_seed=settings["seed"],
        max_length=settings["max_length"],
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer,
                         callbacks=[StepLog()])
    output = trainer.train()
    if settings.get("results_file"):
        results = {"train_runtime": output.metrics.get("train_runtime")}
        if settings.get("eval_data"):
            results["eval_loss"] = eval_loss(model, tokenizer, settings)
        open(settings["results_file"], "w").write(json.dumps(results))


def eval_loss(model, tokenizer, settings) -> float:
    """Cross-entropy per trained token over the held-out rows, one row at a time (no padding)."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for line in open(settings["eval_data"]):
            if not line.strip():
                continue
            example = tokenize(tokenizer, json.loads(line)["messages"], settings["max_length"])
            labels = torch.tensor([example["labels"]])
            if (labels[:, 1:] != -100).sum() == 0:
                continue
            logits = model(input_ids=torch.tensor([example["input_ids"]])).logits.float()
            loss = torch.nn.functional.cross_entropy(logits[0, :-1], labels[0, 1:], ignore_index=-100, reduction="sum")
            total += float(loss)
            count += int((labels[:, 1:] != -100).sum())
    return total / count


if __name__ == "__main__":
    main()
