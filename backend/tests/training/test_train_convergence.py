"""Convergence on a small synthetic task: three words of one kind -> 'fruit' or 'animal'.

Exact match on held-out prompts (word combinations never seen in training) goes from 0 for the
untrained model to >= 0.9 after a short SFT run, and the run's own evaluation report (held-out
split, generation metrics, base-vs-fine-tuned) is written next to the weights.
"""

from __future__ import annotations

import json

from conftest import ANIMALS, FRUITS, train, write_jsonl


def _split(n_held_out: int = 20):
    """All 91 three-word prompts; 20 held out, the rest (repeated) to train on."""
    import itertools
    import random

    prompts = [(" ".join(c), "fruit") for c in itertools.product(FRUITS, repeat=3)]
    prompts += [(" ".join(c), "animal") for c in itertools.product(ANIMALS, repeat=3)]
    random.Random(5).shuffle(prompts)
    held, train_rows = prompts[:n_held_out], prompts[n_held_out:] * 3
    return train_rows, held


def exact_match(model_dir, pairs) -> float:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    hits = 0
    for prompt, answer in pairs:
        inputs = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=4, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        text = tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        hits += text.strip() == answer
    return hits / len(pairs)


def test_sft_converges_on_held_out_prompts(make_spec, model_cache, tmp_path):
    train_rows, held = _split()
    data = write_jsonl(
        tmp_path / "train.jsonl",
        [{"messages": [{"role": "user", "content": p}, {"role": "assistant", "content": a}]} for p, a in train_rows],
    )
    held_file = write_jsonl(tmp_path / "held.jsonl", [{"prompt": p, "completion": a} for p, a in held])

    assert exact_match(model_cache / "tiny-llama", held) <= 0.1

    spec = make_spec(
        "sft",
        "full",
        data={"sources": [{"path": str(data)}], "validation_path": str(held_file), "max_length": 32},
        hyperparameters={"max_steps": 40, "batch_size": 16, "learning_rate": 5e-3, "scheduler": "constant",
                         "logging_steps": 5, "eval_steps": 20},
        eval={"enabled": True, "generation_samples": 4, "max_new_tokens": 4, "compare_base": True},
    )
    result, sink = train(spec)
    assert result.status == "finished", result.error
    assert exact_match(result.output_dir, held) >= 0.9

    # Periodic and final held-out loss/perplexity were reported and fell.
    evals = sink.of_type("eval")
    losses = [e["eval_loss"] for e in evals if "eval_loss" in e]
    assert len(losses) >= 2 and losses[-1] < losses[0]
    assert result.metrics["perplexity"] < 2.0

    report = json.loads((result.output_dir / "evaluation.json").read_text())
    summary = report["summary"]
    assert summary["fine_tuned"]["exact_match"] >= 0.75  # 4 generated held-out answers
    assert summary["base"]["exact_match"] <= 0.25
    assert summary["eval_loss"] < summary["base_eval_loss"]
    final_eval = [e for e in evals if e.get("final")]
    assert final_eval and final_eval[-1]["step"] == 40
    assert (result.output_dir / "README.md").read_text().strip()
