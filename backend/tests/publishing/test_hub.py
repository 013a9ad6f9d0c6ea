"""Publishing to the Hugging Face Hub: the real `huggingface_hub` client against the loopback Hub
(tuneforge.testing.fake_hub), which checks tokens, write access, ownership, LFS uploads and commits.

Adapter and merged folders of tiny-llama are published and read back (and loaded back: the uploaded files
give the same logits as the originals); the card is checked section by section; every error path
gives its plain-words message, and the token appears in none of them nor in the logs."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import uuid
from pathlib import Path

import pytest
import yaml

from tuneforge.publishing.hub import (
    HubPublishCancelled,
    HubPublishError,
    hub_model_card,
    license_from_folder,
    publish_to_hub,
    publishable_files,
)
from tuneforge.registry.schemas import Lineage
from tuneforge.testing.fake_hub import FakeHub

from .conftest import make_adapter

TOKEN = "hf_alicewrite0123456789abcdef"
READ_TOKEN = "hf_aliceread0123456789abcdef"
SCOPED_TOKEN = "hf_alicescoped0123456789abcd"  # fine-grained, no repo.write
BOB_TOKEN = "hf_bobwrite0123456789abcdefgh"
DATA_SHA = "5e1f" * 16
BASE_SHA = "c0ff" * 16
JUNK = {  # what a training output folder holds besides the weights: none of it may leave
    "checkpoints/checkpoint-5/optimizer.pt": b"\x00optimizer",
    "checkpoints/checkpoint-5/adapter_model.safetensors": b"\x00old weights",
    "optimizer.pt": b"\x00optimizer state",
    "scheduler.pt": b"\x00scheduler",
    "rng_state.pth": b"\x00rng",
    "trainer_state.json": b'{"log_history": []}',
    "training_args.bin": b"\x00args",
    "train.log": b"loading /srv/tuneforge/storage/datasets/secret.jsonl\n",
    "spec.json": b'{"output_dir": "/srv/tuneforge/storage/jobs/1/output"}',
    "metrics.json": b'{"files": {"weights": "/srv/tuneforge/storage/jobs/1/output"}}',
    "evaluation.json": b'{"samples": [{"prompt": "private question"}]}',
    "README.md": b"---\nbase_model: /srv/tuneforge/cache/tiny-llama\n---\n# peft's own card\n",
}


@pytest.fixture(autouse=True)
def no_xet(monkeypatch):
    """The loopback Hub has no Xet storage: LFS files go through the LFS batch API (both flags are read
    per call). Telemetry off: the client would otherwise fetch an "agent harnesses" list from huggingface.co
    when it first builds its User-Agent."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_TELEMETRY", True)


@pytest.fixture
def hub():
    fake = FakeHub(
        tokens={TOKEN: "alice", READ_TOKEN: {"user": "alice", "write": False},
                SCOPED_TOKEN: {"user": "alice", "scoped": {"alice": ["repo.content.read"]}}, BOB_TOKEN: "bob"},
        orgs={"acme": {"alice": "write"}, "umbrella": {"alice": "read"}},
        repos={"bob/taken": {"private": False, "files": {"README.md": b"# bob's model\n"}}},
    )
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def log_text(caplog):
    """Everything huggingface_hub, httpx and TuneForge log at DEBUG while the test runs."""
    loggers = [logging.getLogger(name) for name in ("huggingface_hub", "httpx", "httpx2", "tuneforge")]
    previous = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(caplog.handler)
        lg.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield lambda: caplog.text
    for lg, level in previous:
        lg.removeHandler(caplog.handler)
        lg.setLevel(level)


def _with_junk(folder: Path) -> Path:
    for name, content in JUNK.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


@pytest.fixture(scope="module")
def adapter_folder(tiny_llama, tmp_path_factory) -> Path:
    folder = make_adapter(tiny_llama, tmp_path_factory.mktemp("hub") / "output", seed=3)
    return _with_junk(folder)


@pytest.fixture(scope="module")
def merged_folder(tiny_llama, adapter_folder, tmp_path_factory) -> Path:
    from tuneforge.training.export import merge_lora

    folder = merge_lora(tiny_llama, adapter_folder, tmp_path_factory.mktemp("hub") / "merged")
    return _with_junk(folder)


