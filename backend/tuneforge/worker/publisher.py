"""The worker's publishing: GGUF files, Ollama and the Hugging Face Hub, each checked before the user
finds out (docs/publishing.md).

A publication runs in a thread (conversions and uploads block); it reports progress into the publication
row and stops at its next step when the user cancels (a running conversion is killed). The Hugging Face
token is decrypted here, right before the upload, and given to nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tuneforge.config import get_settings
from tuneforge.credentials import team_service as team_credentials
from tuneforge.credentials.models import CredentialSource, Provider
from tuneforge.jobs.resolve import model_cache_dir, redact
from tuneforge.publishing.models import Publication, PublicationStatus, PublicationTarget
from tuneforge.publishing.service import files_key, slug
from tuneforge.registry.models import ModelVersion
from tuneforge.storage import Storage

log = logging.getLogger("tuneforge.worker.publisher")

CANCEL_POLL_S = 1.0
MIN_OLLAMA_CONTEXT = 2048
GGUF_MIN_NEXT_TOKEN = 0.9  # below this a GGUF does not answer like its model (e.g. ternary types on an ordinary model)


class Cancelled(Exception):
    pass


class Failed(Exception):
    """A publication that cannot be done, with the message the user sees."""


Report = Callable[..., None]


def gguf_available() -> bool:
    from tuneforge.training import gguf

    try:
        gguf.find_converter()
    except Exception:  # noqa: BLE001 — not installed: this worker publishes to the Hub only
        return False
    return True


class Pipelines:
    """What each target does, on a model folder (a version's, or any training output for the CLI):
    `gguf`, `ollama` and `hub` each return the publication's result. They run in a thread; `report`
    raises Cancelled once `stop` is set."""

    def __init__(self, model_cache_dir: Path | None = None) -> None:
        self.model_cache_dir = model_cache_dir

    def _source(self, folder: Path, work: Path, report: Report, result: dict[str, Any]) -> Path:
        """The full model to convert: the version's own folder, or its adapter merged into the base (checked)."""
        from tuneforge.training import gguf

        if not (folder / "adapter_config.json").is_file():
            return folder
        report("merging", "merging the adapter into its base model and checking the logits")
        merge = gguf.merge_and_check(folder, work / "merged", "float32", base_folder=self._base_folder(folder))
        result["merge_check"] = {k: merge[k] for k in ("dtype", "max_abs_logit_diff", "tolerance", "ok", "adapter_effect")
                                 if k in merge}
        if not merge.get("ok"):
            raise Failed(f"The merged model does not match base + adapter (largest logit difference "
                          f"{merge.get('max_abs_logit_diff')}, allowed {merge.get('tolerance')}); nothing was published.")
        return Path(merge["path"])

    def _base_folder(self, folder: Path) -> Path | None:
        from tuneforge.training.loading import resolve_base_model

        try:
            name = json.loads((folder / "adapter_config.json").read_text())["base_model_name_or_path"]
            return resolve_base_model(name, self.model_cache_dir)
        except Exception:  # noqa: BLE001 — gguf finds it by itself, or says why not
            return None

    def _export(self, source: Path, work: Path, name: str, quant_type: str, report: Report, stop: threading.Event,
                index: int, total: int) -> dict[str, Any]:
        from tuneforge.training import gguf

        report("converting", f"converting to GGUF {quant_type} with llama.cpp's converter", index, total)
        exported = gguf.export_gguf(source, work / f"{name}-{quant_type}.gguf", quant_type, should_stop=stop, model_name=name)
        report("verifying", f"loading the {quant_type} GGUF back and comparing its answers with the model's", index, total)
        check = gguf.verify_gguf(source, exported.path, should_stop=stop)
        return {"name": exported.path.name, "quant_type": quant_type, "size_bytes": exported.size, "sha256": exported.sha256,
                "seconds": round(exported.seconds, 1), "verification": {k: v for k, v in check.items() if k != "answers"},
                "answers": check["answers"]}

    def gguf(self, folder: Path, work: Path, options: dict, lineage: dict, report: Report, stop: threading.Event) -> dict:
        from tuneforge.training import gguf

        report("checking", "checking that llama.cpp's converter can convert this model")
        gguf.preflight(folder, base_folder=self._base_folder(folder) if (folder / "adapter_config.json").is_file() else None)
        result: dict[str, Any] = {}
        source = self._source(folder, work, report, result)
        name = slug((lineage.get("job_name") or "model"))
        types = options["quant_types"]
        files = [self._export(source, work, name, t, report, stop, i, len(types)) for i, t in enumerate(types)]
        for file in files:
            file.pop("answers")
        shutil.rmtree(work / "merged", ignore_errors=True)  # only the GGUF files are kept
        result["files"] = files
        result["verification"] = _summary(files)
        return result

    def ollama(self, folder: Path, work: Path, options: dict, lineage: dict, report: Report, stop: threading.Event) -> dict:
        from transformers import AutoTokenizer

        from tuneforge.publishing import ollama
        from tuneforge.training import export, gguf

        url, name = options["url"], options["name"]
        report("checking", f"asking the Ollama server at {url} for its version")
        server_version = ollama.version(url)
        gguf.preflight(folder, base_folder=self._base_folder(folder) if (folder / "adapter_config.json").is_file() else None)
        if ollama.show(url, name) is not None:
            raise Failed(f"The Ollama server already has a model named {name}. Pick another name, or remove it there "
                          f"(`ollama rm {name}`).")
        result: dict[str, Any] = {"server_version": server_version}
        source = self._source(folder, work, report, result)
        exported = self._export(source, work, slug(name.split(":")[0]), options["quant_type"], report, stop, 0, 1)
        # Ollama must answer as this very file does under TuneForge's chat template: the GGUF's own greedy
        # answers (quantisation differences from the original are the GGUF check's business, shown with the file).
        answers = exported.pop("answers")
        expected = [{"answer": a["gguf"], "done_reason": a["gguf_done_reason"]} for a in answers]
        result["files"] = [exported]
        tokenizer = AutoTokenizer.from_pretrained(source)
        shutil.rmtree(work / "merged", ignore_errors=True)
        report("uploading", f"uploading the GGUF to Ollama ({exported['size_bytes']:,} bytes)")
        digest = ollama.push_blob(url, work / exported["name"], digest=f"sha256:{exported['sha256']}")
        num_ctx = _context_length(lineage, source)
        parts = ollama.create_parts(tokenizer, num_ctx=num_ctx, system=options.get("system"))
        report("creating", f"creating {name} on the Ollama server")
        ollama.create(url, name, {"model.gguf": digest}, template=parts["template"], system=parts["system"],
                      parameters=parts["parameters"])
        modelfile = export.ollama_modelfile(tokenizer, from_path=f"./{exported['name']}", system=parts["system"],
                                            parameters={"num_ctx": num_ctx})
        (work / "Modelfile").write_text(modelfile, encoding="utf-8")
        result["files"].append(_file(work / "Modelfile"))
        report("verifying", "asking Ollama the check prompts and comparing with TuneForge's own answers")
        result["verification"] = ollama.verify(url, name, gguf.CHECK_PROMPTS, expected, num_predict=gguf.VERIFY_MAX_NEW_TOKENS)
        result["link"] = f"{name} on {url}"
        result["parameters"] = parts["parameters"]
        return result

    def hub(self, folder: Path, work: Path, options: dict, lineage: dict, token: str, report: Report,
             stop: threading.Event) -> dict:
        from tuneforge.publishing import hub

        result: dict[str, Any] = {}
        upload = folder
        if options.get("weights") == "merged" and (folder / "adapter_config.json").is_file():
            upload = self._source(folder, work, report, result)
        card = hub.hub_model_card(lineage, repo_id=options["repo_id"], what=options.get("weights", "adapter"),
                                  evaluation=lineage.get("evaluation"))
        report("uploading", f"uploading to the Hugging Face Hub as {options['repo_id']}")

        stages = {"token": "checking your Hugging Face token", "repository": f"preparing the repository {options['repo_id']}",
                  "upload": "uploading the files", "commit": "committing the upload"}

        def progress(stage: str, done: int, total: int) -> None:
            report("uploading", stages.get(stage, stage), done if total else None, total or None)

        published = hub.publish_to_hub(endpoint=get_settings().hf_endpoint, token=token, repo_id=options["repo_id"],
                                       folder=upload, private=bool(options.get("private", True)), card=card,
                                       what=options.get("weights", "adapter"), progress=progress, should_stop=stop.is_set)
        shutil.rmtree(work / "merged", ignore_errors=True)
        result.update({"link": published.repo_url or published.url, "commit_url": published.url,
                       "repo_id": published.repo_id, "commit": published.commit_sha,
                       "uploaded": published.files, "private": published.private})
        return result


class Publisher:
    def __init__(self, *, sessionmaker: async_sessionmaker[AsyncSession], storage: Storage, worker_name: str) -> None:
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.worker_name = worker_name
        self.pipelines = Pipelines(model_cache_dir(storage))
        self._db = asyncio.Lock()  # one write at a time, in order: progress never lands after the outcome

    async def publish(self, publication_id: uuid.UUID) -> None:
        async with self.sessionmaker() as session:
            publication = await session.get(Publication, publication_id, with_for_update=True)
            if publication is None or publication.status != PublicationStatus.queued:
                return
            version = await session.get(ModelVersion, publication.version_id)
            publication.status, publication.started_at = PublicationStatus.running, datetime.now(UTC)
            publication.worker_name = self.worker_name
            publication.progress = {"phase": "starting", "message": "starting"}
            target, options, user_id = publication.target, dict(publication.options), publication.user_id
            lineage, folder = dict(version.lineage), self.storage.path(version.output_key)
            token = None
            if target == PublicationTarget.hub:
                # The publisher's own token, else the team's; which one is recorded on the publication.
                secret, source = await team_credentials.resolve_secret(
                    session=session, settings=get_settings(), user_id=user_id, team_id=publication.team_id,
                    provider=Provider.huggingface,
                )
                token = secret["token"] if secret else None
                if source is not None:
                    publication.credential = "yours" if source == CredentialSource.user else "team"
            await session.commit()
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        work = self.storage.path(files_key(publication_id))
        work.mkdir(parents=True, exist_ok=True)

        def report(phase: str, message: str, done: int | None = None, total: int | None = None) -> None:
            if stop.is_set():
                raise Cancelled
            progress = {"phase": phase, "message": message, **({"done": done, "total": total} if total else {})}
            asyncio.run_coroutine_threadsafe(self._save(publication_id, progress=progress), loop).result(timeout=60)

        def run() -> dict[str, Any]:
            if target == PublicationTarget.gguf:
                return self.pipelines.gguf(folder, work, options, lineage, report, stop)
            if target == PublicationTarget.ollama:
                return self.pipelines.ollama(folder, work, options, lineage, report, stop)
            if token is None:
                raise Failed("Your Hugging Face token is no longer saved: add it in Settings, then publish again.")
            return self.pipelines.hub(folder, work, options, lineage, token, report, stop)

        task = asyncio.ensure_future(asyncio.to_thread(run))
        while not task.done():
            await asyncio.wait([task], timeout=CANCEL_POLL_S)
            if not task.done() and await self._cancel_requested(publication_id):
                stop.set()
        try:
            result = task.result()
        except Exception as exc:  # noqa: BLE001 — the user gets the reason
            cancelled = stop.is_set() or isinstance(exc, Cancelled) or type(exc).__name__ == "GGUFCancelled"
            message = None if cancelled else self._explain(exc, token)
            if not cancelled:
                log.warning("publication %s failed: %s", publication_id, type(exc).__name__, exc_info=not isinstance(exc, Failed))
            await self._save(publication_id, status=PublicationStatus.cancelled if cancelled else PublicationStatus.failed,
                             error=message, progress={"phase": "cancelled" if cancelled else "failed",
                                                      "message": "cancelled" if cancelled else "failed"},
                             result=getattr(exc, "result", None))
            self.storage.delete(files_key(publication_id))  # nothing half-made is kept
            return
        status, error = PublicationStatus.succeeded, None
        verification = result.get("verification")
        if target == PublicationTarget.gguf and verification and not verification.get("ok"):
            status = PublicationStatus.failed
            weak = ", ".join(verification["weak_types"])
            error = (f"The {weak} file does not answer like the model it was made from (next-token agreement below "
                     f"{GGUF_MIN_NEXT_TOKEN:.0%}); it is kept for download, but do not serve it. Ternary types (tq1_0, "
                     "tq2_0) suit only models trained for them; use f16 or q8_0.")
        if target == PublicationTarget.ollama and verification and not verification.get("ok"):
            status = PublicationStatus.failed
            error = (f"The model was created on the Ollama server as {options['name']}, but it does not answer like the "
                     f"trained model: {verification['passed']} of {verification['prompts']} check prompts agree. The first "
                     "disagreement is shown side by side; the template or stop tokens may not match training.")
        await self._save(publication_id, status=status, error=error, result=result,
                         progress={"phase": "done", "message": "published" if status == PublicationStatus.succeeded else "check failed"})

    # -- the row ----------------------------------------------------------------------------------

    def _explain(self, exc: BaseException, token: str | None) -> str:
        text = str(exc) if isinstance(exc, Failed) else _plain(exc)
        if token:
            text = text.replace(token, "hf_…")
        return redact(text, self.storage)

    async def _cancel_requested(self, publication_id: uuid.UUID) -> bool:
        async with self._db, self.sessionmaker() as session:
            publication = await session.get(Publication, publication_id)
            return publication is None or publication.cancel_requested

    async def _save(self, publication_id: uuid.UUID, *, progress: dict | None = None, status: PublicationStatus | None = None,
                    error: str | None = None, result: dict | None = None) -> None:
        async with self._db, self.sessionmaker() as session:
            publication = await session.get(Publication, publication_id, with_for_update=True)
            if publication is None:
                return
            if publication.status.terminal and status is None:
                return
            if progress is not None:
                publication.progress = progress
            if result is not None:
                publication.result = result
            if status is not None:
                publication.status, publication.error, publication.finished_at = status, error, datetime.now(UTC)
            await session.commit()


def _context_length(lineage: dict, folder: Path) -> int:
    """Ollama's num_ctx: what the model was trained on, but never below a usable chat window (2,048 tokens:
    a model trained on short rows still reads its whole context) nor above the model's own context."""
    trained = int(((lineage.get("spec") or {}).get("data") or {}).get("max_length") or 0)
    try:
        native = int(json.loads((folder / "config.json").read_text()).get("max_position_embeddings") or 0)
    except (OSError, ValueError):
        native = 0
    wanted = max(trained, MIN_OLLAMA_CONTEXT)
    return min(wanted, native) if native else wanted


def _file(path: Path) -> dict[str, Any]:
    from tuneforge.training.gguf import sha256_of

    return {"name": path.name, "quant_type": None, "size_bytes": path.stat().st_size, "sha256": sha256_of(path)}


def _summary(files: list[dict]) -> dict[str, Any]:
    """One line per GGUF type, and the weakest one on top (what the history shows)."""
    checks = {f["quant_type"]: f["verification"] for f in files if f.get("verification")}
    worst = min(checks.values(), key=lambda c: (c.get("agree", 0), c.get("next_token_agreement", 0)))
    # Greedy answers part ways for good at the first different token, so "agree" understates a good
    # quantisation; next-token agreement along the original's answers is what says a file is sound.
    weak = sorted(t for t, c in checks.items() if c.get("next_token_agreement", 0) < GGUF_MIN_NEXT_TOKEN or not c.get("tokens_match"))
    return {**worst, "by_type": checks, "ok": not weak, "weak_types": weak}


def _plain(exc: BaseException) -> str:
    """Errors the publishing code raises already say what to do; anything else is named plainly."""
    module = type(exc).__module__
    if module.startswith("tuneforge."):
        return str(exc)
    return f"Publishing failed: {type(exc).__name__}: {exc}"
