"""The model registry end to end in Chromium, through nginx: two short tiny-llama SFT+LoRA jobs launched through
the API become v1 and v2 of one model (the second with `register_as.model_id`) → the Models page → v1's lineage
→ tag v2 "production" → compare v1 and v2 → train from v2 in the wizard, saved as v3 of the same model."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from stack import ManagedProcess, User

MODEL = "sums-bot"


def chat_rows(n: int = 40) -> bytes:
    rows = [
        {"messages": [{"role": "user", "content": f"What is {i} plus {i}?"}, {"role": "assistant", "content": str(2 * i)}]}
        for i in range(n)
    ]
    return "\n".join(json.dumps(r) for r in rows).encode() + b"\n"


def launch(api_client: httpx.Client, user: User, team_id: str, body: dict) -> str:
    response = api_client.post(f"/api/teams/{team_id}/jobs", headers=user.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def wait_succeeded(api_client: httpx.Client, user: User, job_id: str, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = api_client.get(f"/api/jobs/{job_id}", headers=user.headers).json()["status"]
        if status == "succeeded":
            return
        assert status not in ("failed", "cancelled"), f"job {job_id} ended {status}"
        time.sleep(1)
    raise AssertionError(f"job {job_id} still {status} after {timeout} s")


def model_version_of(api_client: httpx.Client, user: User, job_id: str) -> dict:
    response = api_client.get(f"/api/jobs/{job_id}/model-version", headers=user.headers)
    assert response.status_code == 200, response.text
    version = response.json()
    assert version, f"job {job_id} made no model version"
    return version


@pytest.mark.timeout(300)
def test_two_runs_become_versions_of_one_model_compared_and_trained_from(
    signed_in_page: Page, user: User, api_client: httpx.Client, worker: ManagedProcess
) -> None:
    page = signed_in_page
    me = api_client.get("/api/auth/me", headers=user.headers).json()
    team_id = next(t["id"] for t in me["teams"] if t["personal"])
    upload = api_client.post(
        f"/api/teams/{team_id}/datasets",
        headers=user.headers,
        files={"files": ("sums.jsonl", chat_rows(), "application/x-ndjson")},
        data={"name": "sums"},
    )
    assert upload.status_code == 201, upload.text
    dataset_version_id = upload.json()["version"]["id"]

    def body(learning_rate: float, **extra: object) -> dict:
        return {
            "name": MODEL,
            "method": "sft",
            "adapter": "lora",
            "base_model": "tiny-llama",
            "dataset_version_id": dataset_version_id,
            "preset": None,
            "hyperparameters": {"max_steps": 4, "learning_rate": learning_rate, "logging_steps": 1},
            "eval": {"enabled": False},
            **extra,
        }

    # v1: the model named after the job; v2: a new version of that model, with another learning rate.
    first = launch(api_client, user, team_id, body(2e-4))
    wait_succeeded(api_client, user, first)
    v1 = model_version_of(api_client, user, first)
    assert (v1["model_name"], v1["number"]) == (MODEL, 1)
    second = launch(api_client, user, team_id, body(1e-3, register_as={"model_id": v1["model_id"]}))
    wait_succeeded(api_client, user, second)
    v2 = model_version_of(api_client, user, second)
    assert (v2["model_id"], v2["number"]) == (v1["model_id"], 2)

    # The Models page: the model, its latest version v2.
    page.goto("/models")
    models = page.get_by_role("table", name="Models")
    row = models.get_by_role("row").filter(has_text=MODEL)
    expect(row).to_contain_text("(2 versions)")
    expect(row.get_by_role("link", name="v2")).to_be_visible()

    # v1's lineage: the base model, the dataset version and the job (links), a sha256, the library versions.
    page.get_by_role("link", name=f"{MODEL} v1").click()
    expect(page.get_by_role("heading", name=f"{MODEL} v1", level=1)).to_be_visible()
    expect(page.get_by_text(f"Use it as a base model: version:{v1['id']}")).to_be_visible()
    lineage = page.locator("dl").filter(has=page.get_by_text("Base model", exact=True))
    expect(lineage).to_contain_text("tiny-llama")
    expect(lineage.get_by_role("link", name="sums v1")).to_have_attribute("href", re.compile(rf"/datasets/.+\?version={dataset_version_id}"))
    expect(lineage.get_by_role("link", name=MODEL)).to_have_attribute("href", f"/training/{first}")
    expect(lineage.get_by_text(re.compile(r"sha256 [0-9a-f]{64}"))).to_be_visible()
    expect(lineage).to_contain_text(re.compile(r"torch \d[^,]*, transformers \d"))

    # Tag v2 "production": the Models page shows it.
    page.goto(f"/models/versions/{v2['id']}")
    expect(page.get_by_role("heading", name=f"{MODEL} v2", level=1)).to_be_visible()
    page.get_by_label("Add or move a tag").fill("production")
    page.get_by_role("button", name="Tag", exact=True).click()
    expect(page.get_by_role("button", name="Remove tag production")).to_be_visible()
    page.get_by_role("link", name="All models").click()
    expect(page.get_by_role("table", name="Models").get_by_role("row").filter(has_text=MODEL)).to_contain_text("production: v2")

    # Compare v1 and v2: "Differences only" keeps the learning rate; two loss curves with their legend.
    page.get_by_label(f"Select {MODEL} v1").check()
    page.get_by_label(f"Select {MODEL} v2").check()
    page.get_by_role("button", name="Compare 2 versions").click()
    expect(page.get_by_role("heading", name="Compare model versions")).to_be_visible()
    expect(page.get_by_label("Differences only")).to_be_checked()
    config = page.get_by_role("table", name="Configuration")
    lr_row = config.get_by_role("row").filter(has_text="hyperparameters.learning_rate")
    expect(lr_row).to_be_visible()
    expect(config.get_by_role("row").filter(has_text="hyperparameters.max_steps")).to_have_count(0)
    chart = page.get_by_test_id("loss-curves")
    expect(chart.get_by_text(f"{MODEL} v1 train")).to_be_visible()
    expect(chart.get_by_text(f"{MODEL} v2 train")).to_be_visible()
    expect(chart.get_by_text(f"{MODEL} v1 eval")).to_be_visible()
    expect(chart.locator(".recharts-legend-item")).to_have_count(4)  # train and eval of each version
    drawn = chart.locator(".recharts-line-curve").evaluate_all("paths => paths.filter(p => (p.getAttribute('d') || '').includes('L')).length")
    assert drawn >= 2, f"{drawn} loss curves drawn with more than one point"

    # Train from v2 in the wizard ("A model version" names version:<v2 id>), saved as v3 of the same model.
    page.goto("/training/new")
    expect(page.get_by_role("heading", name="Step 1 of 6: Goal")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("A model version").check()
    select = page.get_by_label("Model version", exact=True)
    expect(select).to_have_value(f"version:{v2['id']}")
    expect(select.locator("option:checked")).to_have_text(f"Continue from {MODEL} v2 (production)")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("sums · v1").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Advanced settings").click()
    page.get_by_label("Max steps").fill("4")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 5 of 6: Where to run")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 6 of 6: Review")).to_be_visible()
    expect(page.get_by_label("A new model")).to_be_checked()
    page.get_by_label("A new version of a model").check()
    expect(page.get_by_label("Model", exact=True).locator("option:checked")).to_have_text(f"{MODEL} (latest v2)")
    page.get_by_role("button", name="Launch").click()
    expect(page.get_by_label("Status", exact=True)).to_have_text("succeeded", timeout=120_000)
    page.get_by_role("link", name=f"{MODEL} v3").click()
    expect(page.get_by_role("heading", name=f"{MODEL} v3", level=1)).to_be_visible()
    base = page.get_by_role("link", name=f"version:{v2['id']}", exact=True)  # its base model: v2
    expect(base).to_have_attribute("href", f"/models/versions/{v2['id']}")
