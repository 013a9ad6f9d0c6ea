"""Playground on SmolLM2: first-token latency and tokens/s through the API + a worker vs plain `transformers`.

    .venv/bin/python bench/playground.py [--prompts 6] [--max-new-tokens 64] [--threads 1] [--no-lora]

Starts an embedded PostgreSQL, `tuneforge api` and `tuneforge worker`, registers a user, uploads a few
chat rows and trains a tiny SmolLM2-135M-Instruct LoRA version through the API (2 steps, batch 1,
evaluation off). Then, on the same prompts (one user message each, greedy, `max_new_tokens`), one after
the other and never at the same time (the contenders' order alternates per prompt):

- **plain**: `bench/_plain_playground.py`, a child process that imports nothing from TuneForge: the same
  model folder loaded with `transformers` (fp32, CPU, the worker's torch thread count), the tokenizer's
  chat template, `model.generate(do_sample=False)` with a streamer that records token times;
- **TuneForge**: `POST /api/teams/{team}/playground/turns` with the target `{"version_id": v, "base": true}`
  (the version's base: plain SmolLM2, exactly the plain contender's weights), then the answer's WebSocket
  `/api/ws/generations/{id}` until it closes. Client first token = POST sent -> first answer text received;
  client tokens/s = (new tokens - 1) / (first text -> final snapshot); the worker's own `stats`
  (`first_token_ms`, `tokens_per_s`: the same definitions as plain's, inside the worker) are shown too.
  CPU seconds per answer of the worker, the API, PostgreSQL and this client are sampled (psutil).

Rounds: the base (its first request is the first after the worker started, which loads SmolLM2: cold;
then the warm prompts), the LoRA version (its first request attaches the adapter; plain attaches it with
peft), and the base again once the adapter is attached (both contenders then run the PeftModel with the
adapter disabled). Each contender gets one unmeasured warm-up answer per round (TuneForge's is the cold
request). Medians are reported; every answer's text, token count and rendered prompt must match between the
contenders, and the streamed pieces must add up to the stored answer.

`--threads` (default 1) sets OMP_NUM_THREADS for the worker and the plain child alike; 0 leaves torch's
default (one thread per core). On this shared 2-core machine two OpenMP threads that spin-wait collapse
whenever another process wants a core (bench/README.md, "Playground"), which would measure the neighbours.

Targets (issue #10): tokens/s >= 0.9x plain; warm first token <= 1.5x plain + 300 ms; the warm cache's
first token >= 5x faster than the cold one. Exit status 1 when an answer differs or a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from websockets.exceptions import ConnectionClosedOK
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from tuneforge import migrate  # noqa: E402
from tuneforge.devdb import EmbeddedPostgres, free_port  # noqa: E402

SMOLLM2 = "SmolLM2-135M-Instruct"
WARMUP_PROMPT = "Tell me about the history of the printing press."
PROMPTS = [
    "Explain how a bicycle works.",
    "Write a short story about a cat who learns to swim.",
    "List five tips for learning a new language, with one sentence each.",
    "What causes the seasons on Earth?",
    "Describe the water cycle step by step.",
    "Give me a simple recipe for pancakes.",
    "Why is the sky blue?",
    "What are the benefits of regular exercise?",
    "How does a refrigerator keep food cold?",
    "Write a short poem about the sea.",
]
TRAIN_ROWS = [
    {"messages": [{"role": "user", "content": f"What is {a} plus {b}?"}, {"role": "assistant", "content": f"{a} plus {b} is {a + b}."}]}
    for a in range(4)
    for b in range(4)
]
TERMINAL = ("done", "failed", "cancelled")


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def link_model(source: Path, target: Path) -> None:
    """The bundled SmolLM2 folder into the test data directory (hard links: no 540 MB copy, no bootstrap)."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        try:
            os.link(item, target / item.name)
        except OSError:
            shutil.copy2(item, target / item.name)


