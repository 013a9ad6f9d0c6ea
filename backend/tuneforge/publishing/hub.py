"""Publishing a model version to the Hugging Face Hub, with a model card built from its lineage.

    publish_to_hub(endpoint=, token=, repo_id=, folder=, private=, card=, what=, progress=, should_stop=)
        whoami (token valid? write access? whose namespace?) -> create the repository (an existing one only
        when it is the caller's own) -> upload the publishable files one by one (LFS/Xet as the Hub says)
        -> one commit with README.md = the card. Returns a `HubResult`.
    hub_model_card(lineage, repo_id=, what=, evaluation=)   the README.md text (YAML front matter + sections)
    publishable_files(folder, what)                          which files of a folder would be uploaded

The real `huggingface_hub.HfApi` does the talking (synchronous: the worker calls this in a thread).
Tests point it at `tuneforge.testing.fake_hub`, which has no Xet storage: they disable Xet
(`huggingface_hub.constants.HF_HUB_DISABLE_XET = True`) so binary files go through the LFS batch API.

Every failure is a `HubPublishError` whose message says what happened and what to do; `kind` names the
case for the caller. The token never appears in messages, logs or results.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import yaml

from tuneforge.errors import AppError

log = logging.getLogger(__name__)

TOKENS_PAGE = "huggingface.co/settings/tokens"
COMMIT_MESSAGE = {"adapter": "Publish LoRA adapter from TuneForge", "merged": "Publish merged model from TuneForge"}

# Bundled base models: their Hub id (for `base_model:` and loading snippets) and licence.
BUNDLED_HUB_IDS = {"SmolLM2-135M-Instruct": "HuggingFaceTB/SmolLM2-135M-Instruct"}
BUNDLED_LICENSES = {"SmolLM2-135M-Instruct": "apache-2.0", "HuggingFaceTB/SmolLM2-135M-Instruct": "apache-2.0"}

# What leaves the server: an allow-list of top-level files. Checkpoints (checkpoints/), optimizer and
# scheduler states, training logs, spec.json/metrics.json/evaluation.json (server paths, the user's data),
# the merged/ subfolder and anything unexpected stay home.
TOKENIZER_FILES = frozenset({
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json",
    "vocab.txt", "merges.txt", "tokenizer.model", "spiece.model", "chat_template.jinja", "chat_template.json",
})
ADAPTER_FILES = frozenset({"adapter_config.json", "adapter_model.safetensors"})
MERGED_FILES = frozenset({"config.json", "generation_config.json", "model.safetensors", "model.safetensors.index.json"})
_SHARD = re.compile(r"^model-\d{5}-of-\d{5}\.safetensors$")
# JSON files whose "where it came from" entries may hold server paths; rewritten before upload.
_BASE_KEYS = {"adapter_config.json": "base_model_name_or_path", "config.json": "_name_or_path",
              "tokenizer_config.json": "name_or_path"}
ADAPTER_LABELS = {"lora": "LoRA", "qlora": "QLoRA", "full": "full"}
_REPO_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")


class HubPublishError(AppError):
    """Publishing failed; the message says why and what to do. `kind`: token_invalid, token_read_only,
    not_yours, visibility, rate_limited, unreachable, offline, bad_folder, bad_name, bad_card,
    cancelled, hub_error."""

    status_code = 502

    def __init__(self, message: str, *, kind: str = "hub_error", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


class HubPublishCancelled(HubPublishError):
    def __init__(self, message: str) -> None:
        super().__init__(message, kind="cancelled")


@dataclass(frozen=True)
class HubResult:
    url: str  # the commit's page on the Hub
    repo_id: str
    commit_sha: str
    files: list[str]  # paths in the repository this commit wrote (README.md included)
    private: bool
    repo_url: str = ""
    created: bool = False  # False: the caller's existing repository was updated
    skipped: list[str] = field(default_factory=list)  # files of the folder that were not published


# -- which files ------------------------------------------------------------------------------------------


def publishable_files(folder: str | Path, what: Literal["adapter", "merged"]) -> tuple[list[Path], list[str]]:
    """(files to upload, names left out) of a training output folder; raises HubPublishError when the
    folder does not hold what `what` says."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HubPublishError(f"The folder to publish does not exist ({folder.name}); publish from a finished version.",
                              kind="bad_folder")
    names = {p.name for p in folder.iterdir()}
    if what == "adapter":
        wanted = ADAPTER_FILES | TOKENIZER_FILES
        missing = sorted(ADAPTER_FILES - names)
        if missing:
            raise HubPublishError(
                f"This version has no LoRA adapter to publish ({', '.join(missing)} missing): it was trained in "
                "full. Publish its merged/full weights instead.", kind="bad_folder")
    elif what == "merged":
        shards = {n for n in names if _SHARD.match(n)}
        wanted = MERGED_FILES | TOKENIZER_FILES | shards
        if "config.json" not in names:
            hint = ("it is a LoRA adapter: merge it into its base first" if "adapter_config.json" in names
                    else "publish a finished version's weights")
            raise HubPublishError(f"This folder holds no full model (config.json missing): {hint}.", kind="bad_folder")
        if "model.safetensors" not in names:
            index = folder / "model.safetensors.index.json"
            if not index.is_file():
                raise HubPublishError("This folder has no safetensors weights (model.safetensors): only safetensors "
                                      "are published. Merge or save the model again.", kind="bad_folder")
            needed = set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values())
            if needed - names:
                raise HubPublishError(f"The weights are incomplete ({', '.join(sorted(needed - names))} missing): "
                                      "merge or save the model again.", kind="bad_folder")
    else:
        raise HubPublishError(f"Unknown kind of weights {what!r}: publish 'adapter' or 'merged'.", kind="bad_folder")
    files, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name in wanted and not path.is_symlink() and path.is_file():
            files.append(path)
        elif path.name != "README.md":  # replaced by the generated card
            skipped.append(path.name + ("/" if path.is_dir() else ""))
    return files, skipped


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", "~", "\\\\", "./", "../")) or bool(re.match(r"^[A-Za-z]:[\\/]", value))


