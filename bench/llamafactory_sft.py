"""LLaMA-Factory's training entry with a step timer, run inside bench/.venv-llamafactory.

`llamafactory-cli train config.yaml` ends in `llamafactory.train.tuner.run_exp(args)`; calling
`run_exp(args, callbacks=[...])` runs the same code path and lets us log a wall-clock time and
the loss for every step (LLaMA-Factory's own trainer_log.jsonl keeps only whole seconds).

    bench/.venv-llamafactory/bin/python bench/llamafactory_sft.py args.json steps.jsonl
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    args = json.loads(open(sys.argv[1]).read())
    steps_file = open(sys.argv[2], "a", buffering=1)
    threads = args.pop("_threads", None)
    if threads:
        import torch

        torch.set_num_threads(threads)
    from llamafactory.train.tuner import run_exp
    from transformers import TrainerCallback

    class StepLog(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                steps_file.write(json.dumps({"step": state.global_step, "time": time.time(),
                                             "cpu": time.process_time(), "loss": logs["loss"]}) + "\n")

    run_exp(args, callbacks=[StepLog()])


if __name__ == "__main__":
    main()
