"""A real worker trains tiny-llama through the API; events are stored in order; cancel keeps a checkpoint."""

from __future__ import annotations

from .conftest import CHAT_ROWS

TERMINAL = ("succeeded", "failed", "cancelled")


def _steps(events: list[dict]) -> list[int]:
    return [e["data"]["step"] for e in events if e["type"] == "metric"]


def test_worker_trains_a_job_and_every_event_is_stored_in_order(api, start_worker):
    worker = start_worker("worker-a")
    version = api.upload_jsonl("sums", CHAT_ROWS)
    job = api.create_job(version)
    assert job["status"] == "queued"
    assert job["estimate"]["chosen"]["fits"] is True
    assert job["estimate"]["chosen"]["seconds_per_step"] > 0

    done = api.wait_for(job["id"], lambda j: j["status"] in TERMINAL, timeout=300, what="the job to finish")
    assert done["status"] == "succeeded", (done["message"], done["stderr_tail"], worker.log_tail())
    assert done["worker_name"] == "worker-a"
    assert done["step"] == 12 and done["total_steps"] == 12
    assert done["started_at"] and done["finished_at"]
    # Estimate against actual, recorded when the job ended: the whole run and each phase, next to the
    # estimate of this worker's device; the team's running accuracy counts it.
    timing = done["timing"]
    assert timing["executor"] == "local" and timing["device_type"] == "cpu" and timing["worker"] == "worker-a"
    phases = {p["name"]: p["seconds"] for p in timing["actual_phases"]}
    assert {"startup", "loading_model", "tokenizing", "training", "saving", "evaluating"} <= set(phases)
    assert abs(sum(phases.values()) - timing["actual_seconds"]) < 0.5
    assert timing["estimate_source"] == "launch" and timing["estimated_low"] <= timing["estimated_seconds"] <= timing["estimated_high"]
    assert timing["ratio"] == round(timing["actual_seconds"] / timing["estimated_seconds"], 3)
    print("estimate vs actual:", timing)
    running = api.http.get(f"/api/teams/{api.team_id}/estimate-accuracy").json()
    assert running["jobs"] >= 1 and running["groups"][0]["device_type"] == "cpu"

    events = api.events(job["id"])
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    types = [e["type"] for e in events]
    assert types[0] == "status" and events[0]["data"]["status"] == "queued"
    assert types.index("started") < types.index("metric") < types.index("finished")
    assert _steps(events) == list(range(1, 13))
    losses = [e["data"]["loss"] for e in events if e["type"] == "metric"]
    assert losses[-1] < losses[0], "the loss should fall on this easy task"
    assert events[-1]["type"] == "status" and events[-1]["data"]["status"] == "succeeded"

    artifacts = {a["path"] for a in api.http.get(f"/api/jobs/{job['id']}/artifacts").json()}
    assert "adapter_model.safetensors" in artifacts
    download = api.http.get(f"/api/jobs/{job['id']}/artifacts/adapter_model.safetensors")
    assert download.status_code == 200 and len(download.content) > 1000


def test_cancel_mid_run_keeps_a_checkpoint(api, start_worker):
    start_worker("worker-c")
    version = api.upload_jsonl("sums-cancel", CHAT_ROWS)
    job = api.create_job(version, hyperparameters={"max_steps": 200, "save_steps": 50}, debug={"step_delay_s": 0.3})
    api.wait_for(job["id"], lambda j: j["step"] >= 3, what="a few training steps")

    response = api.http.post(f"/api/jobs/{job['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelling"

    done = api.wait_for(job["id"], lambda j: j["status"] in TERMINAL, timeout=120, what="the cancellation")
    assert done["status"] == "cancelled"
    assert done["step"] < 200
    cancelled = [e for e in api.events(job["id"]) if e["type"] == "cancelled"]
    assert cancelled and cancelled[0]["data"]["checkpoint"], "SIGTERM must save a checkpoint"

    # The checkpoint is what Resume continues from.
    resumed = api.http.post(f"/api/jobs/{job['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "queued"
    api.http.post(f"/api/jobs/{job['id']}/cancel")


def test_cancel_a_queued_job_is_immediate(api):
    version = api.upload_jsonl("sums-queued", CHAT_ROWS)
    # No worker serves the CUDA queue on this machine, so this job stays queued.
    job = api.create_job(version, hyperparameters={"precision": "bf16"})
    response = api.http.post(f"/api/jobs/{job['id']}/cancel")
    assert response.json()["status"] == "cancelled"
    assert "before it ran" in response.json()["message"]
    again = api.http.post(f"/api/jobs/{job['id']}/cancel")
    assert again.status_code == 409
    deleted = api.http.delete(f"/api/jobs/{job['id']}")
    assert deleted.status_code == 204
    assert api.http.get(f"/api/jobs/{job['id']}").status_code == 404
