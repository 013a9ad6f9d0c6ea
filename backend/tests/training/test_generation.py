"""The playground's generation engine on real models (CPU): greedy answers equal transformers'
`generate(do_sample=False)`, adapters share their base, stop strings / cancel / length, the context
limit, eviction and broken model folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import category_rows, train, write_jsonl

from tuneforge.training.generation import (
    GenerationParams,
    ModelCache,
    ModelFilesBroken,
    PromptTooLong,
    generate,
    render_prompt,
)
from tuneforge.training.loading import default_cache_dir, resolve_base_model

PROMPTS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [
        {"role": "user", "content": "Name a fruit."},
        {"role": "assistant", "content": "An apple."},
        {"role": "user", "content": "And an animal that says moo?"},
    ],
]
BIG = 10**12


def reference(model, tokenizer, rendered: str, eos: list[int], max_new_tokens: int) -> list[int]:
    """transformers' own greedy answer, token ids only."""
    import torch

    encoded = tokenizer(rendered, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(
            **encoded, do_sample=False, max_new_tokens=max_new_tokens, eos_token_id=eos,
            pad_token_id=tokenizer.pad_token_id,
        )
    return out[0, encoded["input_ids"].shape[1] :].tolist()


@pytest.fixture(scope="module")
def tiny(model_cache) -> Path:
    return resolve_base_model("tiny-llama", model_cache).resolve()


@pytest.fixture(scope="module")
def smol() -> Path:
    # The persistent cache: SmolLM2 is converted from its GGUF once per machine (~25 s), not per session.
    return resolve_base_model("SmolLM2-135M-Instruct", default_cache_dir()).resolve()


@pytest.fixture(scope="module")
def cache(model_cache) -> ModelCache:
    return ModelCache(max_bytes=BIG, model_cache_dir=model_cache, device="cpu")


@pytest.fixture(scope="module")
def adapters(tiny, model_cache, tmp_path_factory) -> tuple[Path, Path]:
    """Two LoRA outputs of tiny-llama: a real (short) training run, and one built with peft."""
    from peft import LoraConfig, get_peft_model
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tuneforge.training.spec import TrainingSpec

    root = tmp_path_factory.mktemp("adapters")
    rows = category_rows(40, seed=1)
    data = write_jsonl(
        root / "chat.jsonl",
        [{"messages": [{"role": "user", "content": p}, {"role": "assistant", "content": a}]} for p, a, _ in rows],
    )
    spec = TrainingSpec.model_validate({
        "method": "sft", "adapter": "lora", "base_model": "tiny-llama", "model_cache_dir": str(model_cache),
        "data": {"sources": [{"path": str(data)}], "max_length": 64, "validation_split": 0.1},
        "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
        "hyperparameters": {"max_steps": 4, "batch_size": 8, "learning_rate": 5e-2, "logging_steps": 1},
        "eval": {"enabled": False}, "output_dir": str(root / "run"),
    })
    train(spec)
    first = root / "run"
    assert (first / "adapter_config.json").exists()

    torch.manual_seed(7)
    base = AutoModelForCausalLM.from_pretrained(tiny)
    second = root / "built"
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                                                 init_lora_weights=False, task_type="CAUSAL_LM"))
    peft_model.save_pretrained(second)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(second)
    return first, second


# -- 1. greedy equals transformers, streaming joins to the text -----------------------------------------


@pytest.mark.parametrize("which", ["tiny", "smol"])
def test_greedy_equals_transformers_generate(which, request, cache):
    folder = request.getfixturevalue(which)
    loaded = cache.acquire(folder)
    new_tokens = 32 if which == "tiny" else 24
    for messages in PROMPTS:
        pieces: list[str] = []
        result = generate(loaded, messages, GenerationParams(max_new_tokens=new_tokens), on_text=pieces.append)
        expected = reference(loaded.model, loaded.tokenizer, result.rendered_prompt, loaded.eos_token_ids, new_tokens)
        assert result.token_ids == expected
        assert "".join(pieces) == result.text
        assert result.text == loaded.tokenizer.decode(result.token_ids, skip_special_tokens=True)
        assert result.new_tokens == len(result.token_ids)
        assert result.prompt_tokens == len(loaded.tokenizer(result.rendered_prompt, add_special_tokens=False)["input_ids"])
        assert result.finish_reason in ("stop", "length")
        if result.finish_reason == "length":
            assert result.new_tokens == new_tokens
        else:
            assert result.token_ids[-1] in loaded.eos_token_ids
        # 6. timings
        assert result.first_token_s > 0 and result.tokens_per_s > 0
    if which == "smol":
        # SmolLM2 answers in words and ends its turn with <|im_end|> (the tokenizer's end of turn).
        result = generate(loaded, PROMPTS[0], GenerationParams(max_new_tokens=24))
        assert result.finish_reason == "stop" and "Paris" in result.text
        assert loaded.tokenizer.convert_tokens_to_ids("<|im_end|>") in loaded.eos_token_ids