def _scrub(value: Any, base_id: str | None) -> Any:
    """Server paths in a JSON value: a base-model entry becomes the base's Hub id, any other its last part."""
    if isinstance(value, dict):
        return {k: _scrub(v, base_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, base_id) for v in value]
    if isinstance(value, str) and _looks_like_path(value):
        return Path(value.replace("\\", "/")).name
    return value


def _prepared_json(path: Path, base_id: str | None) -> bytes | None:
    """The file's content to upload when it must change (server paths out), else None."""
    if not path.name.endswith(".json") or path.stat().st_size > 5_000_000 or path.name == "tokenizer.json":
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    cleaned = _scrub(data, base_id)
    key = _BASE_KEYS.get(path.name)
    if isinstance(cleaned, dict) and key and isinstance(data.get(key), str):
        original = data[key]
        if base_id and (path.name == "adapter_config.json" or _looks_like_path(original)):
            cleaned[key] = base_id
    if cleaned == data:
        return None
    return (json.dumps(cleaned, indent=2, ensure_ascii=False) + "\n").encode()


def _card_base_model(card: str) -> str | None:
    front = _front_matter(card)
    try:
        meta = yaml.safe_load(front) if front else None
    except yaml.YAMLError:
        return None
    base = (meta or {}).get("base_model") if isinstance(meta, dict) else None
    if isinstance(base, list):
        base = base[0] if base else None
    return base if isinstance(base, str) else None


def _front_matter(text: str) -> str | None:
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---", 4)
    return text[4:end] if end != -1 else None


# -- errors in plain words ---------------------------------------------------------------------------------


def _shown_endpoint(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else ""))) if parts.hostname else endpoint


def _minutes(seconds: int | None) -> str:
    if seconds is None:
        return "a few minutes"
    n = max(1, math.ceil(seconds / 60))
    return f"{n} minute" + ("s" if n != 1 else "")


