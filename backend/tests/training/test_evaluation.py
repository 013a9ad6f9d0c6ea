"""Evaluation after a real (tiny) training run: the report shows the fine-tuned model beating its
base on held-out prompts, in loss and in answers, and its numbers agree with its own samples."""

from __future__ import annotations

import json
import math

import pytest

from tuneforge.training import evaluation, metrics


def test_prompt_and_reference_from_canonical_rows():
    chat = {
        "messages": [
            {"role": "system", "content": "Sort."},
            {"role": "user", "content": "apple"},
            {"role": "assistant", "content": "fruit"},
            {"role": "user", "content": "cat"},
            {"role": "assistant", "content": "animal"},
        ]
    }
    prompt, reference = evaluation.prompt_and_reference(chat)
    assert [m["content"] for m in prompt] == ["Sort.", "apple", "fruit", "cat"]
    assert reference == "animal"
    assert evaluation.prompt_and_reference({"prompt": "cat", "completion": "animal"}) == (
        [{"role": "user", "content": "cat"}],
        "animal",
    )
    assert evaluation.prompt_and_reference({"prompt": "cat", "chosen": "animal", "rejected": "fruit"})[1] == "animal"
    assert evaluation.prompt_and_reference({"prompt": "cat", "completion": "fruit", "label": False}) is None
    assert evaluation.prompt_and_reference({"messages": [{"role": "user", "content": "hi"}]}) is None
    assert evaluation.prompt_and_reference({"text": "plain"}) is None


@pytest.fixture(scope="module")
def trained_run(model_cache, data_dir, tmp_path_factory):
    from tuneforge.training import runner
    from tuneforge.training.event_stream import EventSink
    from tuneforge.training.spec import TrainingSpec

    out = tmp_path_factory.mktemp("eval-run")
    spec = TrainingSpec.model_validate(
        {
            "base_model": "tiny-llama",
            "model_cache_dir": str(model_cache),
            # Default batching on purpose: the two categories' rows differ in length by a token, so length-grouped
            # batches would each hold one category and 40 steps end on one of them (the tuned model then answers
            # "fruit" to everything: exact match 0.375). Grouping saves nothing on rows this even, so `auto` must
            # keep plain random batches here (batching.MIN_SPEEDUP).
            "data": {"sources": [{"path": str(data_dir / "chat.jsonl")}], "max_length": 64, "validation_split": 0.1},
            "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
            "hyperparameters": {"max_steps": 40, "batch_size": 8, "learning_rate": 1e-2},
            "eval": {"enabled": True, "generation_samples": 8, "max_new_tokens": 4, "compare_base": True},
            "output_dir": str(out),
        }
    )
    sink = EventSink()
    result = runner.run(spec, sink=sink)
    assert result.status == "finished", result.error
    return spec, out, sink, result


def test_run_evaluation_compares_fine_tuned_with_base(trained_run):
    spec, out, sink, result = trained_run
    report = json.loads((out / "evaluation.json").read_text())
    summary = report["summary"]

    # 12 held-out rows (10% of 120); generation capped by eval.generation_samples.
    assert report["rows"] == 12
    assert summary["generation_samples"] == 8 == len(report["samples"])
    # Training on "three words -> fruit/animal" lowers the held-out loss below the base's.
    assert summary["eval_loss"] < summary["base_eval_loss"] - 1.0
    assert summary["perplexity"] == pytest.approx(math.exp(summary["eval_loss"]))
    # ... and the answers: the random-weight base never says the category, the tuned model mostly does.
    assert summary["base"]["exact_match"] == 0.0
    assert summary["fine_tuned"]["exact_match"] >= 0.75
    assert summary["improvement"]["exact_match"] == pytest.approx(
        summary["fine_tuned"]["exact_match"] - summary["base"]["exact_match"]
    )

    # The summary is computed from the samples it shows.
    samples = report["samples"]
    assert all(s["reference"] in ("fruit", "animal") for s in samples)
    assert summary["fine_tuned"] == pytest.approx(
        metrics.score_predictions([s["fine_tuned"] for s in samples], [s["reference"] for s in samples])
    )
    assert summary["base"]["token_f1"] == pytest.approx(
        sum(metrics.token_f1(s["base"], s["reference"]) for s in samples) / len(samples)
    )
    assert {"rouge1", "rouge2", "rougeL", "bleu", "exact_match", "token_f1"} <= set(samples[0]["scores"]["base"])

    # One final eval event carries the same numbers; the run's metrics point at it too.
    finals = [e for e in sink.events if e["type"] == "eval" and e.get("final")]
    assert len(finals) == 1
    assert finals[0]["eval_loss"] == pytest.approx(summary["eval_loss"])
    assert finals[0]["fine_tuned"]["exact_match"] == summary["fine_tuned"]["exact_match"]
    assert result.metrics["evaluation"]["fine_tuned"]["exact_match"] == summary["fine_tuned"]["exact_match"]


def test_evaluate_model_on_a_saved_adapter(trained_run, model_cache, data_dir):
    _, out, _, _ = trained_run
    rows = [json.loads(line) for line in (data_dir / "pc.jsonl").read_text().splitlines()[:6]]
    events = []
    report = evaluation.evaluate_model(
        model_cache / "tiny-llama",
        out,
        rows,
        generation_samples=4,
        max_new_tokens=4,
        emit=lambda type, **fields: events.append({"type": type, **fields}),
    )
    summary = report["summary"]
    assert summary["generation_samples"] == 4
    assert summary["loss_examples"] == 6  # prompt/completion rows are scored like chat rows
    assert summary["eval_loss"] < summary["base_eval_loss"]
    assert summary["fine_tuned"]["exact_match"] > summary["base"]["exact_match"]
    assert events and events[0]["type"] == "eval"

    # Without an adapter there is nothing to compare with; the model is the base itself.
    plain = evaluation.evaluate_model(model_cache / "tiny-llama", None, rows, generation_samples=2, max_new_tokens=2)
    assert "base" not in plain["summary"]
    assert plain["summary"]["eval_loss"] == pytest.approx(summary["base_eval_loss"], rel=1e-5)


def test_answers_and_loss_do_not_depend_on_how_rows_are_batched(model_cache):
    """Held-out rows and prompts are batched longest first (little padding): the answers still come
    back in the prompts' order, and the loss per token is the same in batches of 1 or 4."""
    import torch
    from transformers import AutoModelForCausalLM

    from tuneforge.training.data import tokenize_sft
    from tuneforge.training.loading import load_tokenizer, resolve_base_model

    path = resolve_base_model("tiny-llama", model_cache)
    tokenizer, _, _ = load_tokenizer(path)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    words = ["apple", "pear", "cat", "dog", "red", "blue"]
    prompts = [[{"role": "user", "content": " ".join(words[(i + j) % 6] for j in range(n))}] for i, n in
               enumerate((2, 30, 5, 17, 1, 40, 9))]
    alone = [evaluation.generate_answers(model, tokenizer, [p], max_new_tokens=4, batch_size=1)[0] for p in prompts]
    batched = evaluation.generate_answers(model, tokenizer, prompts, max_new_tokens=4, batch_size=3)
    assert batched == alone
    rows = [{"messages": p + [{"role": "assistant", "content": "fruit"}]} for p in prompts]
    examples = tokenize_sft(tokenizer, rows, max_length=64, loss_on="assistant", packing=False)
    one = evaluation.eval_loss(model, tokenizer, examples, 1)
    assert evaluation.eval_loss(model, tokenizer, examples, 4) == pytest.approx(one, abs=1e-5)