class Plain:
    """The plain `transformers` child process, one request at a time over its stdin/stdout."""

    def __init__(self, model: Path, adapter: Path, env: dict) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "_plain_playground.py"), str(model), str(adapter)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        self.ready = self._read()

    def _read(self) -> dict:
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the plain child ended (exit {self.process.wait()})")
            if line.startswith("{"):
                return json.loads(line)

    def answer(self, prompt: str, max_new_tokens: int, adapter: bool) -> dict:
        request = {"messages": [{"role": "user", "content": prompt}], "max_new_tokens": max_new_tokens, "adapter": adapter}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Platform:
    def __init__(self, base_url: str, http: httpx.Client, token: str, team_id: str, pids: dict[str, int], pg_pid: int) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.postgres = psutil.Process(pg_pid)
        self.ws_base = base_url.replace("http", "ws", 1)
        self.http = http
        self.token = token
        self.team_id = team_id

    def _postgres_cpu(self) -> dict[int, float]:
        """CPU seconds of the PostgreSQL server's processes (postmaster and backends), by pid."""
        found = {}
        for process in [self.postgres, *self.postgres.children()]:
            try:
                found[process.pid] = sum(process.cpu_times()[:2])
            except psutil.NoSuchProcess:
                pass
        return found

    def answer(self, prompt: str, max_new_tokens: int, target: dict) -> dict:
        body = {"messages": [{"role": "user", "content": prompt}], "targets": [target],
                "params": {"temperature": 0, "max_new_tokens": max_new_tokens}}
        cpu = {name: sum(p.cpu_times()[:2]) for name, p in self.processes.items()}
        pg_cpu = self._postgres_cpu()
        client_cpu = time.process_time()
        sent = time.perf_counter()
        response = self.http.post(f"/api/teams/{self.team_id}/playground/turns", json=body)
        posted = time.perf_counter()
        if response.status_code != 201:
            raise RuntimeError(f"turn refused: {response.status_code} {response.text}")
        generation_id = response.json()["answers"][0]["id"]
        text, first, final, done_at, statuses = "", None, None, None, []
        with connect(f"{self.ws_base}/api/ws/generations/{generation_id}", max_size=None) as ws:
            ws.send(json.dumps({"type": "auth", "token": self.token}))
            connected = time.perf_counter()
            while True:
                try:
                    raw = ws.recv(timeout=600)
                except ConnectionClosedOK:
                    break
                now = time.perf_counter()
                message = json.loads(raw)
                if message["kind"] == "snapshot":
                    generation = message["generation"]
                    text = generation["text"]
                    statuses.append(generation["status"])
                    if generation["status"] in TERMINAL:
                        final, done_at = generation, now
                elif message["kind"] == "delta":
                    text += message["text"]
                if first is None and text:
                    first = now
        if final is None or final["status"] != "done":
            raise RuntimeError(f"the answer did not finish: {json.dumps(final)[:2000]}")
        stats = final["stats"]
        n = stats.get("new_tokens") or 0
        cpu = {f"{name}_cpu_s": sum(p.cpu_times()[:2]) - cpu[name] for name, p in self.processes.items()}
        cpu["client_cpu_s"] = time.process_time() - client_cpu
        after = self._postgres_cpu()
        cpu["postgres_cpu_s"] = sum(v - pg_cpu.get(pid, 0.0) for pid, v in after.items())
        return {**cpu, "total_s": done_at - sent,
            "text": final["text"], "streamed_text": text, "rendered": final["rendered_prompt"], "new_tokens": n,
            "finish_reason": final["finish_reason"], "statuses": statuses, "writes": final["seq"],
            "client_first_token_s": first - sent if first is not None else None,
            "client_tokens_per_s": (n - 1) / (done_at - first) if first is not None and n >= 2 and done_at > first else None,
            "post_s": posted - sent, "ws_connected_s": connected - sent,
            "worker_first_token_s": (stats.get("first_token_ms") or 0) / 1000, "worker_tokens_per_s": stats.get("tokens_per_s"),
            "load_s": (stats.get("load_ms") or 0) / 1000, "cold": stats.get("cold"), "queue_s": (stats.get("queue_ms") or 0) / 1000,
        }


def wait_ok(http: httpx.Client, path: str, done, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = http.get(path)
            if response.status_code == 200 and done(response.json()):
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"timed out waiting for {what}")


def train_version(http: httpx.Client, team_id: str) -> tuple[str, str, float]:
    content = "".join(json.dumps(r) + "\n" for r in TRAIN_ROWS).encode()
    upload = http.post(f"/api/teams/{team_id}/datasets", files=[("files", ("sums.jsonl", content, "application/jsonl"))],
                       data={"name": "sums"})
    upload.raise_for_status()
    started = time.monotonic()
    response = http.post(f"/api/teams/{team_id}/jobs", json={
        "name": "smollm2-bench", "method": "sft", "adapter": "lora", "base_model": SMOLLM2,
        "dataset_version_id": upload.json()["version"]["id"],
        "data": {"max_length": 64, "validation_split": 0.0},
        "hyperparameters": {"max_steps": 2, "batch_size": 1, "logging_steps": 1},
        "eval": {"enabled": False},
    })
    if response.status_code != 201:
        raise RuntimeError(f"job refused: {response.status_code} {response.text}")
    job_id = response.json()["id"]
    job = wait_ok(http, f"/api/jobs/{job_id}", lambda j: j["status"] in ("succeeded", "failed", "cancelled"), 900, "the job")
    if job["status"] != "succeeded":
        raise RuntimeError(f"the job {job['status']}: {job.get('message')}")
    version = http.get(f"/api/jobs/{job_id}/model-version").json()
    return job_id, version["id"], time.monotonic() - started


