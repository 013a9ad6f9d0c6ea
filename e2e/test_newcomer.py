"""A newcomer's first hour, in Chromium through nginx, at a laptop's width and at a phone's.

register (the password rule in plain words; a weak one refused with the reason) → the dashboard of a
new team (the getting-started path, nothing ticked; no jobs; compute hours) → datasets (a PDF named
with the reason; a PNG renamed .jsonl refused by the server; a small chat JSONL becomes version 1,
its format in words) → the getting-started path ticks "upload" → the wizard (SFT + LoRA, tiny-llama,
the dataset, the quick preset, a review) → the job page (progress, the job finishes, evaluation, the
files, a download) → Settings (a bad Hugging Face token refused once, in plain words).

Every page visited is screenshotted for a reviewer (the folder is named at the end of the run),
passes axe-core's WCAG 2 A/AA rules with no serious or critical violation, and at phone width
scrolls only vertically. A second test drives the wizard with the keyboard alone.
"""

from __future__ import annotations

import json
import re
import struct
import time
import zlib
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from stack import REPO_ROOT, ManagedProcess, User

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

AXE_JS = REPO_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# Served to the page from its own origin (by Playwright, not nginx), so the CSP's script-src 'self'
# lets it run: an inline <script> would be (rightly) refused.
AXE_URL = "/__e2e__/axe.min.js"

PASSWORD_HINT = "10 or more characters; a few unrelated words work well."
MAX_STEPS = 4
DATASET_NAME = "First chats"
JOB_NAME = "my first model"
BAD_TOKEN_MESSAGE = (
    'This is not a Hugging Face token: they start with "hf_". Create one at huggingface.co/settings/tokens and paste it whole.'
)


# ---------------------------------------------------------------------------------------------
# Files a newcomer might pick


def chat_jsonl(rows: int = 24) -> bytes:
    lines = [
        {"messages": [{"role": "user", "content": f"What is {i} plus {i}?"}, {"role": "assistant", "content": f"{i} plus {i} is {2 * i}."}]}
        for i in range(1, rows + 1)
    ]
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


def png_bytes() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# What every page visited must pass


AXE_RUN = """async () => {
  const result = await window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] },
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.length,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
      summary: (v.nodes[0] && v.nodes[0].failureSummary || "").split("\\n").slice(0, 3).join(" "),
    }));
}"""

# Anything sticking out past the right edge of the viewport, unless an ancestor that itself fits
# clips or scrolls it (a table in an overflow-x-auto box, the wizard's sideways step list).
OVERFLOW = """() => {
  const vw = window.innerWidth;
  const fitsAndClips = (el) => {
    for (let a = el.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible" && a.getBoundingClientRect().right <= vw + 1) return true;
    }
    return false;
  };
  const describe = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += "#" + e.id;
      const classes = [...e.classList].slice(0, 3);
      if (classes.length) part += "." + classes.join(".");
      const label = e.getAttribute("aria-label");
      if (label) part += `[aria-label="${label}"]`;
      parts.unshift(part);
    }
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    const r = el.getBoundingClientRect();
    return `${parts.join(" > ")} (${Math.round(r.width)}px wide, right edge at ${Math.round(r.right)}px)` + (text ? ` “${text}”` : "");
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= vw + 1) continue;
    if (!fitsAndClips(el)) wide.push(el);
  }
  const outermost = wide.filter((el) => !wide.some((other) => other !== el && other.contains(el)));
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, offenders: outermost.slice(0, 5).map(describe) };
}"""