def _retry_after(response) -> int | None:
    from huggingface_hub.utils import parse_ratelimit_headers

    value = (response.headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return int(value)
    info = parse_ratelimit_headers(response.headers)
    return info.reset_in_seconds if info is not None else None


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


class _Context:
    def __init__(self, *, endpoint: str, token: str, repo_id: str) -> None:
        self.endpoint, self.token, self.repo_id = endpoint, token, repo_id

    def clean(self, text: str) -> str:
        return text.replace(self.token, "[token]") if self.token else text

    def explain(self, exc: BaseException, doing: str) -> HubPublishError:
        """The plain-words error for something the client raised while `doing` (e.g. "uploading")."""
        from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

        where = _shown_endpoint(self.endpoint)
        for e in _chain(exc):
            if isinstance(e, HubPublishError):
                return e
            if isinstance(e, OfflineModeIsEnabled):
                return HubPublishError("This server runs with HF_HUB_OFFLINE=1, so it cannot publish to the Hub: "
                                       "unset it for the worker and publish again.", kind="offline")
            if isinstance(e, HfHubHTTPError) and getattr(e, "response", None) is not None:
                return self._http(e, doing)
        for e in _chain(exc):
            if isinstance(e, ValueError) and "Invalid metadata in README.md" in str(e):
                return HubPublishError("The Hub refused the model card's metadata: " + self.clean(str(e)).split("\n", 1)[-1]
                                       + " Report this to the TuneForge administrators.", kind="bad_card")
        for e in _chain(exc):
            if _is_network(e):
                return HubPublishError(f"Cannot reach the Hub at {where} while {doing}: check this server's network "
                                       "connection, proxy and the Hub endpoint setting, then publish again.",
                                       kind="unreachable")
        return HubPublishError(f"Publishing to the Hub failed while {doing} ({type(exc).__name__}: "
                               f"{self.clean(str(exc))[:300]}); try again in a few minutes.")

    def _http(self, e, doing: str) -> HubPublishError:
        response = e.response
        status = response.status_code
        if status == 401:
            return HubPublishError("Hugging Face rejected the saved token (401): it is invalid, expired or revoked. "
                                   "Add a new token in Settings.", kind="token_invalid")
        if status == 403:
            return HubPublishError(
                f"Hugging Face refused to let this token write to {self.repo_id} (403). If the repository belongs to "
                f"someone else, pick another name; otherwise create a token with write access at {TOKENS_PAGE} "
                "and add it in Settings.", kind="token_read_only")
        if status == 409:
            return self.not_yours()
        if status == 429:
            wait = _retry_after(response)
            return HubPublishError(f"The Hub is limiting requests; try again in {_minutes(wait)}.", kind="rate_limited",
                                   retry_after=wait)
        if status == 404:
            return HubPublishError(f"The Hub no longer finds {self.repo_id} (404) while {doing}: it may have been "
                                   "deleted or renamed meanwhile. Publish again.")
        if status == 413:
            return HubPublishError("The Hub refused a file as too large (413).")
        if status >= 500:
            return HubPublishError(f"The Hub answered {status} while {doing} (a problem on its side); try again in a "
                                   "few minutes.")
        message = self.clean(getattr(e, "server_message", None) or "")
        return HubPublishError(f"The Hub answered {status} while {doing}" + (f": {message[:300]}" if message else "")
                               + ".")

    def not_yours(self, user: str | None = None, *, exists: bool = True) -> HubPublishError:
        namespace, _, name = self.repo_id.rpartition("/")
        example = f" (for example {user}/{name})" if user else ""
        if exists:
            return HubPublishError(f"The repository {self.repo_id} exists and is not yours: pick another name{example}.",
                                   kind="not_yours")
        return HubPublishError(f"{namespace} is neither your account nor an organisation you can write to, so "
                               f"{self.repo_id} is not yours to create: pick another name{example}.", kind="not_yours")


def _is_network(e: BaseException) -> bool:
    import httpx

    kinds: tuple[type[BaseException], ...] = (httpx.TransportError, ConnectionError, TimeoutError)
    try:
        import httpx2

        kinds += (httpx2.TransportError,)
    except ImportError:  # huggingface_hub before 2.x talks through httpx
        pass
    return isinstance(e, kinds)


# -- publishing ------------------------------------------------------------------------------------------------


def _split_repo_id(repo_id: str, user: str) -> tuple[str, str]:
    namespace, _, name = repo_id.rpartition("/")
    return namespace or user, name


def _check_repo_id(repo_id: str) -> None:
    parts = repo_id.split("/")
    if not (1 <= len(parts) <= 2 and all(_REPO_PART.match(p) and "--" not in p and ".." not in p for p in parts)
            and not repo_id.endswith(".git")):
        raise HubPublishError(
            f"{repo_id!r} is not a valid Hub repository name: use letters, digits, '-', '_' and '.' (at most 96, "
            "starting and ending with a letter or digit), optionally after your user or organisation name, e.g. "
            "alice/my-model.", kind="bad_name")


def _write_access(me: dict[str, Any], namespace: str, repo_id: str) -> bool | None:
    """Whether the token may write in `namespace`: True, False, or None when whoami does not say."""
    access = ((me.get("auth") or {}).get("accessToken") or {})
    role = access.get("role")
    if role == "read":
        return False
    if role == "fineGrained":
        grained = access.get("fineGrained") or {}
        permissions = set(grained.get("global") or [])
        for scope in grained.get("scoped") or []:
            if (scope.get("entity") or {}).get("name") in (namespace, repo_id):
                permissions |= set(scope.get("permissions") or [])
        return "repo.write" in permissions
    return True if role == "write" else None


def publish_to_hub(
    *,
    endpoint: str,
    token: str,
    repo_id: str,
    folder: str | Path,
    private: bool,
    card: str,
    what: Literal["adapter", "merged"],
    progress: Callable[[str, int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    base_model: str | None = None,
) -> HubResult:
    """Publish `folder`'s adapter or merged weights to `repo_id` ("name" = the token's user's, or
    "namespace/name") with `card` as README.md, in one commit.

    `progress(stage, done, total)`: stage "token", "repository", "upload" (bytes of the files so far, per
    file) and "commit". `should_stop()` is asked before every file and before the commit; when it says
    yes, HubPublishCancelled is raised and nothing is committed. `base_model`: the Hub id written into
    adapter_config.json / config.json instead of the server path of the base (default: the card's
    `base_model:`, else the path's last part).
    """
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    if not token:
        raise HubPublishError("No Hugging Face token is saved: add one with write access in Settings.",
                              kind="token_invalid")
    _check_repo_id(repo_id)
    files, skipped = publishable_files(folder, what)
    endpoint = endpoint.rstrip("/")
    ctx = _Context(endpoint=endpoint, token=token, repo_id=repo_id)
    stop = getattr(should_stop, "is_set", should_stop)

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    def check_stop(what_is_left: str) -> None:
        if stop is not None and stop():
            raise HubPublishCancelled(f"Publishing to {repo_id} was cancelled before {what_is_left}; nothing was "
                                      "committed.")

    front = _front_matter(card)
    try:
        if front is None or not isinstance(yaml.safe_load(front), dict):
            raise ValueError
    except (ValueError, yaml.YAMLError):
        raise HubPublishError("The model card has no valid YAML front matter; build it with hub_model_card.",
                              kind="bad_card") from None

    api = HfApi(endpoint=endpoint, token=token, library_name="tuneforge")
    report("token", 0, 1)
    try:
        me = api.whoami()
    except Exception as exc:  # noqa: BLE001 - every failure is explained in plain words
        raise ctx.explain(exc, "checking the token") from None
    user = str(me.get("name") or "")
    namespace, name = _split_repo_id(repo_id, user)
    repo_id = ctx.repo_id = f"{namespace}/{name}"
    if _write_access(me, namespace, repo_id) is False:
        raise HubPublishError(
            f"The saved Hugging Face token cannot write to {namespace} (403: it is read-only or lacks write access "
            f"there): create a token with write access at {TOKENS_PAGE} and add it in Settings.",
            kind="token_read_only")
    orgs = {o.get("name"): o.get("roleInOrg") for o in me.get("orgs") or [] if isinstance(o, dict)}
    own = namespace == user or (namespace in orgs and orgs[namespace] in (None, "admin", "write", "contributor"))
    if not own:
        try:
            exists = api.repo_exists(repo_id, repo_type="model")
        except Exception:  # noqa: BLE001 - the answer only picks the wording
            exists = True
        raise ctx.not_yours(user, exists=exists)
    report("token", 1, 1)

    check_stop("creating the repository")
    report("repository", 0, 1)
    created = True
    try:
        api.create_repo(repo_id, private=private, repo_type="model", exist_ok=False)
    except Exception as exc:  # noqa: BLE001
        status = exc.response.status_code if isinstance(exc, HfHubHTTPError) and exc.response is not None else None
        if status not in (409, 403):
            raise ctx.explain(exc, "creating the repository") from None
        created = False  # it exists: in the caller's own namespace (checked above), so it is theirs to update
        try:
            existing = api.repo_info(repo_id, repo_type="model")
        except Exception:  # noqa: BLE001
            raise ctx.explain(exc, "creating the repository") from None
        if bool(existing.private) != private:
            now, asked = ("private", "public") if existing.private else ("public", "private")
            raise HubPublishError(
                f"{repo_id} already exists and is {now}, but this publication is {asked}: change its visibility "
                "in the repository's settings on the Hub, publish as " + now + ", or pick another name.",
                kind="visibility")
    report("repository", 1, 1)

    base_id = base_model or _card_base_model(card)
    operations, sizes = [], []
    for path in files:
        content = _prepared_json(path, base_id)
        operations.append(CommitOperationAdd(path_in_repo=path.name, path_or_fileobj=content if content is not None else str(path)))
        sizes.append(len(content) if content is not None else path.stat().st_size)
    card_bytes = card.encode("utf-8")
    operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card_bytes))
    sizes.append(len(card_bytes))

    total, done = sum(sizes), 0
    report("upload", 0, total)
    for operation, size in zip(operations, sizes):
        check_stop(f"uploading {operation.path_in_repo}")
        try:  # asks the Hub how to send the file (inline or LFS/Xet) and sends the large ones now
            api.preupload_lfs_files(repo_id, additions=[operation], repo_type="model", revision="main", free_memory=False)
        except Exception as exc:  # noqa: BLE001
            raise ctx.explain(exc, f"uploading {operation.path_in_repo}") from None
        done += size
        report("upload", done, total)

    check_stop("the commit")
    report("commit", 0, 1)
    try:
        info = api.create_commit(repo_id, operations=operations, commit_message=COMMIT_MESSAGE[what],
                                 commit_description="Published with TuneForge.", repo_type="model", revision="main")
    except Exception as exc:  # noqa: BLE001
        raise ctx.explain(exc, "committing") from None
    report("commit", 1, 1)
    log.info("published %s to %s (commit %s, %d files)", what, repo_id, info.oid, len(operations))
    return HubResult(url=info.commit_url, repo_id=repo_id, commit_sha=info.oid,
                     files=sorted(op.path_in_repo for op in operations), private=private,
                     repo_url=f"{endpoint}/{repo_id}", created=created, skipped=skipped)


# -- the model card ------------------------------------------------------------------------------------------


def license_from_folder(folder: str | Path) -> str | None:
    """A model folder's licence, from its README.md front matter (`license:`) or config.json."""
    folder = Path(folder)
    readme = folder / "README.md"
    if readme.is_file():
        try:
            meta = yaml.safe_load(_front_matter(readme.read_text(encoding="utf-8")) or "")
        except (yaml.YAMLError, UnicodeDecodeError):
            meta = None
        if isinstance(meta, dict) and isinstance(meta.get("license"), str):
            return meta["license"]
    config = folder / "config.json"
    if config.is_file():
        try:
            value = json.loads(config.read_text(encoding="utf-8")).get("license")
        except (ValueError, UnicodeDecodeError):
            value = None
        if isinstance(value, str):
            return value
    return None


def base_hub_id(lineage: dict[str, Any]) -> str | None:
    """The base model's Hub id, when it has one (a Hub model or a bundled copy of one)."""
    base = lineage.get("base_model") or {}
    reference, kind = str(base.get("reference") or ""), base.get("kind")
    if kind == "hub" and reference.count("/") == 1:
        return reference
    if kind == "bundled":
        return BUNDLED_HUB_IDS.get(reference)
    return None


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _cell(value: Any) -> str:
    return _fmt(value).replace("|", "\\|").replace("\n", " ")


def _effective(spec: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    hp = dict(spec.get("hyperparameters") or {})
    hp.update({k: v for k, v in (metrics.get("effective_hyperparameters") or {}).items() if v is not None})
    if hp.get("learning_rate") is None:
        try:
            from tuneforge.training.catalogue import METHOD_CATALOGUE

            rates = METHOD_CATALOGUE[spec.get("method", "sft")].learning_rates
            hp["learning_rate"] = rates[0 if spec.get("adapter") == "full" else 1]
        except (ImportError, KeyError):
            pass
    return hp


def _method_title(method: str) -> str:
    try:
        from tuneforge.training.catalogue import METHOD_CATALOGUE

        entry = METHOD_CATALOGUE[method]
        return f"{entry.title} — {entry.description}"
    except (ImportError, KeyError):
        return method.upper()


def hub_model_card(
    lineage: dict[str, Any],
    *,
    repo_id: str,
    what: str,
    evaluation: dict[str, Any] | None,
    license: str | None = None,  # noqa: A002 - the Hub's field name
) -> str:
    """README.md for the Hub: YAML front matter, then base model, data (versions and sha256), method and
    hyperparameters, metrics and evaluation, intended use and limits, how to load it, and TuneForge.

    `lineage`: a version's `Lineage` as stored (registry/schemas.py). `evaluation`: its evaluation.json
    (default: the lineage's). `license`: the base's licence when the caller knows it (e.g.
    `license_from_folder(base folder)`); bundled models' are known here."""
    spec = lineage.get("spec") or {}
    metrics = lineage.get("metrics") or {}
    evaluation = evaluation if evaluation is not None else lineage.get("evaluation")
    base = lineage.get("base_model") or {}
    reference = str(base.get("reference") or "unknown")
    hub_id = base_hub_id(lineage)
    method = str(spec.get("method") or "sft")
    adapter = str(spec.get("adapter") or "lora")
    licence = license or BUNDLED_LICENSES.get(reference) or (BUNDLED_LICENSES.get(hub_id) if hub_id else None)
    is_adapter = what == "adapter"
    name = repo_id.split("/")[-1]
    label = ADAPTER_LABELS.get(adapter, adapter)

    meta: dict[str, Any] = {}
    if licence:
        meta["license"] = licence
    if hub_id:
        meta["base_model"] = hub_id
        meta["base_model_relation"] = "adapter" if is_adapter else "finetune"
    meta["library_name"] = "peft" if is_adapter else "transformers"
    meta["pipeline_tag"] = "text-generation"
    meta["tags"] = list(dict.fromkeys(["tuneforge", method] + ([adapter] if adapter != "full" else []) + (["merged"] if not is_adapter and adapter != "full" else [])))
    hub_datasets = [d["hub_id"] for d in lineage.get("datasets") or [] if isinstance(d.get("hub_id"), str) and d["hub_id"].count("/") == 1]
    if hub_datasets:
        meta["datasets"] = hub_datasets
    lines = ["---", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).rstrip("\n"), "---", "", f"# {name}", ""]

    base_label = f"`{hub_id}`" if hub_id else f"`{reference}`"
    if is_adapter:
        lines.append(f"A **{label}** adapter for {base_label}, fine-tuned with "
                     f"**{method.upper()}** using [TuneForge](#trained-with-tuneforge). Load it on top of the base model.")
    else:
        lines.append(f"{base_label} fine-tuned with **{method.upper()}** using [TuneForge](#trained-with-tuneforge)"
                     + (f"; the {label} adapter is merged into the weights, so it loads like any model."
                        if adapter != "full" else "."))

    # Base model
    lines += ["", "## Base model", ""]
    kind = base.get("kind")
    if hub_id:
        lines.append(f"- [`{hub_id}`](https://huggingface.co/{hub_id})" + (" (bundled with TuneForge)" if kind == "bundled" else ""))
    else:
        described = {"bundled": "a model bundled with TuneForge, not on the Hub",
                     "model_version": "a model version of the TuneForge registry it was trained in",
                     "job_output": "the output of an earlier TuneForge training job",
                     "folder": "a model folder on the training server"}.get(kind, "not recorded")
        lines.append(f"- `{reference}` ({described})")
    lines.append(f"- licence: {licence}" if licence else
                 "- licence: not stated by the base model; check its terms before reusing this model")
    hashes = base.get("files_sha256") or {}
    if hashes:
        lines += ["", "| base model file | sha256 |", "|---|---|"]
        lines += [f"| `{_cell(path)}` | `{digest}` |" for path, digest in sorted(hashes.items())]

    # Data
    lines += ["", "## Training data", ""]
    datasets = lineage.get("datasets") or []
    if datasets:
        lines += ["| dataset | version | share | train file sha256 |", "|---|---|---|---|"]
        for d in datasets:
            label = d.get("dataset_name") or d.get("hub_id") or str(d.get("version_id") or "unknown")
            version = d.get("version_number")
            digest = d.get("file_sha256")
            lines.append(f"| {_cell(label)} | {'v' + str(version) if version is not None else 'unknown'} | "
                         f"{_fmt(float(d.get('weight') or 1.0))} | {'`' + digest + '`' if digest else 'not recorded'} |")
        lines += ["", "The sha256 identifies the exact training file (canonical JSONL rows) of each dataset version. "
                  "The data itself is not published with this model."]
    else:
        lines.append("Not recorded.")

    # Method and hyperparameters
    hp = _effective(spec, metrics)
    data = spec.get("data") or {}
    lora = spec.get("lora") or {}
    lines += ["", "## Method and hyperparameters", "", f"- method: **{method.upper()}** ({_method_title(method)})",
              f"- weights trained: {'all (full fine-tuning)' if adapter == 'full' else label + ' adapter'}"
              + ("" if is_adapter or adapter == "full" else ", merged into the base for this repository"), "",
              "| setting | value |", "|---|---|"]
    rows: list[tuple[str, Any]] = [(k.replace("_", " "), hp.get(k)) for k in (
        "learning_rate", "epochs", "max_steps", "batch_size", "gradient_accumulation", "scheduler", "warmup_ratio",
        "warmup_steps", "weight_decay", "max_grad_norm", "precision", "optimizer", "gradient_checkpointing")]
    rows += [("max length", data.get("max_length")), ("packing", data.get("packing")),
             ("loss on", data.get("loss_on") and f"{data['loss_on']} tokens"), ("chat template", data.get("chat_template"))]
    if adapter != "full":
        rows += [("LoRA rank", lora.get("rank")), ("LoRA alpha", lora.get("alpha")), ("LoRA dropout", lora.get("dropout")),
                 ("LoRA target modules", lora.get("target_modules")), ("rsLoRA", lora.get("use_rslora")),
                 ("DoRA", lora.get("use_dora"))]
    if adapter == "qlora":
        qlora = spec.get("qlora") or {}
        rows += [("QLoRA quantisation", qlora.get("quant_type")), ("QLoRA double quantisation", qlora.get("double_quant"))]
    options = spec.get("method_options") or {}
    if method not in ("sft", "cpt") and options.get("beta") is not None:
        rows.append(("beta", options["beta"]))
    rows.append(("seed", spec.get("seed")))
    lines += [f"| {label} | {_cell(value)} |" for label, value in rows if value is not None]
    libraries = lineage.get("libraries") or {}
    hardware = lineage.get("hardware") or {}
    run = []
    if libraries:
        run.append("with " + ", ".join(f"{k} {v}" for k, v in sorted(libraries.items())))
    device = hardware.get("gpu_type") or hardware.get("device_name") or hardware.get("device_type")
    if device:
        run.append(f"on {device}")
    if lineage.get("duration_s") is not None:
        run.append(f"in {_fmt(float(lineage['duration_s']))} s")
    if run:
        lines += ["", "Trained " + " ".join(run) + "."]

    # Results
    lines += ["", "## Results", ""]
    found = False
    for key, label in (("steps", "training steps"), ("first_loss", "first training loss"),
                       ("final_loss", "final training loss"), ("eval_loss", "held-out loss"),
                       ("perplexity", "held-out perplexity"), ("trainable_parameters", "trainable parameters"),
                       ("total_parameters", "total parameters")):
        if isinstance(metrics.get(key), (int, float)) and not isinstance(metrics.get(key), bool):
            lines.append(f"- {label}: {_fmt(metrics[key])}")
            found = True
    summary = (evaluation or {}).get("summary") or {}
    tuned, base_scores = summary.get("fine_tuned") or {}, summary.get("base") or {}
    table: list[tuple[str, Any, Any]] = []
    if summary.get("eval_loss") is not None:
        table.append(("held-out loss (lower is better)", summary.get("base_eval_loss"), summary["eval_loss"]))
    if summary.get("perplexity") is not None:
        table.append(("perplexity (lower is better)", summary.get("base_perplexity"), summary["perplexity"]))
    table += [(metric, base_scores.get(metric), value) for metric, value in tuned.items() if isinstance(value, (int, float))]
    if table:
        found = True
        samples = summary.get("generation_samples")
        lines += ["", "### Evaluation on held-out prompts", "",
                  "Answers generated greedily for prompts held out of training and scored against the reference answers"
                  + (f" ({samples} prompts)." if samples else ".")]
        has_base = any(b is not None for _, b, _ in table)
        if has_base:
            lines += ["", "| metric | base model | fine-tuned | change |", "|---|---|---|---|"]
            for metric, before, after in table:
                change = f"{after - before:+.4g}" if isinstance(before, (int, float)) else ""
                lines.append(f"| {_cell(metric)} | {_cell(before) if before is not None else ''} | {_cell(after)} | {change} |")
        else:
            lines += ["", "| metric | fine-tuned |", "|---|---|"]
            lines += [f"| {_cell(metric)} | {_cell(after)} |" for metric, _, after in table]
    if not found:
        lines.append("No metrics were recorded.")

    # Intended use and limits
    lines += ["", "## Intended use and limitations", "",
              f"- Intended for the task and style of its training data (above), as a chat model used with the base "
              f"model's chat template. It was evaluated only on prompts held out from that data, not on general "
              f"benchmarks.",
              "- It inherits the base model's limitations and biases: it can state false things confidently and "
              "was not tested for safety. Review its answers before relying on them, and do not use it for medical, "
              "legal, financial or other high-stakes decisions without human review.",
              "- Its licence and use terms follow the base model's" + (f" ({licence})." if licence else ".")]

    # How to load it
    lines += ["", "## How to use", ""]
    chat = ['messages = [{"role": "user", "content": "Hello! What can you do?"}]',
            'inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)',
            'output = model.generate(**inputs, max_new_tokens=128)',
            'print(tokenizer.decode(output[0][inputs["input_ids"].shape[-1]:], skip_special_tokens=True))']
    if is_adapter:
        base_ref = hub_id or reference
        if not hub_id:
            lines += [f"The base model `{reference}` is not on the Hub: load it from where you have it (a TuneForge "
                      "installation has it) and put its folder below.", ""]
        lines += ["```python", "from peft import PeftModel", "from transformers import AutoModelForCausalLM, AutoTokenizer", "",
                  f'base = AutoModelForCausalLM.from_pretrained("{base_ref}")',
                  f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}")  # the tokenizer and chat template it was trained with',
                  "if base.get_input_embeddings().weight.shape[0] < len(tokenizer):  # training added chat-template tokens",
                  "    base.resize_token_embeddings(len(tokenizer))",
                  f'model = PeftModel.from_pretrained(base, "{repo_id}")', "", *chat, "```", "",
                  "To get a standalone model, merge the adapter: `model = model.merge_and_unload()`."]
    else:
        lines += ["```python", "from transformers import AutoModelForCausalLM, AutoTokenizer", "",
                  f'model = AutoModelForCausalLM.from_pretrained("{repo_id}")',
                  f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}")', "", *chat, "```"]

    # TuneForge
    lines += ["", "## Trained with TuneForge", "",
              "This model was fine-tuned and published with TuneForge, a self-hosted platform for fine-tuning language "
              "models. Its lineage (base model, dataset versions and hashes, settings, libraries, metrics) was recorded "
              "when training finished and is what this card shows."]
    if lineage.get("job_name"):
        lines.append(f"Training job: {_cell(lineage['job_name'])}.")
    return "\n".join(lines) + "\n"