def lineage(reference: str = "tiny-llama", *, datasets: list[dict] | None = None) -> dict:
    """A version's lineage as the registry stores it (validated by the real schema)."""
    return Lineage.model_validate({
        "job_id": str(uuid.uuid4()), "job_name": "support bot sft",
        "base_model": {"reference": reference, "kind": "bundled", "files_sha256": {"model.safetensors": BASE_SHA}},
        "datasets": datasets if datasets is not None else [
            {"dataset_name": "support-chats", "version_id": str(uuid.uuid4()), "version_number": 3, "weight": 1.0,
             "file": "storage:datasets/abc/v3/train.jsonl", "file_sha256": DATA_SHA}],
        "spec": {"method": "sft", "adapter": "lora", "base_model": reference, "seed": 7,
                 "hyperparameters": {"epochs": 3.0, "learning_rate": 0.0002, "batch_size": 8, "gradient_accumulation": 2,
                                     "scheduler": "cosine", "warmup_ratio": 0.05, "precision": "fp32"},
                 "lora": {"rank": 8, "alpha": 16.0, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]},
                 "data": {"max_length": 512, "packing": False, "loss_on": "assistant", "chat_template": "auto",
                          "sources": [{"path": "storage:datasets/abc/v3/train.jsonl", "weight": 1.0}]},
                 "output_dir": "storage:jobs/1/output"},
        "libraries": {"torch": "2.13.0", "transformers": "5.23.0", "peft": "0.21.0", "trl": "1.16.0"},
        "hardware": {"executor": "local", "device_type": "cpu"}, "duration_s": 84.2,
        "metrics": {"steps": 30, "first_loss": 3.91, "final_loss": 1.234, "eval_loss": 1.5, "perplexity": 4.48,
                    "files": {"weights": "/srv/tuneforge/storage/jobs/1/output"}},
        "evaluation": {"summary": {"eval_loss": 1.5, "base_eval_loss": 2.25, "perplexity": 4.48, "base_perplexity": 9.49,
                                   "fine_tuned": {"rougeL": 0.61, "token_f1": 0.55},
                                   "base": {"rougeL": 0.21, "token_f1": 0.18}, "generation_samples": 16},
                       "samples": [{"prompt": "a private question from the data", "fine_tuned": "an answer"}]},
    }).model_dump(mode="json")


def publish(hub: FakeHub, folder: Path, *, what: str = "adapter", repo_id: str = "alice/support-bot", token: str = TOKEN,
            private: bool = False, card: str | None = None, **kwargs):
    card = card or hub_model_card(lineage(), repo_id=repo_id, what=what, evaluation=None)
    return publish_to_hub(endpoint=hub.url, token=token, repo_id=repo_id, folder=folder, private=private, card=card,
                          what=what, **kwargs)


def _read_back(hub: FakeHub, repo_id: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, content in hub.repo(repo_id)["files"].items():
        (out / name).write_bytes(content)
    return out


def _logits(model, tokenizer):
    import torch

    ids = tokenizer("the cat sat on the mat", return_tensors="pt")
    with torch.no_grad():
        return model(**ids).logits


# -- adapter and merged -------------------------------------------------------------------------------------


def test_an_adapter_is_published_with_its_card_and_nothing_else(hub, adapter_folder, tiny_llama, tmp_path, log_text):
    from huggingface_hub import HfApi

    steps = []
    card = hub_model_card(lineage(), repo_id="alice/support-bot", what="adapter", evaluation=None)
    result = publish(hub, adapter_folder, card=card, progress=lambda *a: steps.append(a))

    repo = hub.repo("alice/support-bot")
    assert result.repo_id == "alice/support-bot" and result.created and result.private is False
    assert result.commit_sha == repo["sha"] and result.url == f"{hub.url}/alice/support-bot/commit/{repo['sha']}"
    adapter_files = {"README.md", "adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
                     "tokenizer_config.json", "chat_template.jinja"}
    assert set(result.files) == adapter_files
    assert set(repo["files"]) == adapter_files | {".gitattributes"}  # the Hub's own, from creation
    assert set(HfApi(endpoint=hub.url, token=TOKEN).list_repo_files("alice/support-bot")) == set(repo["files"])
    assert {"checkpoints/", "optimizer.pt", "spec.json", "metrics.json", "evaluation.json", "train.log",
            "trainer_state.json", "training_args.bin"} <= set(result.skipped)
    # One commit; the weights went through LFS (binary), the small text files inline.
    assert [c["summary"] for c in repo["commits"]] == ["initial commit", "Publish LoRA adapter from TuneForge"]
    weights = (adapter_folder / "adapter_model.safetensors").read_bytes()
    assert repo["lfs"] == {"adapter_model.safetensors": hashlib.sha256(weights).hexdigest()}
    assert repo["files"]["adapter_model.safetensors"] == weights
    assert repo["files"]["README.md"].decode() == card
    # No server path leaves: adapter_config names the base, not the folder it was loaded from.
    config = json.loads(repo["files"]["adapter_config.json"])
    assert config["base_model_name_or_path"] == "tiny-llama"
    for name, content in repo["files"].items():
        assert str(tiny_llama).encode() not in content and b"/srv/" not in content, name
        assert str(adapter_folder).encode() not in content, name
    # Progress: token, repository, upload (bytes, growing to the total), commit.
    assert [s[0] for s in steps if s[0] != "upload"] == ["token", "token", "repository", "repository", "commit", "commit"]
    uploads = [s for s in steps if s[0] == "upload"]
    assert uploads[0][1] == 0 and uploads[-1][1] == uploads[-1][2] > 0
    assert all(a[1] <= b[1] for a, b in zip(uploads, uploads[1:]))
    # The LFS PUT went to the one-time upload URL without the token (like a presigned URL).
    assert [r["authorization"] for r in hub.requests if r["method"] == "PUT"] == [""]
    assert TOKEN not in log_text()

    # What was uploaded loads: base + the published adapter = base + the original adapter.
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    published = _read_back(hub, "alice/support-bot", tmp_path / "published")
    tokenizer = AutoTokenizer.from_pretrained(published)
    original = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_llama), adapter_folder)
    loaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_llama), published)
    assert (_logits(loaded, tokenizer) - _logits(original, tokenizer)).abs().max() == 0


