"""The Modal path, with only the SDK adapter swapped for a local runner of the same container function."""

from __future__ import annotations

from .conftest import CHAT_ROWS

TERMINAL = ("succeeded", "failed", "cancelled")


def test_modal_job_needs_a_token_before_anything_is_queued(api):
    version = api.upload_jsonl("sums-modal-notoken", CHAT_ROWS[:16])
    response = api.http.post(
        f"/api/teams/{api.team_id}/jobs",
        json={"dataset_version_id": version, "executor": "modal", "gpu_type": "T4", "hyperparameters": {"max_steps": 2}},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Running on Modal needs a Modal token: add yours in Settings (or ask an admin to set the team's on the Team "
        "page), then launch again."
    )
    assert api.http.get(f"/api/teams/{api.team_id}/jobs").json()["total"] == 0

    bad_gpu = api.http.post(
        f"/api/teams/{api.team_id}/jobs", json={"dataset_version_id": version, "executor": "modal", "gpu_type": "GTX-480"}
    )
    assert bad_gpu.status_code == 400 and "H100" in bad_gpu.json()["detail"]


def test_modal_job_relays_events_stores_artifacts_and_records_cost(api, start_worker):
    saved = api.http.put("/api/credentials/modal", json={"token_id": "ak-test1234567", "token_secret": "as-test7654321"})
    assert saved.status_code == 200
    start_worker("cloud-launcher")
    version = api.upload_jsonl("sums-modal", CHAT_ROWS)
    job = api.create_job(version, executor="modal", gpu_type="A10G", eval={"enabled": False})
    assert job["estimate"]["chosen"]["gpu_type"] == "A10G"
    assert job["estimate"]["chosen"]["cost_usd"] is not None
    assert job["estimate"]["price_table_date"]

    done = api.wait_for(job["id"], lambda j: j["status"] in TERMINAL, timeout=240, what="the Modal job")
    assert done["status"] == "succeeded", done
    assert done["gpu_seconds"] > 0
    assert done["cost_usd"] > 0
    assert abs(done["cost_usd"] - done["gpu_seconds"] / 3600 * 1.10) < 1e-3  # A10G at $1.10/h

    events = api.events(job["id"])
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["data"]["step"] for e in events if e["type"] == "metric"] == list(range(1, 13))
    artifacts = {a["path"] for a in api.http.get(f"/api/jobs/{job['id']}/artifacts").json()}
    assert "adapter_model.safetensors" in artifacts