def test_system_prompt_and_sampling(cache, tiny):
    loaded = cache.acquire(tiny)
    rendered = render_prompt(loaded.tokenizer, PROMPTS[0], GenerationParams(system="Be brief."))
    assert rendered.startswith("<|im_start|>system\nBe brief.<|im_end|>") and rendered.endswith("<|im_start|>assistant\n")
    own = [{"role": "system", "content": "Mine."}, *PROMPTS[0]]
    assert "Be brief." not in render_prompt(loaded.tokenizer, own, GenerationParams(system="Be brief."))
    sampled = GenerationParams(temperature=1.0, top_p=0.9, max_new_tokens=16, seed=5)
    a, b = generate(loaded, PROMPTS[0], sampled), generate(loaded, PROMPTS[0], sampled)
    assert a.token_ids == b.token_ids  # same seed, same answer
    with pytest.raises(ValueError):
        generate(loaded, PROMPTS[0], GenerationParams(top_p=0))


# -- 2. adapters share their base ---------------------------------------------------------------------------


def test_adapters_share_one_base(adapters, tiny, model_cache):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    first, second = adapters
    cache = ModelCache(max_bytes=BIG, model_cache_dir=model_cache, device="cpu")
    params = GenerationParams(max_new_tokens=24)
    one = cache.acquire(first)
    assert one.cold and one.load_s > 0
    answer_one = generate(one, PROMPTS[0], params)
    two = cache.acquire(second)
    answer_two = generate(two, PROMPTS[0], params)
    base = cache.acquire(first, use_adapter=False)
    answer_base = generate(base, PROMPTS[0], params)
    again = cache.acquire(first)
    assert not again.cold and again.load_s == 0
    assert generate(again, PROMPTS[0], params).token_ids == answer_one.token_ids  # switching back is exact
    assert cache.stats["base_loads"] == 1 and cache.stats["adapter_loads"] == 2
    assert cache.stats["hits"] == 2 and cache.stats["evictions"] == 0
    assert cache.loaded() == [str(tiny), str(second), str(first)]  # least recently used first
    assert answer_base.cold is False and base.key == str(tiny)

    rendered = answer_one.rendered_prompt
    eos = one.eos_token_ids
    for folder, answer in ((first, answer_one), (second, answer_two)):
        model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny), folder).eval()
        assert answer.token_ids == reference(model, one.tokenizer, rendered, eos, 24)
    plain = AutoModelForCausalLM.from_pretrained(tiny).eval()
    assert answer_base.token_ids == reference(plain, one.tokenizer, rendered, eos, 24)
    # The adapters change the answers (the comparisons above are not vacuous).
    assert len({tuple(answer_one.token_ids), tuple(answer_two.token_ids), tuple(answer_base.token_ids)}) == 3


# -- 3. stop strings, cancel, length ------------------------------------------------------------------------


def test_stop_strings_cut_the_answer(cache, smol):
    loaded = cache.acquire(smol)
    full = generate(loaded, PROMPTS[0], GenerationParams(max_new_tokens=24)).text
    assert "Paris" in full
    pieces: list[str] = []
    # "Parrot" shares its start with "Paris": the held-back "Par" is released as the text goes on.
    result = generate(loaded, PROMPTS[0], GenerationParams(max_new_tokens=24, stop=("Parrot", "is Paris")), on_text=pieces.append)
    assert result.finish_reason == "stop_string"
    assert result.text == full[: full.index("is Paris")]
    assert "".join(pieces) == result.text  # nothing past the cut was ever streamed
    assert result.new_tokens < 24