def test_a_merged_model_is_published_as_a_plain_transformers_model(hub, merged_folder, tmp_path):
    result = publish(hub, merged_folder, what="merged", repo_id="alice/support-bot-merged")
    repo = hub.repo("alice/support-bot-merged")
    merged_files = {"README.md", "config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                    "tokenizer_config.json", "chat_template.jinja"}
    assert set(result.files) == merged_files and set(repo["files"]) == merged_files | {".gitattributes"}
    assert not any(name.startswith(("adapter_", "checkpoints")) for name in repo["files"])
    assert set(repo["lfs"]) == {"model.safetensors"}
    assert repo["commits"][-1]["summary"] == "Publish merged model from TuneForge"
    meta = yaml.safe_load(repo["files"]["README.md"].decode().split("---")[1])
    assert meta["library_name"] == "transformers" and "merged" in meta["tags"]

    from transformers import AutoModelForCausalLM, AutoTokenizer

    published = _read_back(hub, "alice/support-bot-merged", tmp_path / "published")
    tokenizer = AutoTokenizer.from_pretrained(published)
    original = _logits(AutoModelForCausalLM.from_pretrained(merged_folder), tokenizer)
    assert (_logits(AutoModelForCausalLM.from_pretrained(published), tokenizer) - original).abs().max() == 0


def test_adapter_and_merged_folders_are_told_apart(adapter_folder, merged_folder):
    files, skipped = publishable_files(adapter_folder, "adapter")
    assert "adapter_model.safetensors" in [f.name for f in files] and "README.md" not in skipped
    with pytest.raises(HubPublishError, match="merge it into its base first") as info:
        publishable_files(adapter_folder, "merged")
    assert info.value.kind == "bad_folder"
    with pytest.raises(HubPublishError, match="no LoRA adapter to publish") as info:
        publishable_files(merged_folder, "adapter")
    assert info.value.kind == "bad_folder"


# -- visibility and ownership --------------------------------------------------------------------------------


def test_the_private_flag_is_kept_and_an_existing_own_repository_is_updated(hub, adapter_folder):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    first = publish(hub, adapter_folder, repo_id="alice/secret-bot", private=True)
    assert first.private and first.created and hub.repo("alice/secret-bot")["private"] is True
    assert HfApi(endpoint=hub.url, token=TOKEN).repo_info("alice/secret-bot").private is True
    with pytest.raises(RepositoryNotFoundError):  # bob cannot see it
        HfApi(endpoint=hub.url, token=BOB_TOKEN).repo_info("alice/secret-bot")

    # Publishing again to one's own repository updates it (no error, same visibility) ...
    again = publish(hub, adapter_folder, repo_id="alice/secret-bot", private=True)
    assert not again.created and again.private and again.commit_sha == hub.repo("alice/secret-bot")["sha"]
    # ... but never silently turns a private repository public, nor the reverse.
    with pytest.raises(HubPublishError, match="already exists and is private, but this publication is public") as info:
        publish(hub, adapter_folder, repo_id="alice/secret-bot", private=False)
    assert info.value.kind == "visibility"
    assert hub.repo("alice/secret-bot")["private"] is True


def test_an_organisation_the_user_can_write_to_is_theirs(hub, adapter_folder):
    result = publish(hub, adapter_folder, repo_id="acme/support-bot")
    assert result.repo_id == "acme/support-bot" and hub.repo("acme/support-bot")["commits"][-1]["by"] == "alice"
    # A bare name goes to the token's user.
    assert publish(hub, adapter_folder, repo_id="bare-name").repo_id == "alice/bare-name"


# -- the card ------------------------------------------------------------------------------------------------------


def _front(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("\n---\n", 1)[0].removeprefix("---\n"))


def test_the_card_has_the_lineage_metrics_and_how_to_load_it():
    card = hub_model_card(lineage("SmolLM2-135M-Instruct"), repo_id="alice/support-bot", what="adapter", evaluation=None)
    meta = _front(card)
    assert meta["license"] == "apache-2.0"  # the bundled SmolLM2's
    assert meta["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert meta["library_name"] == "peft" and meta["pipeline_tag"] == "text-generation"
    assert meta["tags"][:2] == ["tuneforge", "sft"] and "lora" in meta["tags"]
    assert "datasets" not in meta  # TuneForge datasets are not Hub ids
    for heading in ("## Base model", "## Training data", "## Method and hyperparameters", "## Results",
                    "### Evaluation on held-out prompts", "## Intended use and limitations", "## How to use",
                    "## Trained with TuneForge"):
        assert f"\n{heading}\n" in card, heading
    assert "(https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct)" in card and BASE_SHA in card
    assert f"| support-chats | v3 | 1 | `{DATA_SHA}` |" in card
    for row in ("| learning rate | 0.0002 |", "| epochs | 3 |", "| batch size | 8 |", "| scheduler | cosine |",
                "| LoRA rank | 8 |", "| LoRA alpha | 16 |", "| LoRA target modules | q_proj, v_proj |", "| seed | 7 |",
                "| max length | 512 |"):
        assert row in card, row
    assert "- final training loss: 1.234" in card and "- training steps: 30" in card
    assert "| metric | base model | fine-tuned | change |" in card
    assert "| rougeL | 0.21 | 0.61 | +0.4 |" in card and "| held-out loss (lower is better) | 2.25 | 1.5 | -0.75 |" in card
    assert 'base = AutoModelForCausalLM.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")' in card
    assert 'model = PeftModel.from_pretrained(base, "alice/support-bot")' in card
    assert 'AutoTokenizer.from_pretrained("alice/support-bot")' in card
    assert "torch 2.13.0" in card and "support bot sft" in card
    # Nothing private: no server paths, no storage keys, no evaluation samples.
    assert "/srv/" not in card and "storage:" not in card and "private question" not in card


def test_a_merged_card_loads_with_transformers_and_unknown_licences_are_said_so():
    card = hub_model_card(lineage("tiny-llama"), repo_id="alice/tiny-merged", what="merged", evaluation=None)
    meta = _front(card)
    assert "license" not in meta and "base_model" not in meta  # tiny-llama is not on the Hub and states none
    assert meta["library_name"] == "transformers"
    assert "licence: not stated by the base model" in card
    assert 'model = AutoModelForCausalLM.from_pretrained("alice/tiny-merged")' in card and "PeftModel" not in card
    # Only the fine-tuned numbers when the evaluation has no base side; a licence the caller knows is used.
    only_tuned = {"summary": {"eval_loss": 1.5, "fine_tuned": {"bleu": 12.5}}}
    imported = lineage()  # `hub_id`: not in the stored Lineage yet; a dataset imported from the Hub could carry it
    imported["datasets"] = [{"version_id": str(uuid.uuid4()), "hub_id": "tuneforge/tiny-chat"}]
    card = hub_model_card(imported, repo_id="alice/x", what="adapter", evaluation=only_tuned, license="mit")
    assert "| metric | fine-tuned |" in card and "| bleu | 12.5 |" in card and "base model | fine-tuned" not in card
    assert _front(card)["license"] == "mit" and _front(card)["datasets"] == ["tuneforge/tiny-chat"]
    assert "| tuneforge/tiny-chat | unknown | 1 | not recorded |" in card


def test_the_licence_is_read_from_a_base_model_folder(tmp_path):
    (tmp_path / "README.md").write_text("---\nlicense: llama3.2\ntags: [x]\n---\n# base\n")
    assert license_from_folder(tmp_path) == "llama3.2"
    assert license_from_folder(tmp_path / "missing") is None


# -- errors in plain words --------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", ["invalid", "read_only", "scoped", "not_yours", "foreign_namespace", "read_org",
                                  "rate_limited", "rate_limited_commit", "unreachable"])