def med(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def run(args: argparse.Namespace) -> int:
    from tuneforge.training.loading import resolve_base_model

    prompts = PROMPTS[: args.prompts]
    source = resolve_base_model(SMOLLM2)  # the bundled SmolLM2 (converted from its GGUF once per machine)
    tmp = Path(tempfile.mkdtemp(prefix="tuneforge-playground-"))
    tmp.chmod(0o755)
    data_dir = tmp / "data"
    model_dir = data_dir / "models" / SMOLLM2  # where the worker's model cache looks (jobs.resolve.model_cache_dir)
    link_model(source, model_dir)
    pg = EmbeddedPostgres(tmp / "pg", fast=True)
    url = pg.start()
    migrate.upgrade(url)
    env = dict(os.environ, DATABASE_URL=url, TUNEFORGE_DATA_DIR=str(data_dir), TUNEFORGE_RATE_LIMIT_ENABLED="false",
               TUNEFORGE_LOG_LEVEL="WARNING", TUNEFORGE_WORKER_HEARTBEAT_SECONDS="5")
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    else:
        env.pop("OMP_NUM_THREADS", None)
    port = free_port()
    logs = tmp / "logs"
    logs.mkdir()
    api = subprocess.Popen([sys.executable, "-m", "tuneforge.cli", "api", "--port", str(port)], env=env,
                           stdout=(logs / "api.log").open("w"), stderr=subprocess.STDOUT)
    worker_command = [sys.executable, "-m", "tuneforge.cli", "worker", "--name", "bench"]
    if args.worker_flush_s is not None:  # a diagnosis: the worker's streaming write interval (FLUSH_S) changed
        worker_command = [sys.executable, "-c", "import sys; import tuneforge.worker.playground as p; "
                          f"p.FLUSH_S = {args.worker_flush_s!r}; from tuneforge.cli import main; main(sys.argv[1:])",
                          "worker", "--name", "bench"]
    worker = subprocess.Popen(worker_command, env=env,
                              stdout=(logs / "worker.log").open("w"), stderr=subprocess.STDOUT)
    plain = None
    results: dict = {"load_before": load_average(), "nproc": os.cpu_count()}
    try:
        base_url = f"http://127.0.0.1:{port}"
        http = httpx.Client(base_url=base_url, timeout=300)
        wait_ok(http, "/api/health", lambda _: True, 120, "the API")
        account = http.post("/api/auth/register", json={"email": "playground@example.com", "password": "correct-horse-battery-staple"})
        account.raise_for_status()
        token, team_id = account.json()["access_token"], account.json()["user"]["teams"][0]["id"]
        http.headers["Authorization"] = f"Bearer {token}"
        wait_ok(http, "/api/info", lambda info: any(w["name"] == "bench" for w in info["workers"]), 120, "the worker")
        print(f"API and worker up; training a {SMOLLM2} LoRA version (2 steps) ...", flush=True)
        job_id, version_id, train_s = train_version(http, team_id)
        print(f"  version {version_id} in {train_s:.1f} s", flush=True)
        adapter = data_dir / "storage" / "jobs" / job_id / "output"
        platform = Platform(base_url, http, token, team_id, {"worker": worker.pid, "api": api.pid},
                            int((pg.data_dir / "postmaster.pid").read_text().split()[0]))

        plain = Plain(model_dir, adapter, env)
        results["plain_load_s"] = plain.ready["load_s"]
        results["threads"] = plain.ready["threads"]
        print(f"plain child: loaded in {plain.ready['load_s']:.2f} s, torch threads {plain.ready['threads']}", flush=True)
        results["load_measuring"] = load_average()

        base_target = {"version_id": version_id, "base": True}
        lora_target = {"version_id": version_id}
        rounds = [("base", base_target, False)]
        if not args.no_lora:
            rounds += [("lora", lora_target, True), ("base+adapter", base_target, False)]
        mismatches: list[str] = []
        for name, target, use_adapter in rounds:
            # Unmeasured warm-ups; TuneForge's first is the cold request of this round's model.
            plain_warm = plain.answer(WARMUP_PROMPT, args.max_new_tokens, use_adapter)
            cold = platform.answer(WARMUP_PROMPT, args.max_new_tokens, target)
            if plain_warm["text"] != cold["text"] or plain_warm["new_tokens"] != cold["new_tokens"]:
                mismatches.append(f"{name} warm-up prompt")
            print(f"[{name}] first request: client first token {cold['client_first_token_s']:.2f} s "
                  f"(worker load {cold['load_s']:.2f} s, cold={cold['cold']}); plain attach {plain_warm['attach_s']:.2f} s",
                  flush=True)
            rows = []
            for i, prompt in enumerate(prompts):
                if i % 2 == 0:
                    p = plain.answer(prompt, args.max_new_tokens, use_adapter)
                    t = platform.answer(prompt, args.max_new_tokens, target)
                else:
                    t = platform.answer(prompt, args.max_new_tokens, target)
                    p = plain.answer(prompt, args.max_new_tokens, use_adapter)
                same_text = p["text"] == t["text"] == t["streamed_text"] and p["new_tokens"] == t["new_tokens"]
                same_prompt = p["rendered"] == t["rendered"]
                if not (same_text and same_prompt):
                    mismatches.append(f"{name} prompt {i}: text {'same' if same_text else 'DIFFERS'}, "
                                      f"rendered prompt {'same' if same_prompt else 'DIFFERS'}")
                rows.append({"prompt": prompt, "plain": p, "tuneforge": t, "same_text": same_text, "same_prompt": same_prompt})
                print(f"  {i}: plain {p['first_token_s'] * 1000:6.0f} ms {fmt(p['tokens_per_s'], ' tok/s')} | "
                      f"TuneForge client {t['client_first_token_s'] * 1000:6.0f} ms {fmt(t['client_tokens_per_s'], ' tok/s')}, "
                      f"worker {t['worker_first_token_s'] * 1000:6.0f} ms {fmt(t['worker_tokens_per_s'], ' tok/s')} | "
                      f"{t['new_tokens']} tokens ({t['finish_reason']}), {'same' if same_text else 'DIFFERENT'} text", flush=True)
            results[name] = {"cold": cold, "plain_warmup": plain_warm, "rows": rows}
        results["load_after"] = load_average()
        results["mismatches"] = mismatches
        return report(results, args)
    except Exception:
        for name in ("worker", "api"):
            print(f"--- {name} log tail ---\n{(logs / f'{name}.log').read_text(errors='replace')[-4000:]}", file=sys.stderr)
        raise
    finally:
        if plain is not None:
            plain.close()
        worker.terminate()
        api.terminate()
        for process in (worker, api):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        pg.stop()
        if args.keep:
            print(f"kept {tmp} (logs in {logs})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report(results: dict, args: argparse.Namespace) -> int:
    threads = f"OMP_NUM_THREADS={args.threads}" if args.threads else "OMP_NUM_THREADS unset"
    where = f"; worker FLUSH_S={args.worker_flush_s} (diagnosis)" if args.worker_flush_s is not None else ""
    print(f"\nPlayground, {SMOLLM2} fp32 on CPU: {results['nproc']} cores, {threads} (torch threads {results['threads']}), "
          f"{args.prompts} prompts x {args.max_new_tokens} new tokens, greedy{where}; medians")
    print(f"load average: before {results['load_before']}; measuring from {results['load_measuring']}; after {results['load_after']}")
    print(f"{'round':<14}{'contender':<22}{'first token':>12}{'tokens/s':>10}{'answer':>9}{'CPU s':>8}  same text")
    verdicts = []
    for name in ("base", "lora", "base+adapter"):
        if name not in results:
            continue
        rows = results[name]["rows"]
        plain = [r["plain"] for r in rows]
        tf = [r["tuneforge"] for r in rows]
        m = {
            "plain_first_s": med(plain, "first_token_s"), "plain_tps": med(plain, "tokens_per_s"),
            "plain_total_s": med(plain, "total_s"), "plain_cpu_s": med(plain, "cpu_s"),
            "client_first_s": med(tf, "client_first_token_s"), "client_tps": med(tf, "client_tokens_per_s"),
            "client_total_s": med(tf, "total_s"), "worker_cpu_s": med(tf, "worker_cpu_s"), "api_cpu_s": med(tf, "api_cpu_s"),
            "worker_first_s": med(tf, "worker_first_token_s"), "worker_tps": med(tf, "worker_tokens_per_s"),
            "writes": med(tf, "writes"),
            "pair_client_tps_ratio": statistics.median(t["client_tokens_per_s"] / p["tokens_per_s"] for t, p in zip(tf, plain, strict=True)),
            "pair_worker_tps_ratio": statistics.median(t["worker_tokens_per_s"] / p["tokens_per_s"] for t, p in zip(tf, plain, strict=True)), "postgres_cpu_s": med(tf, "postgres_cpu_s"), "client_cpu_s": med(tf, "client_cpu_s"),
        }
        results[name]["medians"] = m
        same = f"{sum(r['same_text'] and r['same_prompt'] for r in rows)}/{len(rows)}"
        print(f"{name:<14}{'plain transformers':<22}{m['plain_first_s'] * 1000:>10.0f}ms{m['plain_tps']:>10.1f}"
              f"{m['plain_total_s']:>8.2f}s{m['plain_cpu_s']:>8.2f}")
        print(f"{'':<14}{'TuneForge (client)':<22}{m['client_first_s'] * 1000:>10.0f}ms{m['client_tps']:>10.1f}"
              f"{m['client_total_s']:>8.2f}s{m['worker_cpu_s']:>8.2f}  {same}   (CPU: worker; API {m['api_cpu_s']:.2f} s, "
              f"PostgreSQL {m['postgres_cpu_s']:.2f} s, client {m['client_cpu_s']:.2f} s; {m['writes']:.0f} row writes)")
        print(f"{'':<14}{'TuneForge (worker)':<22}{m['worker_first_s'] * 1000:>10.0f}ms{m['worker_tps']:>10.1f}")
        if name == "base":
            cold = results[name]["cold"]
            c1, p1, cr, wr, pr = m["client_first_s"], m["plain_first_s"], m["client_tps"], m["worker_tps"], m["plain_tps"]
            verdicts.append(("tokens/s (client) >= 0.9x plain", cr >= 0.9 * pr,
                             f"{cr:.1f} vs {pr:.1f} = {cr / pr:.2f}x (median of per-prompt ratios {m['pair_client_tps_ratio']:.2f}x)"))
            verdicts.append(("tokens/s (worker) >= 0.9x plain", wr >= 0.9 * pr,
                             f"{wr:.1f} vs {pr:.1f} = {wr / pr:.2f}x (median of per-prompt ratios {m['pair_worker_tps_ratio']:.2f}x)"))
            limit = 1.5 * p1 + 0.3
            verdicts.append(("warm first token <= 1.5x plain + 300 ms", c1 <= limit,
                             f"{c1 * 1000:.0f} ms vs limit {limit * 1000:.0f} ms (plain {p1 * 1000:.0f} ms)"))
            ratio = cold["client_first_token_s"] / c1
            verdicts.append(("cold / warm first token >= 5x", ratio >= 5,
                             f"cold {cold['client_first_token_s']:.2f} s (worker load {cold['load_s']:.2f} s) / "
                             f"warm {c1:.3f} s = {ratio:.1f}x"))
    for name in ("base", "lora", "base+adapter"):
        if name in results:
            cold = results[name]["cold"]
            print(f"first {name} request: client first token {cold['client_first_token_s'] * 1000:.0f} ms, worker's load "
                  f"{cold['load_s'] * 1000:.0f} ms (cold={cold['cold']}), worker first token {cold['worker_first_token_s'] * 1000:.0f} ms, "
                  f"{fmt(cold['worker_tokens_per_s'], ' tok/s')}; plain's warm-up: attach {results[name]['plain_warmup']['attach_s'] * 1000:.0f} ms, "
                  f"first token {results[name]['plain_warmup']['first_token_s'] * 1000:.0f} ms")
    print(f"plain from_pretrained: {results['plain_load_s']:.2f} s")
    print("\nTargets (base round):")
    failed = False
    for what, ok, detail in verdicts:
        print(f"  {what:<42} {'met' if ok else 'NOT met':<8} {detail}")
        failed |= not ok
    if results["mismatches"]:
        print("Answers that differ between the contenders:")
        for line in results["mismatches"]:
            print(f"  {line}")
    else:
        print("Every answer (warm-ups included) had the same text, token count and rendered prompt in both contenders.")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 1 if failed or results["mismatches"] else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=6, help=f"prompts per round (at most {len(PROMPTS)})")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS for the worker and the plain child "
                        "(0: unset, torch's default = the cores; see the README for why 1 is the default)")
    parser.add_argument("--worker-flush-s", type=float, help="diagnosis: start the worker with another streaming "
                        "write interval (tuneforge.worker.playground.FLUSH_S, 0.05 s)")
    parser.add_argument("--no-lora", action="store_true", help="only the base round")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, database)")
    args = parser.parse_args()
    args.prompts = max(1, min(args.prompts, len(PROMPTS)))
    sys.exit(run(args))


if __name__ == "__main__":
    main()