def test_stop_string_inside_tokens_and_across_them(cache, tiny):
    loaded = cache.acquire(tiny)
    full = generate(loaded, PROMPTS[1], GenerationParams(max_new_tokens=32))
    text = full.text
    start = next(i for i in range(4, len(text) - 6) if "\ufffd" not in text[i : i + 5] and text.find(text[i : i + 5]) == i)
    stop = text[start : start + 5]
    pieces: list[str] = []
    result = generate(loaded, PROMPTS[1], GenerationParams(max_new_tokens=32, stop=(stop,)), on_text=pieces.append)
    assert result.finish_reason == "stop_string"
    assert result.text == text[:start] == "".join(pieces)
    assert result.token_ids == full.token_ids[: len(result.token_ids)]


def test_cancel_and_length(cache, tiny):
    loaded = cache.acquire(tiny)
    polls = []

    def should_stop() -> bool:
        polls.append(1)
        return len(polls) > 3  # the first poll is before generating

    result = generate(loaded, PROMPTS[0], GenerationParams(max_new_tokens=32), should_stop=should_stop)
    assert result.finish_reason == "cancelled" and result.new_tokens == 3
    assert generate(loaded, PROMPTS[0], GenerationParams(max_new_tokens=32), should_stop=lambda: True).new_tokens == 0
    result = generate(loaded, PROMPTS[0], GenerationParams(max_new_tokens=5))
    assert result.finish_reason == "length" and result.new_tokens == 5


# -- 4. the context limit ----------------------------------------------------------------------------------


def test_prompt_too_long(cache, tiny):
    loaded = cache.acquire(tiny)
    prompt_tokens = generate(loaded, PROMPTS[1], GenerationParams(max_new_tokens=1)).prompt_tokens
    with pytest.raises(PromptTooLong) as caught:
        generate(loaded, PROMPTS[1], GenerationParams(), context_limit=prompt_tokens)
    assert caught.value.prompt_tokens == prompt_tokens and caught.value.limit == prompt_tokens
    assert str(caught.value) == (
        f"The conversation is {prompt_tokens:,} tokens; this model reads at most {prompt_tokens:,}. "
        "Shorten it or start a new chat."
    )
    long = [{"role": "user", "content": "apple pear " * 1200}]
    with pytest.raises(PromptTooLong, match=r"this model reads at most 2,048\."):  # max_position_embeddings
        generate(loaded, long, GenerationParams())
    # Room for three tokens: the answer is clamped to them.
    result = generate(loaded, PROMPTS[1], GenerationParams(max_new_tokens=32), context_limit=prompt_tokens + 3)
    assert result.new_tokens == 3 and result.finish_reason == "length"


# -- 5. eviction and broken folders ------------------------------------------------------------------------


def test_eviction_least_recently_used(tiny, adapters, model_cache, tmp_path):
    copy = shutil.copytree(tiny, tmp_path / "copy")
    cache = ModelCache(max_bytes=1, model_cache_dir=model_cache, device="cpu")  # room for one model only
    cache.acquire(tiny)
    assert cache.loaded() == [str(tiny)]
    loaded = cache.acquire(copy)
    assert cache.loaded() == [str(copy)] and cache.stats["evictions"] == 1
    assert generate(loaded, PROMPTS[0], GenerationParams(max_new_tokens=4)).new_tokens == 4  # the requested one stays

    # Adapters of the one base: the other adapter goes, the base stays.
    first, second = adapters
    one = cache.acquire(first)
    two = cache.acquire(second)
    assert cache.loaded() == [str(tiny), str(second)]
    assert cache.stats["base_loads"] == 3 and cache.stats["evictions"] == 3
    # A handle whose adapter was evicted attaches it again when used.
    assert generate(one, PROMPTS[0], GenerationParams(max_new_tokens=4)).cold
    assert cache.loaded() == [str(tiny), str(first)] and cache.stats["adapter_loads"] == 3
    assert generate(two, PROMPTS[0], GenerationParams(max_new_tokens=4)).new_tokens == 4

    # Roomy enough for both bases: nothing evicted.
    roomy = ModelCache(max_bytes=3 * cache.loaded_bytes(), model_cache_dir=model_cache, device="cpu")
    roomy.acquire(tiny), roomy.acquire(copy), roomy.acquire(tiny)
    assert roomy.loaded() == [str(copy), str(tiny)] and roomy.stats["evictions"] == 0