def test_each_error_is_explained_in_plain_words_without_the_token(case, hub, adapter_folder, log_text):
    token, repo_id, endpoint = TOKEN, "alice/support-bot", hub.url
    expected = {
        "invalid": ("token_invalid", "Add a new token in Settings"),
        "read_only": ("token_read_only", "create a token with write access at huggingface.co/settings/tokens"),
        "scoped": ("token_read_only", "create a token with write access at huggingface.co/settings/tokens"),
        "not_yours": ("not_yours", "The repository bob/taken exists and is not yours: pick another name "
                                   "(for example alice/taken)"),
        "foreign_namespace": ("not_yours", "is not yours to create: pick another name (for example alice/fresh)"),
        "read_org": ("not_yours", "is not yours to create: pick another name"),
        "rate_limited": ("rate_limited", "The Hub is limiting requests; try again in 3 minutes"),
        "rate_limited_commit": ("rate_limited", "The Hub is limiting requests; try again in 1 minute"),
        "unreachable": ("unreachable", "Cannot reach the Hub at http://127.0.0.1:"),
    }[case]
    if case == "invalid":
        token = "hf_revoked0123456789abcdefgh"
    elif case == "read_only":
        token = READ_TOKEN
    elif case == "scoped":
        token = SCOPED_TOKEN
    elif case == "not_yours":
        repo_id = "bob/taken"
    elif case == "foreign_namespace":
        repo_id = "bob/fresh"
    elif case == "read_org":
        repo_id = "umbrella/fresh"
    elif case == "rate_limited":
        hub.limit_rate(150)
    elif case == "rate_limited_commit":
        hub.limit_rate(30, path_contains="/commit/")
    elif case == "unreachable":
        endpoint = f"http://127.0.0.1:{_closed_port()}"

    card = hub_model_card(lineage(), repo_id=repo_id, what="adapter", evaluation=None)
    with pytest.raises(HubPublishError) as info:
        publish_to_hub(endpoint=endpoint, token=token, repo_id=repo_id, folder=adapter_folder, private=False,
                       card=card, what="adapter")
    error = info.value
    assert error.kind == expected[0] and expected[1] in str(error), str(error)
    if case.startswith("rate_limited"):
        assert error.retry_after == (150 if case == "rate_limited" else 30)
    # The token is nowhere: message, args, chained exceptions, logs.
    assert token not in str(error) and token not in repr(error.args) and error.__cause__ is None
    assert token not in log_text()
    # Nothing was written where it must not be.
    assert hub.repo("bob/taken")["files"] == {".gitattributes": hub.repo("bob/taken")["files"][".gitattributes"],
                                              "README.md": b"# bob's model\n"}
    if case == "rate_limited_commit":  # the repository was created, the files sent, but nothing committed
        assert [c["summary"] for c in hub.repo(repo_id)["commits"]] == ["initial commit"]
    elif repo_id in hub.repos and case != "not_yours":
        pytest.fail(f"{repo_id} was created although publishing failed early ({case})")


