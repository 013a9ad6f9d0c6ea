"""Stand-in trainer for bench/event_latency.py: writes metric lines like the real one, at a fixed rate.

    python bench/_fake_trainer.py RATE SECONDS spec.json
Each line carries `time`, the moment it was written, which the benchmark subtracts from the
moment a WebSocket client receives it.
"""

import json
import random
import sys
import time

rate, seconds = float(sys.argv[1]), float(sys.argv[2])
steps = int(rate * seconds)
print(json.dumps({"type": "started", "time": time.time(), "step": 0, "max_steps": steps}), flush=True)
# Independent jobs are not in lock-step: each starts at its own phase within a step.
start = time.time() + random.uniform(0, 1 / rate)
for step in range(1, steps + 1):
    time.sleep(max(0.0, start + step / rate - time.time()))
    print(json.dumps({"type": "metric", "time": time.time(), "step": step, "max_steps": steps, "loss": 1.0 / step}), flush=True)
print(json.dumps({"type": "finished", "time": time.time(), "step": steps, "metrics": {}}), flush=True)
