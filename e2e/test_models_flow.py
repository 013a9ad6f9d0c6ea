"""The model registry end to end in Chromium, through nginx: two short tiny-llama SFT+LoRA jobs launched through
the API (conftest's `sums_model`, shared with test_playground_flow.py) become v1 and v2 of one model (the second
with `register_as.model_id`) → the Models page → v1's lineage → tag v2 "production" → compare v1 and v2 → train
from v2 in the wizard, saved as v3 of the same model."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from stack import SUMS_MODEL as MODEL
from stack import TrainedModel


@pytest.mark.timeout(300)  # the first test to ask for `sums_model` waits for its two runs too
def test_two_runs_become_versions_of_one_model_compared_and_trained_from(sums_model_page: Page, sums_model: TrainedModel) -> None:
    page = sums_model_page
    dataset_version_id = sums_model.dataset_version_id
    first = sums_model.jobs[0]
    v1, v2 = sums_model.v1, sums_model.v2
    # v1: the model named after the job; v2: a new version of that model, with another learning rate.
    assert (v1["model_name"], v1["number"]) == (MODEL, 1)
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