class Journey:
    """Screenshots, the phone-width check and axe for each step of one run."""

    def __init__(self, page: Page, label: str, folder: Path) -> None:
        if not AXE_JS.exists():
            pytest.fail(f"{AXE_JS} is missing: install the frontend's devDependencies (`npm ci` in frontend/).", pytrace=False)
        self.page = page
        self.label = label
        self.folder = folder
        self.count = 0
        self.phone = (page.viewport_size or DESKTOP)["width"] < 768
        page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript"))

    def check(self, step: str) -> None:
        """Screenshot this step, then hold it to the phone-width and accessibility rules."""
        self.count += 1
        name = f"{self.label}-{self.count:02d}-{step}"
        self.page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        if self.phone:
            self.assert_no_horizontal_scroll(name)
        self.assert_accessible(name)

    def assert_no_horizontal_scroll(self, name: str) -> None:
        found = self.page.evaluate(OVERFLOW)
        assert found["scrollWidth"] <= found["innerWidth"] and not found["offenders"], (
            f"{name}: the page scrolls sideways at {found['innerWidth']} px "
            f"(document {found['scrollWidth']} px wide); too wide: " + "; ".join(found["offenders"])
        )

    def assert_accessible(self, name: str) -> None:
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.add_script_tag(url=AXE_URL)
        violations = self.page.evaluate(AXE_RUN)
        assert not violations, f"{name}: axe finds serious or critical WCAG 2 A/AA violations:\n" + "\n".join(
            f"- {v['id']} ({v['impact']}, {v['nodes']} elements): {v['help']}; first: {', '.join(v['targets'])} — {v['summary']}"
            for v in violations
        )


def open_section(page: Page, name: str) -> None:
    """Follow a link of the main navigation, opening the menu first on a phone."""
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name)
    if not link.is_visible():
        page.get_by_role("button", name="Open menu").click()
    link.click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def fact(container: Locator, term: str) -> Locator:
    """The <dd> after the <dt> named `term` in a description list."""
    return container.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator("xpath=following-sibling::dd[1]")


# ---------------------------------------------------------------------------------------------
# The journey


