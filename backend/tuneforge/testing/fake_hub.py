"""A loopback stand-in for the Hugging Face Hub's HTTP API, for tests and offline demos.

It speaks the documented endpoints TuneForge calls, so the real client code (httpx for the model
search, `huggingface_hub` for the rest) is what talks to it:

- GET /api/whoami-v2: the token's user, orgs and role ("write", "read", or "fineGrained" with scoped
  permissions);
- GET /api/models (search, filter, sort, direction, limit; private models only for their owner);
- dataset repositories: GET /api/datasets/{id}/revision/{rev} (sha and siblings) and
  GET /datasets/{id}/resolve/{sha}/{path} (a private one answers 401 without its owner's token);
- publishing a model repository (`HfApi.create_repo`, `upload_folder`/`create_commit`, `repo_info`,
  `list_repo_files`): POST /api/repos/create, POST /api/validate-yaml,
  POST /api/models/{id}/preupload/{rev}, the git-LFS batch API (POST /{id}.git/info/lfs/objects/batch,
  a one-time PUT upload URL, POST .../verify), POST /api/models/{id}/commit/{rev} (NDJSON, inline
  base64 files and LFS pointers), GET /api/models/{id}[/revision/{rev}], GET /api/models/{id}/tree/{rev}
  and GET /{id}/resolve/{rev}/{path}.

It checks what it receives the way the Hub does: a token must be known (401), carry write access for
the repository's namespace (403: a read token, a fine-grained token without `repo.write` there, or
someone else's namespace), a repository that exists answers 409 to create, binary files must come
through LFS (as the Hub's default .gitattributes says), an LFS pointer must name an uploaded object of
that sha256 and size, the model card's YAML must parse. `limit_rate(...)` makes it answer 429 with
Retry-After. There is no Xet storage: a client with `hf_xet` installed must run with Xet disabled
(`HF_HUB_DISABLE_XET=1` in the environment before `huggingface_hub` is imported, or
`huggingface_hub.constants.HF_HUB_DISABLE_XET = True`), or the fake made with `upload_mode="regular"`
so that every file is committed inline.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

DEFAULT_MODELS = [
    {"id": "HuggingFaceTB/SmolLM2-135M-Instruct", "downloads": 412_000, "likes": 190, "pipeline_tag": "text-generation",
     "library_name": "transformers", "gated": False, "private": False, "lastModified": "2025-02-06T10:33:10.000Z"},
    {"id": "HuggingFaceTB/SmolLM2-360M-Instruct", "downloads": 188_000, "likes": 120, "pipeline_tag": "text-generation",
     "library_name": "transformers", "gated": False, "private": False, "lastModified": "2025-02-06T10:34:44.000Z"},
    {"id": "meta-llama/Llama-3.2-1B-Instruct", "downloads": 2_900_000, "likes": 1100, "pipeline_tag": "text-generation",
     "library_name": "transformers", "gated": "manual", "private": False, "lastModified": "2024-10-24T15:07:51.000Z"},
    {"id": "sentence-transformers/all-MiniLM-L6-v2", "downloads": 90_000_000, "likes": 3000,
     "pipeline_tag": "sentence-similarity", "library_name": "sentence-transformers", "gated": False, "private": False,
     "lastModified": "2024-11-01T00:00:00.000Z"},
    {"id": "alice/private-smol-sft", "downloads": 3, "likes": 0, "pipeline_tag": "text-generation",
     "library_name": "transformers", "gated": False, "private": True, "lastModified": "2026-11-01T00:00:00.000Z"},
]


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _chat(i: int) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Answer {i}."}]}


# Dataset repositories: id -> {"sha", "private", "files": {path: bytes}} (one commit each, branch "main").
DEFAULT_DATASETS: dict[str, dict[str, Any]] = {
    "tuneforge/tiny-chat": {
        "sha": "3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39", "private": False,
        "files": {
            "README.md": b"# tiny chat\n",
            "data/train-00000-of-00001.jsonl": _jsonl([_chat(i) for i in range(12)]),
            "data/test-00000-of-00001.jsonl": _jsonl([_chat(100 + i) for i in range(3)]),
        },
    },
    "alice/private-qa": {
        "sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "private": True,
        "files": {"train.jsonl": _jsonl([{"prompt": f"Q{i}", "completion": f"A{i}"} for i in range(5)])},
    },
}


# The Hub's default .gitattributes for a new model repository: these go through LFS.
LFS_PATTERNS = (
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gguf", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
    "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb", "*.pickle",
    "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite",
    "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
)
GITATTRIBUTES = "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in LFS_PATTERNS).encode()
LFS_THRESHOLD = 10 * 1024 * 1024  # larger regular files must go through LFS too
WRITE_ROLES = ("admin", "write", "contributor")  # roles in an org that may create and push repositories


def git_blob_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _needs_lfs(path: str, size: int, sample: bytes) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (size >= LFS_THRESHOLD or b"\0" in sample
            or any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(name, p) for p in LFS_PATTERNS))


def _front_matter(text: str) -> str | None:
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---", 4)
    return text[4:end] if end != -1 else None


class FakeHub:
    """`tokens`: token -> user name (a write token), or {"user": name, "write": bool} (False: a read
    token), or {"user": name, "scoped": {namespace: [permission, ...]}} (a fine-grained token; creating
    and pushing needs "repo.write" on the namespace). `orgs`: org -> {user: role} (role "admin",
    "write", "contributor" or "read"). `repos`: model repositories that already exist,
    id -> {"private": bool, "files": {path: bytes}}; every model of the search list exists too.
    `upload_mode`: "auto" answers preupload like the Hub (binary, LFS-pattern or >= 10 MiB files:
    "lfs"); "regular" answers "regular" for every file, so clients commit everything inline."""

    def __init__(self, tokens: dict[str, Any] | None = None, models: list[dict[str, Any]] | None = None,
                 datasets: dict[str, dict[str, Any]] | None = None, *, orgs: dict[str, dict[str, str]] | None = None,
                 repos: dict[str, dict[str, Any]] | None = None,
                 upload_mode: Literal["auto", "regular"] = "auto") -> None:
        self.tokens = dict(tokens or {})
        self.models = [dict(m) for m in (DEFAULT_MODELS if models is None else models)]
        self.datasets = {k: {**v, "files": dict(v["files"])} for k, v in (DEFAULT_DATASETS if datasets is None else datasets).items()}
        self.orgs = {org: dict(members) for org, members in (orgs or {}).items()}
        self.upload_mode = upload_mode
        self.repos: dict[str, dict[str, Any]] = {}
        for model in self.models:
            self._add_repo(model["id"], private=bool(model.get("private")), files={})
        for repo_id, repo in (repos or {}).items():
            self._add_repo(repo_id, private=bool(repo.get("private")), files=dict(repo.get("files") or {}))
        self.lfs_objects: dict[str, bytes] = {}  # sha256 -> content, uploaded through the LFS PUT URL
        self.rate_limit: dict[str, Any] | None = None
        self.requests: list[dict[str, Any]] = []
        self._uploads: dict[str, tuple[str, int]] = {}  # one-time upload id -> (oid, size)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- state ------------------------------------------------------------------------------------

    def _add_repo(self, repo_id: str, *, private: bool, files: dict[str, bytes]) -> dict[str, Any]:
        sha = hashlib.sha1(f"{repo_id}:{time.time_ns()}".encode()).hexdigest()
        repo = {"id": repo_id, "private": private, "files": {".gitattributes": GITATTRIBUTES, **files}, "lfs": {},
                "sha": sha, "commits": [{"oid": sha, "summary": "initial commit", "files": sorted(files)}],
                "created_by": None}
        self.repos[repo_id] = repo
        return repo

    def repo(self, repo_id: str) -> dict[str, Any]:
        """A model repository as stored: private, files {path: bytes}, lfs {path: sha256}, commits."""
        return self.repos[repo_id]

    def limit_rate(self, retry_after: int = 60, path_contains: str | None = None) -> None:
        """Answer 429 with Retry-After to every request (or those whose path contains the text)."""
        self.rate_limit = {"retry_after": retry_after, "path_contains": path_contains}

    def account(self, token: str) -> dict[str, Any] | None:
        entry = self.tokens.get(token)
        if entry is None:
            return None
        if isinstance(entry, str):
            return {"user": entry, "role": "write", "scoped": None}
        scoped = entry.get("scoped")
        role = "fineGrained" if scoped is not None else ("write" if entry.get("write", True) else "read")
        return {"user": entry["user"], "role": role, "scoped": scoped}

    def member_role(self, user: str, namespace: str) -> str | None:
        return "admin" if namespace == user else self.orgs.get(namespace, {}).get(user)

    def can_write(self, account: dict[str, Any], namespace: str) -> tuple[bool, str]:
        """(allowed, why not): the namespace must be the user's or an org they can write to, and the
        token must carry write access there."""
        if self.member_role(account["user"], namespace) not in WRITE_ROLES:
            return False, f'You don\'t have the rights to create a model under the namespace "{namespace}"'
        if account["role"] == "read":
            return False, "You have read access but not the required permissions for this operation."
        if account["role"] == "fineGrained" and "repo.write" not in (account["scoped"] or {}).get(namespace, []):
            return False, f'This fine-grained token has no "repo.write" permission on "{namespace}".'
        return True, ""

    def can_read(self, user: str | None, repo: dict[str, Any]) -> bool:
        return not repo["private"] or (user is not None and self.member_role(user, repo["id"].split("/")[0]) is not None)

    # -- server -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeHub is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def _error(self, status: int, message: str, code: str | None = None) -> None:
                headers = {"X-Error-Message": message}
                if code:
                    headers["X-Error-Code"] = code
                self._send(status, {"error": message}, headers)

            def _bytes(self, payload: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _begin(self) -> tuple[bool, str | None, dict[str, Any] | None]:
                """Record the request, apply the rate limit and read the token: (go on, user, account)."""
                auth = self.headers.get("Authorization", "")
                hub.requests.append({"method": self.command, "path": self.path, "authorization": auth})
                limit = hub.rate_limit
                if limit and (limit["path_contains"] is None or limit["path_contains"] in self.path):
                    self.send_response(429)
                    payload = json.dumps({"error": f"You have been rate-limited; you can retry this action in "
                                                   f"{limit['retry_after']} seconds."}).encode()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Retry-After", str(limit["retry_after"]))
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return False, None, None
                token = auth.removeprefix("Bearer ").strip()
                account = hub.account(token) if token else None
                if auth and account is None:
                    self._error(401, "Invalid credentials in Authorization header")
                    return False, None, None
                return True, (account or {}).get("user"), account

            # -- reading ----------------------------------------------------------------------

            def _dataset(self, path: str, user: str | None) -> None:
                """GET /api/datasets/{id}/revision/{rev} and GET /datasets/{id}/resolve/{sha}/{file}."""
                api = path.startswith("/api/")
                parts = path.removeprefix("/api").removeprefix("/datasets/").split("/")
                repo = hub.datasets.get("/".join(parts[:2]))
                if repo is None or (repo["private"] and parts[0] != user):
                    if repo is not None and user is None:
                        self._send(401, {"error": "Invalid username or password."})
                    else:
                        self._send(404, {"error": "Repository not found"})
                    return
                action, rest = (parts[2] if len(parts) > 2 else ""), parts[3:]
                if api and action == "revision" and len(rest) == 1 and rest[0] in ("main", repo["sha"]):
                    self._send(200, {"id": "/".join(parts[:2]), "sha": repo["sha"], "private": repo["private"],
                                     "siblings": [{"rfilename": name} for name in repo["files"]]})
                    return
                name = "/".join(rest[1:])
                if not api and action == "resolve" and rest and rest[0] == repo["sha"] and name in repo["files"]:
                    self._bytes(repo["files"][name])
                    return
                self._send(404, {"error": "Revision or entry not found"})

            def _readable_model(self, repo_id: str, user: str | None) -> dict[str, Any] | None:
                repo = hub.repos.get(repo_id)
                if repo is None or not hub.can_read(user, repo):
                    self._error(401 if repo is not None and user is None else 404, "Repository not found", "RepoNotFound")
                    return None
                return repo

            def _model_api(self, repo_id: str, rest: list[str], user: str | None) -> None:
                """GET /api/models/{id}[/revision/{rev}] and /api/models/{id}/tree/{rev}[/{path}]."""
                repo = self._readable_model(repo_id, user)
                if repo is None:
                    return
                if rest and rest[0] == "xet-write-token":
                    self._error(501, "This loopback Hub has no Xet storage: disable Xet in the client "
                                     "(HF_HUB_DISABLE_XET=1, or huggingface_hub.constants.HF_HUB_DISABLE_XET = True).")
                    return
                if rest and rest[0] in ("revision", "tree") and (len(rest) < 2 or rest[1] not in ("main", repo["sha"])):
                    self._error(404, "Invalid rev id", "RevisionNotFound")
                    return
                if not rest or rest[0] == "revision":
                    card = repo["files"].get("README.md", b"").decode(errors="replace")
                    try:
                        card_data = yaml.safe_load(_front_matter(card) or "") or None
                    except yaml.YAMLError:
                        card_data = None
                    self._send(200, {
                        "id": repo_id, "modelId": repo_id, "author": repo_id.split("/")[0], "sha": repo["sha"],
                        "private": repo["private"], "gated": False, "disabled": False, "downloads": 0, "likes": 0,
                        "tags": list((card_data or {}).get("tags") or []), "cardData": card_data,
                        "library_name": (card_data or {}).get("library_name"),
                        "siblings": [{"rfilename": name} for name in sorted(repo["files"])],
                    })
                    return
                if rest[0] == "tree":
                    prefix = "/".join(rest[2:])
                    recursive = parse_qs(urlsplit(self.path).query).get("recursive", ["False"])[0].lower() in ("1", "true")
                    entries, folders = [], set()
                    for name in sorted(repo["files"]):
                        if prefix and not name.startswith(prefix + "/"):
                            continue
                        relative = name[len(prefix) + 1:] if prefix else name
                        if "/" in relative and not recursive:
                            folders.add((prefix + "/" if prefix else "") + relative.split("/")[0])
                            continue
                        parents = relative.split("/")[:-1]
                        for i in range(len(parents)):
                            folders.add((prefix + "/" if prefix else "") + "/".join(parents[: i + 1]))
                        entries.append(self._tree_entry(repo, name))
                    folder_entries = [{"type": "directory", "path": f, "oid": git_blob_oid(f.encode())} for f in sorted(folders)]
                    self._send(200, folder_entries + entries)
                    return
                self._error(404, "Not found")

            @staticmethod
            def _tree_entry(repo: dict[str, Any], name: str) -> dict[str, Any]:
                content = repo["files"][name]
                entry = {"type": "file", "path": name, "size": len(content), "oid": git_blob_oid(content)}
                if name in repo["lfs"]:
                    entry["lfs"] = {"oid": repo["lfs"][name], "size": len(content), "pointerSize": 134}
                return entry

            def _resolve(self, repo_id: str, rest: list[str], user: str | None) -> None:
                """GET/HEAD /{id}/resolve/{rev}/{path}: a file's bytes with the Hub's metadata headers."""
                repo = self._readable_model(repo_id, user)
                if repo is None:
                    return
                if not rest or rest[0] not in ("main", repo["sha"]):
                    self._error(404, "Invalid rev id", "RevisionNotFound")
                    return
                name = "/".join(rest[1:])
                if name not in repo["files"]:
                    self._error(404, "Entry not found", "EntryNotFound")
                    return
                content = repo["files"][name]
                etag = repo["lfs"].get(name) or git_blob_oid(content)
                self._bytes(content, {"ETag": f'"{etag}"', "X-Repo-Commit": repo["sha"]})

            def do_HEAD(self) -> None:  # noqa: N802
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802
                go, user, _ = self._begin()
                if not go:
                    return
                url = urlsplit(self.path)
                path = unquote(url.path)
                if path == "/api/models":
                    self._send(200, hub.search(parse_qs(url.query), user))
                    return
                if path.startswith("/api/models/"):
                    parts = path.removeprefix("/api/models/").split("/")
                    self._model_api("/".join(parts[:2]), parts[2:], user)
                    return
                if path.startswith(("/api/datasets/", "/datasets/")):
                    self._dataset(path, user)
                    return
                parts = path.strip("/").split("/")
                if len(parts) > 3 and parts[2] == "resolve":
                    self._resolve("/".join(parts[:2]), parts[3:], user)
                    return
                if path != "/api/whoami-v2":
                    self._send(404, {"error": "Not found"})
                    return
                if user is None:
                    self._send(401, {"error": "Invalid credentials in Authorization header"})
                    return
                self._send(200, hub.whoami(self.headers.get("Authorization", "").removeprefix("Bearer ").strip()))

            # -- writing ----------------------------------------------------------------------

            def _writable(self, repo_id: str, account: dict[str, Any] | None) -> dict[str, Any] | None:
                if account is None:
                    self._error(401, "Invalid username or password.")
                    return None
                repo = self._readable_model(repo_id, account["user"])
                if repo is None:
                    return None
                allowed, why = hub.can_write(account, repo_id.split("/")[0])
                if not allowed:
                    self._error(403, why)
                    return None
                return repo

            def _json(self) -> Any:
                try:
                    return json.loads(self._body() or b"null")
                except ValueError:
                    return None

            def do_POST(self) -> None:  # noqa: N802
                go, user, account = self._begin()
                if not go:
                    return
                path = unquote(urlsplit(self.path).path)
                if path == "/api/repos/create":
                    self._create(self._json(), account)
                elif path == "/api/validate-yaml":
                    self._validate_yaml(self._json())
                elif path.startswith("/api/models/") and len(parts := path.removeprefix("/api/models/").split("/")) == 4:
                    repo_id, action, revision = "/".join(parts[:2]), parts[2], parts[3]
                    if action == "preupload":
                        self._preupload(repo_id, revision, self._json(), account)
                    elif action == "commit":
                        self._commit(repo_id, revision, self._body(), account)
                    else:
                        self._error(404, "Not found")
                elif ".git/info/lfs/objects/" in path:
                    repo_part, _, action = path.strip("/").partition(".git/info/lfs/objects/")
                    self._lfs(repo_part, action, self._json(), account)
                else:
                    self._error(404, "Not found")

            def do_PUT(self) -> None:  # noqa: N802
                go, _, _ = self._begin()
                if not go:
                    return
                path = urlsplit(self.path).path
                body = self._body()
                with hub._lock:
                    pending = hub._uploads.pop(path.removeprefix("/_fake_lfs/"), None) if path.startswith("/_fake_lfs/") else None
                if pending is None:
                    self._error(403, "Upload URL unknown or already used")
                    return
                oid, size = pending
                if len(body) != size or hashlib.sha256(body).hexdigest() != oid:
                    self._error(400, f"Uploaded content does not match oid {oid} / size {size}")
                    return
                hub.lfs_objects[oid] = body
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.send_header("ETag", f'"{oid[:32]}"')
                self.end_headers()

            def _create(self, body: Any, account: dict[str, Any] | None) -> None:
                if account is None:
                    self._error(401, "Invalid username or password.")
                    return
                if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
                    self._error(400, "Invalid request: a repository name is required")
                    return
                if body.get("type", "model") != "model":
                    self._error(400, "This loopback Hub only creates model repositories")
                    return
                namespace = body.get("organization") or account["user"]
                repo_id = f"{namespace}/{body['name']}"
                allowed, why = hub.can_write(account, namespace)
                if not allowed:
                    self._error(403, why)
                    return
                with hub._lock:
                    if repo_id in hub.repos:
                        self._send(409, {"error": "You already created this model repo", "url": f"{hub.url}/{repo_id}"},
                                   {"X-Error-Message": "You already created this model repo"})
                        return
                    visibility = body.get("visibility")
                    private = visibility == "private" if visibility is not None else bool(body.get("private"))
                    repo = hub._add_repo(repo_id, private=private, files={})
                    repo["created_by"] = account["user"]
                    hub.models.append({"id": repo_id, "downloads": 0, "likes": 0, "pipeline_tag": None,
                                       "library_name": None, "gated": False, "private": private,
                                       "lastModified": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())})
                self._send(200, {"url": f"{hub.url}/{repo_id}", "name": repo_id, "id": repo["sha"][:24]})

            def _validate_yaml(self, body: Any) -> None:
                if not isinstance(body, dict) or not isinstance(body.get("content"), str):
                    self._send(400, {"errors": [{"message": "content is required"}], "warnings": []})
                    return
                front = _front_matter(body["content"])
                if front is None:
                    self._send(200, {"errors": [], "warnings": [{"message": "empty or missing yaml metadata in repo card"}]})
                    return
                try:
                    meta = yaml.safe_load(front)
                except yaml.YAMLError as exc:
                    self._send(400, {"errors": [{"message": f"YAML does not parse: {exc}"}], "warnings": []})
                    return
                errors = []
                if not isinstance(meta, dict):
                    errors.append("metadata must be a mapping")
                else:
                    for key in ("license", "library_name", "pipeline_tag", "base_model_relation"):
                        if key in meta and not isinstance(meta[key], str):
                            errors.append(f'"{key}" must be a string')
                    for key in ("tags", "datasets", "base_model", "language"):
                        value = meta.get(key)
                        if value is not None and not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
                            errors.append(f'"{key}" must be a string or a list of strings')
                    base = meta.get("base_model")
                    for ref in [base] if isinstance(base, str) else (base or []):
                        if isinstance(ref, str) and ref.count("/") != 1:
                            errors.append(f'"base_model" must name Hub models (namespace/name), got "{ref}"')
                self._send(400 if errors else 200, {"errors": [{"message": e} for e in errors], "warnings": []})

            def _preupload(self, repo_id: str, revision: str, body: Any, account: dict[str, Any] | None) -> None:
                repo = self._writable(repo_id, account)
                if repo is None:
                    return
                if revision != "main":
                    self._error(404, "Invalid rev id", "RevisionNotFound")
                    return
                if not isinstance(body, dict) or not isinstance(body.get("files"), list):
                    self._error(400, "Invalid preupload body")
                    return
                answers = []
                for f in body["files"]:
                    try:
                        sample = base64.b64decode(f["sample"], validate=True)
                        size, name = int(f["size"]), str(f["path"])
                    except (KeyError, TypeError, ValueError):
                        self._error(400, "Invalid preupload entry")
                        return
                    lfs = hub.upload_mode == "auto" and _needs_lfs(name, size, sample)
                    existing = repo["files"].get(name)
                    oid = None
                    if existing is not None:
                        oid = repo["lfs"].get(name) or git_blob_oid(existing)
                    answers.append({"path": name, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
                self._send(200, {"files": answers, "commitOid": repo["sha"]})

            def _lfs(self, repo_id: str, action: str, body: Any, account: dict[str, Any] | None) -> None:
                repo = self._writable(repo_id, account)
                if repo is None:
                    return
                if action == "verify":
                    ok = isinstance(body, dict) and len(hub.lfs_objects.get(str(body.get("oid")), b"")) == body.get("size")
                    self._send(200, {"ok": True}) if ok else self._error(404, "LFS object not found")
                    return
                if action != "batch" or not isinstance(body, dict) or body.get("operation") != "upload":
                    self._error(400, "Invalid LFS batch request")
                    return
                objects = []
                for obj in body.get("objects") or []:
                    oid, size = str(obj.get("oid")), obj.get("size")
                    if len(oid) != 64 or not isinstance(size, int):
                        objects.append({"oid": oid, "size": size if isinstance(size, int) else 0,
                                        "error": {"code": 422, "message": "invalid oid or size"}})
                        continue
                    entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
                    if oid not in hub.lfs_objects:
                        upload_id = secrets.token_hex(16)
                        with hub._lock:
                            hub._uploads[upload_id] = (oid, size)
                        entry["actions"] = {
                            "upload": {"href": f"{hub.url}/_fake_lfs/{upload_id}", "header": {}},
                            "verify": {"href": f"{hub.url}/{repo_id}.git/info/lfs/objects/verify", "header": {}},
                        }
                    objects.append(entry)
                self._send(200, {"transfer": "basic", "objects": objects})

            def _commit(self, repo_id: str, revision: str, body: bytes, account: dict[str, Any] | None) -> None:
                repo = self._writable(repo_id, account)
                if repo is None:
                    return
                if revision != "main":
                    self._error(404, "Invalid rev id", "RevisionNotFound")
                    return
                if "ndjson" not in self.headers.get("Content-Type", ""):
                    self._error(400, "A commit is sent as application/x-ndjson")
                    return
                try:
                    lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                except ValueError:
                    self._error(400, "Invalid NDJSON in commit")
                    return
                if not lines or lines[0].get("key") != "header" or not lines[0].get("value", {}).get("summary"):
                    self._error(400, "A commit starts with a header line with a summary")
                    return
                files, lfs, deleted = {}, {}, []
                for line in lines[1:]:
                    key, value = line.get("key"), line.get("value") or {}
                    path = value.get("path")
                    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
                        self._error(400, f"Invalid path in commit: {path!r}")
                        return
                    if key == "file":
                        if value.get("encoding") != "base64":
                            self._error(400, "Inline files must be base64")
                            return
                        content = base64.b64decode(value.get("content") or "")
                        if hub.upload_mode == "auto" and _needs_lfs(path, len(content), content[:512]):
                            self._error(400, f"Your push was rejected because it contains binary files ({path}). "
                                             "Please use LFS to store binary files.")
                            return
                        files[path] = content
                    elif key == "lfsFile":
                        oid = value.get("oid")
                        stored = hub.lfs_objects.get(oid)
                        if value.get("algo") != "sha256" or stored is None or ("size" in value and value["size"] != len(stored)):
                            self._error(422, f"Your push was rejected because an LFS pointer pointed to a file that "
                                             f"does not exist ({path})")
                            return
                        files[path], lfs[path] = stored, oid
                    elif key in ("deletedFile", "deletedFolder"):
                        deleted.append((key, path))
                    else:
                        self._error(400, f"Unknown commit operation {key!r}")
                        return
                header = lines[0]["value"]
                parent = header.get("parentCommit")
                with hub._lock:
                    if parent and parent != repo["sha"]:
                        self._error(412, "A commit has happened since. Please refresh and try again.")
                        return
                    for key, path in deleted:
                        for name in [n for n in repo["files"] if n == path or (key == "deletedFolder" and n.startswith(path.rstrip("/") + "/"))]:
                            repo["files"].pop(name)
                            repo["lfs"].pop(name, None)
                    for path, content in files.items():
                        repo["files"][path] = content
                        if path in lfs:
                            repo["lfs"][path] = lfs[path]
                        else:
                            repo["lfs"].pop(path, None)
                    oid = hashlib.sha1(f"{repo['sha']}:{time.time_ns()}:{sorted(files)}".encode()).hexdigest()
                    repo["sha"] = oid
                    repo["commits"].append({"oid": oid, "summary": header["summary"], "description": header.get("description", ""),
                                            "files": sorted(files), "lfs_files": sorted(lfs), "deleted": [p for _, p in deleted],
                                            "by": account["user"]})
                self._send(200, {"success": True, "commitOid": oid, "commitUrl": f"{hub.url}/{repo_id}/commit/{oid}",
                                 "commitMessage": header["summary"], "hookOutput": "", "pullRequestUrl": None})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self.url

    def whoami(self, token: str) -> dict[str, Any]:
        account = self.account(token)
        assert account is not None
        user = account["user"]
        access: dict[str, Any] = {"displayName": "tuneforge", "role": account["role"]}
        if account["role"] == "fineGrained":
            access["fineGrained"] = {
                "canReadGatedRepos": False, "global": [],
                "scoped": [{"entity": {"type": "user" if ns == user else "org", "name": ns}, "permissions": list(perms)}
                           for ns, perms in (account["scoped"] or {}).items()],
            }
        return {
            "type": "user",
            "name": user,
            "fullname": user.title(),
            "orgs": [{"type": "org", "name": org, "fullname": org.title(), "roleInOrg": members[user]}
                     for org, members in self.orgs.items() if user in members],
            "auth": {"type": "access_token", "accessToken": access},
        }

    def search(self, query: dict[str, list[str]], user: str | None) -> list[dict[str, Any]]:
        """GET /api/models: substring match on the id, pipeline filter, sort and limit, as the Hub does."""
        text = query.get("search", [""])[0].lower()
        pipeline = query.get("filter", [None])[0]
        found = [
            m for m in self.models
            if text in m["id"].lower()
            and (pipeline is None or m.get("pipeline_tag") == pipeline)
            and (not m.get("private") or m["id"].split("/")[0] == user)
        ]
        key = query.get("sort", [None])[0]
        if key:
            found.sort(key=lambda m: m.get(key) or 0, reverse=query.get("direction", ["-1"])[0] == "-1")
        limit = int(query.get("limit", ["1000"])[0])
        return [{**m, "modelId": m["id"]} for m in found[:limit]]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
