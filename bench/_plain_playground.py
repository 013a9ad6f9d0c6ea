"""The plain contender of bench/playground.py: `transformers` `generate` in one process, nothing of TuneForge.

    python bench/_plain_playground.py MODEL_FOLDER [ADAPTER_FOLDER]

Loads the model (fp32, eval mode, torch's default thread count unless OMP_NUM_THREADS says otherwise) and
its tokenizer from MODEL_FOLDER, prints one JSON line when ready, then answers one JSON request per stdin
line with one JSON line on stdout:

    {"messages": [...], "max_new_tokens": 64, "adapter": false}
    -> {"text", "token_ids", "rendered", "prompt_tokens", "first_token_s", "tokens_per_s", "total_s", "cpu_s"}

Greedy (`do_sample=False`), the model's own generation config (eos = `<|im_end|>` for SmolLM2-Instruct).
`first_token_s` is from the start of the request (chat template + tokenising included) to the first new
token reaching the streamer; `tokens_per_s` is the tokens after the first / the time after the first.
`"adapter": true` answers with the LoRA adapter of ADAPTER_FOLDER (peft, attached on first use); once
it is attached, `"adapter": false` answers with it disabled (`disable_adapter()`), as the worker does.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.generation.streamers import BaseStreamer


class Clock(BaseStreamer):
    """Records when each new token reaches the streamer (the first `put` is the prompt)."""

    def __init__(self) -> None:
        self.prompt_seen = False
        self.times: list[float] = []

    def put(self, value) -> None:
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        now = time.perf_counter()
        self.times.extend([now] * int(value.numel()))

    def end(self) -> None:
        pass


def main() -> None:
    folder = sys.argv[1]
    adapter_folder = sys.argv[2] if len(sys.argv) > 2 else None
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.eval()
    load_s = time.perf_counter() - started
    peft = None
    print(json.dumps({"ready": True, "load_s": load_s, "threads": torch.get_num_threads(), "torch": torch.__version__}),
          flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        attach_s = 0.0
        if request.get("adapter") and peft is None:
            from peft import PeftModel

            attaching = time.perf_counter()
            peft = PeftModel.from_pretrained(model, adapter_folder, is_trainable=False)
            peft.eval()
            attach_s = time.perf_counter() - attaching
        if peft is None:
            context, runner = contextlib.nullcontext(), model
        elif request.get("adapter"):
            context, runner = contextlib.nullcontext(), peft
        else:
            context, runner = peft.disable_adapter(), peft
        clock = Clock()
        cpu = time.process_time()
        begin = time.perf_counter()
        rendered = tokenizer.apply_chat_template(request["messages"], add_generation_prompt=True, tokenize=False)
        encoded = tokenizer(rendered, return_tensors="pt", add_special_tokens=False)
        with context, torch.inference_mode():
            output = runner.generate(**encoded, max_new_tokens=request["max_new_tokens"], do_sample=False, streamer=clock)
        end = time.perf_counter()
        cpu_s = time.process_time() - cpu
        new = output[0, encoded["input_ids"].shape[1]:].tolist()
        times = clock.times
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) >= 2 and times[-1] > times[0] else None
        print(json.dumps({
            "text": tokenizer.decode(new, skip_special_tokens=True), "token_ids": new, "rendered": rendered,
            "prompt_tokens": int(encoded["input_ids"].shape[1]), "new_tokens": len(new),
            "first_token_s": times[0] - begin if times else None, "tokens_per_s": rate, "total_s": end - begin,
            "attach_s": attach_s, "cpu_s": cpu_s,
        }), flush=True)


if __name__ == "__main__":
    main()