def test_broken_model_folders(tiny, adapters, model_cache, tmp_path):
    cache = ModelCache(max_bytes=BIG, model_cache_dir=model_cache, device="cpu")

    truncated = shutil.copytree(tiny, tmp_path / "truncated")
    weights = truncated / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ModelFilesBroken, match=r"model\.safetensors is incomplete") as caught:
        cache.acquire(truncated)
    assert str(tmp_path) not in str(caught.value) and caught.value.path == str(weights)

    no_weights = shutil.copytree(tiny, tmp_path / "no-weights")
    (no_weights / "model.safetensors").unlink()
    with pytest.raises(ModelFilesBroken, match="missing its weights"):
        cache.acquire(no_weights)

    no_tokenizer = shutil.copytree(tiny, tmp_path / "no-tokenizer")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (no_tokenizer / name).unlink()
    with pytest.raises(ModelFilesBroken, match="tokenizer"):
        cache.acquire(no_tokenizer)

    with pytest.raises(ModelFilesBroken, match="folder is missing"):
        cache.acquire(tmp_path / "never-written")

    adapter = shutil.copytree(adapters[1], tmp_path / "adapter")
    (adapter / "adapter_model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    with pytest.raises(ModelFilesBroken, match="adapter_model.safetensors"):
        cache.acquire(adapter)
    (adapter / "adapter_model.safetensors").unlink()
    with pytest.raises(ModelFilesBroken, match="missing its weights"):
        cache.acquire(adapter)

    # A full-weights folder knows its base only from its spec.json.
    with pytest.raises(ModelFilesBroken, match="base model is unknown"):
        cache.acquire(tiny, use_adapter=False)
    full = shutil.copytree(tiny, tmp_path / "full")
    (full / "spec.json").write_text('{"base_model": "tiny-llama"}')
    base = cache.acquire(full, use_adapter=False)
    assert base.key == str(tiny) and cache.stats["base_loads"] == 1 and cache.loaded() == [str(tiny)]


# -- streaming details and threads -------------------------------------------------------------------------


class ByteTokenizer:
    """Each token is one byte: characters outside ASCII span several tokens."""

    def decode(self, ids, skip_special_tokens=True):
        return bytes(ids).decode("utf-8", errors="replace")


def stream(text: str, stops: tuple[str, ...]) -> tuple[list[str], str, bool]:
    from tuneforge.training.generation import _Tracker

    pieces: list[str] = []
    tracker = _Tracker(ByteTokenizer(), stops, pieces.append, None, 0.0)
    for byte in text.encode():
        if tracker.stop_at is not None:
            break
        tracker.feed(byte)
        assert not "".join(pieces).endswith("\ufffd")  # never half a character
    return pieces, tracker.finish(), tracker.stop_at is not None


def test_streaming_holds_back_partial_characters_and_stop_prefixes():
    pieces, text, stopped = stream("café au lait", ())
    assert text == "café au lait" and "".join(pieces) == text and "é" in pieces
    # "au l" could start "au revoir": held back until "lait" rules it out, then released.
    pieces, text, stopped = stream("café au lait. END more", ("au revoir", "END"))
    assert stopped and text == "café au lait. " == "".join(pieces)
    assert pieces[:6] == ["c", "af", "é", " ", "au l", "ai"]  # "a", "au", "au " were held back
    pieces, text, stopped = stream("x → y", ("→",))
    assert stopped and text == "x " == "".join(pieces)


def test_two_threads_on_two_adapters_of_one_base(adapters, model_cache):
    from concurrent.futures import ThreadPoolExecutor

    cache = ModelCache(max_bytes=BIG, model_cache_dir=model_cache, device="cpu")
    params = GenerationParams(max_new_tokens=16)
    handles = [cache.acquire(folder) for folder in adapters]
    alone = [generate(h, PROMPTS[0], params).token_ids for h in handles]

    def run(i: int) -> list[int]:
        return generate(cache.acquire(adapters[i % 2]), PROMPTS[0], params).token_ids

    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(run, range(8)))
    assert together == [alone[i % 2] for i in range(8)]
    assert cache.stats["base_loads"] == 1 and cache.stats["adapter_loads"] == 2