def test_cancelling_stops_before_the_commit(hub, adapter_folder):
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 3  # after a few files

    with pytest.raises(HubPublishCancelled, match="was cancelled before uploading .*; nothing was committed"):
        publish(hub, adapter_folder, should_stop=should_stop)
    assert [c["summary"] for c in hub.repo("alice/support-bot")["commits"]] == ["initial commit"]


def test_a_hub_that_takes_every_file_inline_works_too(adapter_folder, monkeypatch):
    """upload_mode="regular": no LFS at all, so a client with Xet enabled works against the fake too."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", False)
    fake = FakeHub(tokens={TOKEN: "alice"}, upload_mode="regular")
    fake.start()
    try:
        result = publish(fake, adapter_folder)
        repo = fake.repo("alice/support-bot")
        assert repo["lfs"] == {} and repo["files"]["adapter_model.safetensors"] == \
            (adapter_folder / "adapter_model.safetensors").read_bytes()
        assert result.commit_sha == repo["sha"]
        assert not [r for r in fake.requests if "lfs" in r["path"] or "xet" in r["path"]]
    finally:
        fake.stop()


def test_bad_names_and_cards_are_refused_before_any_request(hub, adapter_folder):
    with pytest.raises(HubPublishError, match="not a valid Hub repository name") as info:
        publish(hub, adapter_folder, repo_id="alice/bad name!")
    assert info.value.kind == "bad_name"
    with pytest.raises(HubPublishError, match="no valid YAML front matter") as info:
        publish(hub, adapter_folder, card="# no front matter\n")
    assert info.value.kind == "bad_card"
    assert hub.requests == []