@pytest.mark.timeout(300)
@pytest.mark.parametrize("viewport", [pytest.param(DESKTOP, id="1280x800"), pytest.param(PHONE, id="390x844")])
def test_newcomers_first_hour(
    viewport: dict[str, int],
    page: Page,
    worker: ManagedProcess,
    new_user: dict[str, str],
    screenshot_folder: Path,
) -> None:
    started = time.monotonic()
    page.set_viewport_size(viewport)
    journey = Journey(page, str(viewport["width"]), screenshot_folder)

    # 1. Register: the rule is said up front, in plain words; a weak password is refused with the reason.
    page.goto("/register")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    password = page.get_by_label("Password")
    expect(password).to_have_accessible_description(PASSWORD_HINT)
    page.get_by_label("Name").fill(new_user["name"])
    page.get_by_label("Email").fill(new_user["email"])
    journey.check("register")

    password.fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("Password must be at least 10 characters; a few unrelated words work well.")
    password.fill("qwertyuiop1")  # long enough, but among the first guesses
    page.get_by_role("button", name="Create account").click()
    # The server's reason, said once, without the validation wrapper around it.
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^This password is too easy to guess\. \S"))
    assert page.locator("body").inner_text().count("too easy to guess") == 1
    expect(page.get_by_text("The request is not valid")).to_have_count(0)
    journey.check("register-weak-password")

    password.fill(new_user["password"])
    page.get_by_role("button", name="Create account").click()

    # 2. The dashboard of a new team: the path ahead, nothing done yet, no jobs, no compute used.
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    path = page.get_by_role("list", name="Getting started")
    steps = path.get_by_role("listitem")
    expect(steps).to_have_count(4)
    for i, title in enumerate(("Upload training data", "Train a model", "Try the model", "Publish it")):
        expect(steps.nth(i)).to_contain_text(title)
    expect(path.get_by_text("done", exact=True)).to_have_count(0)
    expect(steps.nth(0)).to_have_attribute("aria-current", "step")
    expect(page.get_by_text("No jobs in the last 30 days", exact=False)).to_be_visible()
    compute = page.locator("dt", has_text="Compute hours").locator("xpath=..")
    expect(compute).to_contain_text("GPU 0.00 · CPU 0.00")
    journey.check("dashboard-new-team")

    # 3. Datasets: a PDF is named with the reason before anything is sent…
    open_section(page, "Datasets")
    expect(page.get_by_text("No datasets yet")).to_be_visible()
    journey.check("datasets-empty")
    files = page.get_by_label("Files")
    files.set_input_files({"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"})
    expect(page.get_by_text(
        "report.pdf: PDF files can't be read; upload JSONL, JSON, CSV/TSV, Parquet, text, Markdown or a zip of them"
    )).to_be_visible()
    journey.check("datasets-pdf-named")

    # …a PNG renamed .jsonl gets through the browser, and the server refuses it by name…
    files.set_input_files({"name": "photo.jsonl", "mimeType": "application/x-ndjson", "buffer": png_bytes()})
    expect(page.get_by_text("Selected: photo.jsonl", exact=False)).to_be_visible()
    page.get_by_role("button", name="Upload dataset").click()
    expect(page.get_by_role("alert").filter(has_text="photo.jsonl")).to_contain_text(
        "photo.jsonl looks like a PNG image, not a .jsonl file, so the upload was refused and nothing was stored."
    )
    journey.check("datasets-png-refused")

    # …and a small chat JSONL becomes version 1, its format said in words.
    files.set_input_files({"name": "first-chats.jsonl", "mimeType": "application/x-ndjson", "buffer": chat_jsonl()})
    page.get_by_label("Dataset name").fill(DATASET_NAME)
    page.get_by_role("button", name="Upload dataset").click()
    expect(page).to_have_url(re.compile(r"/datasets/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.get_by_role("heading", name=DATASET_NAME, level=1)).to_be_visible()
    v1 = page.get_by_role("navigation", name="Versions").get_by_role("link", name=re.compile(r"^Version 1\b"))
    expect(v1).to_contain_text("Ready")
    summary = page.locator("section").filter(has=page.get_by_role("heading", name="Version 1", level=2))
    expect(summary).to_contain_text("No errors: this version can be used for training.")
    # In words ("OpenAI chat messages (role/content)"), not an identifier like "chat" or "messages_v1".
    expect(fact(summary, "Format")).to_have_text(re.compile(r"^[A-Z][^_]* chat [^_]*$"))
    journey.check("dataset-version-1")

    # 4. The getting-started path ticks the upload and points at training.
    open_section(page, "Dashboard")
    expect(steps.nth(0)).to_contain_text("done")
    expect(steps.nth(1)).to_have_attribute("aria-current", "step")
    journey.check("dashboard-data-done")
    steps.nth(1).get_by_role("link", name="Start a training job").click()

    # 5. The wizard: SFT + LoRA on tiny-llama with the dataset and the quick preset, a few steps.
    expect(page).to_have_url(re.compile(r"/training/new$"))
    expect(page.get_by_role("heading", name="Step 1 of 6: Goal")).to_be_visible()
    page.get_by_label("Supervised fine-tuning (SFT)").check()
    page.get_by_label("LoRA", exact=True).check()
    journey.check("wizard-goal")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Step 2 of 6: Base model")).to_be_visible()
    page.get_by_label("A bundled model").check()
    page.get_by_label("tiny-llama").check()
    journey.check("wizard-base-model")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Step 3 of 6: Dataset")).to_be_visible()
    page.get_by_label(f"{DATASET_NAME} · v1").check()
    journey.check("wizard-dataset")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Step 4 of 6: Settings")).to_be_visible()
    page.get_by_label("Job name (optional)").fill(JOB_NAME)
    page.get_by_label("Quick").check()
    page.get_by_role("button", name="Advanced settings").click()
    page.get_by_label("Max steps").fill(str(MAX_STEPS))
    page.get_by_label("Checkpoint every N steps").fill("2")
    # The base-vs-fine-tuned comparison stays on, on a couple of short answers.
    page.get_by_label("Generation samples").fill("2")
    page.get_by_label("Max new tokens").fill("8")
    expect(page.get_by_label("Compare with the base model")).to_be_checked()
    journey.check("wizard-settings")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Step 5 of 6: Where to run")).to_be_visible()
    expect(page.get_by_label("Local workers")).to_be_checked()
    expect(page.get_by_role("table", name="Memory, time and cost on each target")).to_contain_text("fits")
    journey.check("wizard-where-to-run")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Step 6 of 6: Review")).to_be_visible()
    review = page.get_by_role("region", name="Summary")
    expect(fact(review, "What trains")).to_have_text("SFT of tiny-llama, training a LoRA adapter")
    expect(fact(review, "On what")).to_have_text(f"{DATASET_NAME} · v1 (24 rows)")
    expect(fact(review, "Where")).to_have_text(re.compile(r"^Worker e2e-worker-"))
    expect(fact(review, "How long")).to_have_text(re.compile(rf"^About .+ \({MAX_STEPS} steps\)$"))
    expect(fact(review, "What it costs")).to_have_text("Nothing extra: it runs on your team's own worker")
    expect(page.get_by_label("Spec YAML")).to_contain_text(f"max_steps: {MAX_STEPS}")
    expect(page.get_by_label("Spec YAML")).to_contain_text("method: sft")
    journey.check("wizard-review")
    page.get_by_role("button", name="Launch").click()

    # 6. The job page: what the run is doing while it runs, then finished.
    expect(page).to_have_url(re.compile(r"/training/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name=JOB_NAME, level=1)).to_be_visible()
    expect(page.get_by_role("progressbar", name="Training progress")).to_be_visible()
    # The named phase (loading the model, training, evaluating k of N, saving) under the progress.
    phase = page.get_by_test_id("job-phase")
    status = page.get_by_label("Status", exact=True)
    # A four-step tiny-llama run can finish before the page first shows it running (a fast, idle CI
    # machine): then its phases are read from the log instead of the live phase line.
    expect(phase.or_(status.filter(has_text="succeeded"))).to_be_visible(timeout=60_000)
    if phase.count():
        expect(phase.get_by_role("progressbar", name="Current phase")).to_be_attached()
        assert phase.inner_text().strip(), "the phase line says nothing"
    else:
        expect(page.get_by_text(re.compile(r"Saving the adapter|Evaluating on the held-out rows")).first).to_be_visible()
    journey.check("job-running")
    expect(status).to_have_text("succeeded", timeout=180_000)
    expect(page.get_by_test_id("step-counter")).to_have_text(f"Step {MAX_STEPS} of {MAX_STEPS}")
    expect(phase).to_have_count(0)

    # Evaluation: the scores and the sample answers, base model next to fine-tuned.
    evaluation = page.locator("section").filter(has=page.get_by_role("heading", name="Evaluation", level=2))
    expect(evaluation.get_by_text("Eval loss", exact=True)).to_be_visible()
    expect(evaluation.get_by_role("table", name="Base model vs fine-tuned")).to_be_visible()
    samples = evaluation.get_by_role("list", name="Sample answers").get_by_role("listitem")
    expect(samples).to_have_count(2)
    first = samples.first
    expect(first).to_contain_text(re.compile(r"What is (\d+) plus \1\?"))
    for test_id, title in (("sample-reference", "Reference"), ("sample-base", "Base model"), ("sample-fine-tuned", "Fine-tuned")):
        answer = first.get_by_test_id(test_id)
        expect(answer).to_contain_text(title)
        # On the screen itself, on a phone too: not off to the side behind a sideways scroll.
        box = answer.bounding_box()
        assert box and box["x"] + box["width"] <= viewport["width"] + 1, f"the sample's {title!r} is off the screen ({box})"

    # Files: the result on its own, with one download for all of it; the checkpoints apart, collapsed.
    files_card = page.locator("section").filter(has=page.get_by_role("heading", name="Files", level=2))
    expect(files_card).to_contain_text(re.compile(r"Result: \d+ files"))
    expect(files_card.get_by_role("button", name="Download adapter_model.safetensors")).to_be_visible()
    checkpoints = files_card.locator("details")
    expect(checkpoints.locator("summary")).to_have_text(f"Checkpoints ({MAX_STEPS // 2})")
    expect(files_card.get_by_role("button", name=re.compile(r"^Download .*checkpoint-"))).to_have_count(0)
    journey.check("job-finished")
    with page.expect_download() as download:
        files_card.get_by_role("button", name="Download all (.zip)").click()
    assert download.value.suggested_filename.endswith(".zip"), download.value.suggested_filename
    assert Path(download.value.path()).stat().st_size > 0
    checkpoints.locator("summary").click()
    for step in range(2, MAX_STEPS + 1, 2):
        expect(checkpoints.get_by_role("heading", name=re.compile(rf"^Step {step} · "))).to_be_visible()
    expect(checkpoints.get_by_role("button", name="Download checkpoints/checkpoint-2/adapter_model.safetensors")).to_be_visible()
    journey.check("job-checkpoints-open")

    # 7. Settings: a string that is not a Hugging Face token is refused once, in plain words.
    open_section(page, "Settings")
    page.get_by_label("Hugging Face token").fill("not-a-token")
    page.get_by_role("button", name="Save Hugging Face token").click()
    hf = page.locator("section").filter(has=page.get_by_role("heading", name="Hugging Face token", level=2))
    expect(hf.get_by_role("alert")).to_have_text(BAD_TOKEN_MESSAGE)
    assert page.locator("body").inner_text().count("they start with") == 1
    expect(page.get_by_text("The request is not valid")).to_have_count(0)
    journey.check("settings-bad-token")

    print(f"newcomer journey at {viewport['width']} px took {time.monotonic() - started:.1f} s")


# ---------------------------------------------------------------------------------------------
# The wizard by keyboard alone

# Whether the focused element shows it: an outline (the browser's own ring or the SPA's
# focus-visible outline), or a box-shadow ring that appears with the focus.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { where: "nothing (body)", visible: false, how: "" };
  const label = el.getAttribute("aria-label") || (el.labels && el.labels[0] && el.labels[0].textContent) || el.textContent || "";
  const where = `${el.tagName.toLowerCase()}${el.type ? `[type=${el.type}]` : ""} “${label.trim().replace(/\\s+/g, " ").slice(0, 40)}”`;
  const focused = getComputedStyle(el);
  const outline = focused.outlineStyle !== "none" && parseFloat(focused.outlineWidth) > 0;
  const ring = el.matches(":focus-visible") && focused.boxShadow !== "none" && (() => {
    // A shadow only counts when it is not there without the focus.
    const copy = el.cloneNode(false);
    copy.removeAttribute("id");
    copy.style.position = "absolute";
    copy.style.visibility = "hidden";
    el.parentElement.appendChild(copy);
    const plain = getComputedStyle(copy).boxShadow;
    copy.remove();
    return plain !== focused.boxShadow;
  })();
  return {
    where,
    // tabindex=-1 (the wizard's step heading): a place the SPA moves the focus to, not a control.
    landing: el.tabIndex < 0,
    visible: outline || ring,
    how: `outline ${focused.outlineStyle} ${focused.outlineWidth} ${focused.outlineColor}; box-shadow ${focused.boxShadow}`,
  };
}"""


def press(page: Page, key: str) -> None:
    page.keyboard.press(key)
    focus = page.evaluate(FOCUS)
    assert focus["visible"] or focus["landing"], f"after {key}, the focus on {focus['where']} cannot be seen ({focus['how']})"


def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 150) -> None:
    """Tab (or Shift+Tab) until `target` has the focus; every stop on the way must show its focus."""
    for _ in range(limit):
        press(page, "Shift+Tab" if backwards else "Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of {'Shift+Tab' if backwards else 'Tab'} never reached {target}")


def test_the_wizard_by_keyboard_alone(
    signed_in_page: Page, user: User, api_client: httpx.Client, screenshot_folder: Path
) -> None:
    page = signed_in_page
    me = api_client.get("/api/auth/me", headers=user.headers).json()
    team_id = next(t["id"] for t in me["teams"] if t["personal"])
    response = api_client.post(
        f"/api/teams/{team_id}/datasets",
        headers=user.headers,
        files={"files": ("keyboard.jsonl", chat_jsonl(12), "application/x-ndjson")},
        data={"name": "Keyboard chats"},
    )
    assert response.status_code == 201, response.text

    page.goto("/training/new")
    heading = page.locator("#wizard-step-heading")
    next_button = page.get_by_role("button", name="Next")

    # 1. Goal: the arrow keys move between methods (and choose); back to SFT, LoRA stays.
    expect(heading).to_have_text("Step 1 of 6: Goal")
    sft = page.get_by_label("Supervised fine-tuning (SFT)")
    tab_to(page, sft)
    press(page, "ArrowRight")
    expect(sft).not_to_be_checked()
    press(page, "ArrowLeft")
    expect(sft).to_be_checked()
    press(page, "Tab")
    expect(page.get_by_label("LoRA", exact=True)).to_be_focused()
    expect(page.get_by_label("LoRA", exact=True)).to_be_checked()
    tab_to(page, next_button)
    press(page, "Enter")

    # 2. Base model: the bundled tiny-llama is already chosen; Enter on Next.
    expect(heading).to_have_text("Step 2 of 6: Base model")
    expect(heading).to_be_focused()
    tab_to(page, page.get_by_label("tiny-llama"))
    expect(page.get_by_label("tiny-llama")).to_be_checked()
    tab_to(page, next_button)
    press(page, "Enter")

    # 3. Dataset: Space chooses the version; Next is disabled (out of the tab order) until then.
    expect(heading).to_have_text("Step 3 of 6: Dataset")
    expect(next_button).to_be_disabled()
    version = page.get_by_label("Keyboard chats · v1")
    tab_to(page, version)
    press(page, "Space")
    expect(version).to_be_checked()
    tab_to(page, next_button)
    press(page, "Enter")

    # 4. Settings: open the advanced settings with Space; Shift+Tab reaches Back, Enter goes back.
    expect(heading).to_have_text("Step 4 of 6: Settings")
    advanced = page.get_by_role("button", name="Advanced settings")
    tab_to(page, advanced)
    press(page, "Space")
    expect(page.get_by_role("button", name="Hide advanced settings")).to_have_attribute("aria-expanded", "true")
    tab_to(page, page.get_by_label("Max steps"))
    page.keyboard.type("3")
    tab_to(page, next_button)
    back = page.get_by_role("button", name="Back")
    tab_to(page, back, backwards=True)
    press(page, "Enter")
    expect(heading).to_have_text("Step 3 of 6: Dataset")
    expect(version).to_be_checked()
    tab_to(page, next_button)
    press(page, "Enter")
    expect(heading).to_have_text("Step 4 of 6: Settings")
    expect(page.get_by_label("Max steps")).to_have_value("3")
    tab_to(page, next_button)
    press(page, "Enter")

    # 5. Where to run: the local workers; 6. Review, with the spec the job would run.
    expect(heading).to_have_text("Step 5 of 6: Where to run")
    expect(page.get_by_label("Local workers")).to_be_checked()
    tab_to(page, next_button)
    press(page, "Enter")
    expect(heading).to_have_text("Step 6 of 6: Review")
    expect(page.get_by_label("Spec YAML")).to_contain_text("max_steps: 3")
    launch = page.get_by_role("button", name="Launch")
    tab_to(page, launch)
    expect(launch).to_be_enabled()
    page.screenshot(path=str(screenshot_folder / "1280-keyboard-review-launch-focused.png"))
