"""A loopback stand-in for an Ollama server, for tests and offline demos.

It speaks the endpoints TuneForge's publishing uses — GET /api/version, HEAD/POST
/api/blobs/sha256:<digest>, POST /api/create (from uploaded files), POST /api/show, GET /api/tags
and POST /api/chat — checks what it receives the way Ollama does, and answers chat **by running the
GGUF it received** (transformers' GGUF loader, one load per blob) **with the TEMPLATE it received,
rendered by Go's own text/template** (`gotemplate/main.go`, built on first use with Debian's
`golang-go`). So a wrong template, a missing stop parameter or a broken GGUF fails a test exactly
as it would fail a user of a real Ollama.

What it mirrors from Ollama (and llama.cpp underneath):
- the model's SYSTEM is put first when the conversation has no system message;
- the prompt is tokenised with special tokens parsed, and a BOS token added when the GGUF's
  `tokenizer.ggml.add_bos_token` says so;
- generation ends on an end-of-generation token of the vocabulary (EOS/EOT/EOM and the end-of-turn
  tokens llama.cpp recognises by their text) or on a `stop` string — cut off, done_reason "stop" —
  or after num_predict tokens, done_reason "length";
- options: temperature (0 = greedy; default 0.8), top_k, top_p, seed, num_predict, num_ctx, stop;
  the model's parameters apply unless the request's options override them.
It differs where faithfulness would only cost time: no context shift (generation also stops with
"length" when num_ctx is full), one request at a time, GGUF files only (no safetensors import).

Error behaviour is configurable: `version` (an old one answers /api/create with files the way
Ollama 0.5.4 did), and models seeded with `models=` (for "the name is taken").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

GOTEMPLATE_DIR = Path(__file__).parent / "gotemplate"
DEFAULT_VERSION = "0.12.6"
FILES_CREATE_VERSION = (0, 5, 5)  # /api/create with `files` (earlier servers want a Modelfile)
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")
_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,79}/){0,2}[A-Za-z0-9][A-Za-z0-9_.-]{0,79}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,79})?$")
# Option name -> accepted Python types (JSON numbers may come as int for a float option).
OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "num_ctx": (int,), "num_predict": (int,), "num_keep": (int,), "seed": (int,), "top_k": (int,),
    "top_p": (int, float), "min_p": (int, float), "typical_p": (int, float), "repeat_last_n": (int,),
    "temperature": (int, float), "repeat_penalty": (int, float), "presence_penalty": (int, float),
    "frequency_penalty": (int, float), "stop": (list,), "num_batch": (int,), "num_gpu": (int,),
    "num_thread": (int,), "main_gpu": (int,), "use_mmap": (bool,), "numa": (bool,),
}
DEFAULTS = {"temperature": 0.8, "top_k": 40, "top_p": 0.9, "num_ctx": 4096, "num_predict": -1, "seed": 0}
# Tokens llama.cpp treats as end of generation by their text, besides the vocabulary's EOS/EOT/EOM ids.
EOG_TEXTS = ("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
             "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<|return|>", "<|call|>")


class GoMissing(RuntimeError):
    pass


# -- the Go template helper ------------------------------------------------------------------------


def _go() -> str:
    for candidate in (shutil.which("go"), "/usr/lib/go/bin/go"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise GoMissing(
        "Go is not installed, and the loopback Ollama renders TEMPLATEs with Go's own text/template. "
        "Run `make setup-test` (scripts/bootstrap.sh --test installs Debian's golang-go), or "
        "`apt-get install golang-go`."
    )


_BUILD_LOCK = threading.Lock()


def gotemplate_binary() -> Path:
    """The helper, built once per version of main.go into the user's cache (no network: stdlib only)."""
    source = (GOTEMPLATE_DIR / "main.go").read_bytes() + (GOTEMPLATE_DIR / "go.mod").read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tuneforge" / "gotemplate"
    binary = cache / digest / "tuneforge-gotemplate"
    with _BUILD_LOCK:
        if binary.exists():
            return binary
        go = _go()
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_name(f".build-{os.getpid()}")
        env = {**os.environ, "GOCACHE": str(cache / "go-build"), "GOPROXY": "off", "GOFLAGS": "-mod=mod",
               "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
        result = subprocess.run([go, "build", "-o", str(partial), "."], cwd=GOTEMPLATE_DIR, env=env,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"building the Go template helper failed:\n{result.stderr}")
        os.replace(partial, binary)
    return binary


def _run_gotemplate(payload: dict[str, Any]) -> tuple[bool, str]:
    result = subprocess.run([str(gotemplate_binary())], input=json.dumps(payload), capture_output=True,
                            text=True, timeout=30)
    return result.returncode == 0, result.stdout if result.returncode == 0 else result.stderr.strip()


def render_template(template: str, messages: list[dict[str, Any]], system: str = "") -> str:
    """The prompt Ollama builds from a TEMPLATE, the model's SYSTEM and a conversation."""
    ok, text = _run_gotemplate({"template": template, "system": system or "", "messages": messages})
    if not ok:
        raise ValueError(text)
    return text


def template_error(template: str) -> str | None:
    """Go's parse error for a TEMPLATE, or None when it parses."""
    ok, text = _run_gotemplate({"template": template, "check_only": True})
    return None if ok else text


# -- the server ------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def full_name(name: str) -> str:
    """Ollama's canonical form: a missing tag is `latest`."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class _Loaded:
    """A GGUF ready to answer: model, tokenizer, end-of-generation ids, whether to add BOS."""

    def __init__(self, path: Path) -> None:
        from gguf import GGUFReader

        from tuneforge.training.gguf import load_gguf

        self.model, self.tokenizer = load_gguf(path)
        fields = GGUFReader(path).fields

        def value(key: str) -> Any:
            field = fields.get(key)
            return field.contents() if field is not None else None

        eog = {value(k) for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                                  "tokenizer.ggml.eom_token_id")}
        vocab = self.tokenizer.get_vocab()
        eog |= {vocab[t] for t in EOG_TEXTS if t in vocab}
        self.eog = {int(i) for i in eog if i is not None}
        self.bos = value("tokenizer.ggml.bos_token_id")
        self.add_bos = bool(value("tokenizer.ggml.add_bos_token"))
        self.architecture = value("general.architecture")
        self.file_type = value("general.file_type")
        self.parameter_count = sum(p.numel() for p in self.model.parameters())

    def encode(self, text: str) -> list[int]:
        ids = self.tokenizer(text, add_special_tokens=False).input_ids
        return ([int(self.bos)] if self.add_bos and self.bos is not None else []) + ids

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


_FILE_TYPES = {0: "F32", 1: "F16", 7: "Q8_0", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0"}


class FakeOllama:
    def __init__(self, *, version: str = DEFAULT_VERSION, models: dict[str, dict[str, Any]] | None = None,
                 blob_dir: str | Path | None = None) -> None:
        self.version = version
        self._own_blob_dir = blob_dir is None  # removed on stop()
        self.blob_dir = Path(blob_dir) if blob_dir else Path(tempfile.mkdtemp(prefix="fake-ollama-blobs-"))
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        # name -> {"files", "template", "system", "parameters", "digest", "size", "modified_at"}
        self.models: dict[str, dict[str, Any]] = {full_name(k): dict(v) for k, v in (models or {}).items()}
        self.requests: list[dict[str, Any]] = []
        self.prompts: list[str] = []  # every rendered chat prompt, in order
        self._loaded: dict[str, _Loaded] = {}
        self._generate_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --
    @property
    def url(self) -> str:
        assert self._server is not None, "FakeOllama is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeOllama":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        gotemplate_binary()  # fail at once, in plain words, when Go is missing
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any] | None = None) -> None:
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _stream(self, lines: Iterator[dict[str, Any]]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for line in lines:
                    data = (json.dumps(line) + "\n").encode()
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def _body_chunks(self) -> Iterator[bytes]:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return
                        yield self.rfile.read(size)
                        self.rfile.readline()
                remaining = int(self.headers.get("Content-Length") or 0)
                while remaining > 0:
                    block = self.rfile.read(min(remaining, 1 << 20))
                    if not block:
                        return
                    remaining -= len(block)
                    yield block

            def _json(self) -> dict[str, Any] | None:
                try:
                    body = json.loads(b"".join(self._body_chunks()) or b"{}")
                except ValueError:
                    self._send(400, {"error": "invalid JSON body"})
                    return None
                if not isinstance(body, dict):
                    self._send(400, {"error": "the body must be a JSON object"})
                    return None
                return body

            def _record(self, body: Any = None) -> None:
                fake.requests.append({"method": self.command, "path": self.path, "body": body})

            def do_HEAD(self) -> None:  # noqa: N802
                self._record()
                if self.path.startswith("/api/blobs/"):
                    match = _DIGEST.match(self.path.removeprefix("/api/blobs/"))
                    if not match:
                        self._send(400, {"error": "invalid digest format"})
                    else:
                        self._send(200 if fake._blob(match.group(1)).exists() else 404)
                    return
                self._send(200 if self.path == "/" else 404)

            def do_GET(self) -> None:  # noqa: N802
                self._record()
                if self.path == "/":
                    payload = b"Ollama is running"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                elif self.path == "/api/version":
                    self._send(200, {"version": fake.version})
                elif self.path == "/api/tags":
                    self._send(200, {"models": [fake._tag(name) for name in sorted(fake.models)]})
                else:
                    self._send(404, {"error": "404 page not found"})

            def do_POST(self) -> None:  # noqa: N802
                if self.path.startswith("/api/blobs/"):
                    self._record()
                    fake._receive_blob(self)
                    return
                body = self._json()
                if body is None:
                    return
                self._record(body)
                if self.path == "/api/create":
                    fake._create(self, body)
                elif self.path == "/api/show":
                    fake._show(self, body)
                elif self.path == "/api/chat":
                    try:
                        fake._chat(self, body)
                    except Exception as exc:  # what Ollama says when its runner fails
                        self._send(500, {"error": f"llama runner process has terminated: {exc}"})
                else:
                    self._send(404, {"error": "404 page not found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._loaded.clear()
        if self._own_blob_dir:
            shutil.rmtree(self.blob_dir, ignore_errors=True)

    # -- blobs --
    def _blob(self, hexdigest: str) -> Path:
        return self.blob_dir / f"sha256-{hexdigest}"

    def _receive_blob(self, handler) -> None:
        match = _DIGEST.match(handler.path.removeprefix("/api/blobs/"))
        if not match:
            handler._send(400, {"error": "invalid digest format"})
            return
        expected = match.group(1)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.blob_dir, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            for block in handler._body_chunks():
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != expected:
            os.unlink(tmp)
            handler._send(400, {"error": f'digest mismatch, expected "sha256:{expected}", got "sha256:{digest.hexdigest()}"'})
            return
        os.replace(tmp, self._blob(expected))
        handler._send(201)

    # -- create / show / tags --
    def _create(self, handler, body: dict[str, Any]) -> None:
        if _version_tuple(self.version) < FILES_CREATE_VERSION:
            handler._send(400, {"error": "path or Modelfile are required"})  # what Ollama 0.5.4 answered
            return
        name = body.get("model") or body.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            handler._send(400, {"error": "invalid model name"})
            return
        files = body.get("files")
        if not body.get("from") and not files:
            handler._send(400, {"error": "neither 'from' or 'files' was specified"})
            return
        stream = body.get("stream", True)
        lines = list(self._create_steps(full_name(name), body))
        if stream:
            handler._stream(iter(lines))
        else:
            final = lines[-1]
            handler._send(400 if "error" in final else 200, final)

    def _create_steps(self, name: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        files = body.get("files") or {}
        if body.get("from") or body.get("adapters"):
            yield {"error": "this loopback Ollama creates models from uploaded GGUF files only"}
            return
        if not isinstance(files, dict) or len(files) != 1:
            yield {"error": "files must name exactly one GGUF file (this loopback Ollama imports no safetensors)"}
            return
        (filename, digest), = files.items()
        match = _DIGEST.match(str(digest))
        if not match:
            yield {"error": f"invalid digest for {filename}: {digest}"}
            return
        blob = self._blob(match.group(1))
        if not blob.exists():
            yield {"error": f"blob {digest} not found: push it with POST /api/blobs/{digest} first"}
            return
        yield {"status": "parsing GGUF"}
        with open(blob, "rb") as fh:
            if fh.read(4) != b"GGUF":
                yield {"error": "invalid file magic"}
                return
        template, system, parameters = body.get("template"), body.get("system"), body.get("parameters") or {}
        for key, value in (("template", template), ("system", system)):
            if value is not None and not isinstance(value, str):
                yield {"error": f"{key} must be a string"}
                return
        if template is not None:
            problem = template_error(template)
            if problem:
                yield {"error": problem}
                return
        problem = self._check_parameters(parameters)
        if problem:
            yield {"error": problem}
            return
        yield {"status": f"using existing layer {digest}"}
        for kind, value in (("template", template), ("system", system), ("params", parameters or None)):
            if value:
                layer = hashlib.sha256(json.dumps(value).encode()).hexdigest()
                yield {"status": f"creating new layer sha256:{layer}"}
        yield {"status": "writing manifest"}
        manifest = {"files": files, "template": template, "system": system, "parameters": parameters}
        self.models[name] = {
            **manifest, "digest": hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest(),
            "size": blob.stat().st_size, "modified_at": _now(),
        }
        yield {"status": "success"}

    @staticmethod
    def _check_parameters(parameters: Any) -> str | None:
        if not isinstance(parameters, dict):
            return "parameters must be an object"
        for key, value in parameters.items():
            if key not in OPTION_TYPES:
                return f'unknown parameter "{key}"'
            if not isinstance(value, OPTION_TYPES[key]) or (isinstance(value, bool) and bool not in OPTION_TYPES[key]):
                return f'invalid value for parameter "{key}": {json.dumps(value)}'
            if key == "stop" and not all(isinstance(s, str) and s for s in value):
                return 'parameter "stop" must be a list of non-empty strings'
        return None

    def _details(self, entry: dict[str, Any]) -> dict[str, Any]:
        loaded = self._loaded.get(self._digest_of(entry))
        return {"format": "gguf", "family": loaded.architecture if loaded else "llama", "families": None,
                "parameter_size": f"{loaded.parameter_count / 1e6:.0f}M" if loaded else "",
                "quantization_level": _FILE_TYPES.get(loaded.file_type, "") if loaded else ""}

    def _tag(self, name: str) -> dict[str, Any]:
        entry = self.models[name]
        return {"name": name, "model": name, "modified_at": entry.get("modified_at", _now()),
                "size": entry.get("size", 0), "digest": entry.get("digest", ""), "details": self._details(entry)}

    def _show(self, handler, body: dict[str, Any]) -> None:
        name = body.get("model") or body.get("name")
        entry = self.models.get(full_name(name)) if isinstance(name, str) else None
        if entry is None:
            handler._send(404, {"error": f"model '{name}' not found"})
            return
        params = entry.get("parameters") or {}
        lines = [f"{key:<30} {json.dumps(v) if isinstance(v, str) else v}"
                 for key, value in params.items() for v in (value if isinstance(value, list) else [value])]
        modelfile = [f"FROM {self.blob_dir}/sha256-{self._digest_of(entry)}"]
        if entry.get("template"):
            modelfile.append(f'TEMPLATE """{entry["template"]}"""')
        if entry.get("system"):
            modelfile.append(f'SYSTEM """{entry["system"]}"""')
        modelfile += [f"PARAMETER {line}" for line in lines]
        handler._send(200, {"modelfile": "\n".join(modelfile) + "\n", "parameters": "\n".join(lines),
                            "template": entry.get("template") or "{{ .Prompt }}", "system": entry.get("system") or "",
                            "details": self._details(entry), "model_info": {}, "modified_at": entry.get("modified_at")})

    @staticmethod
    def _digest_of(entry: dict[str, Any]) -> str:
        files = entry.get("files") or {}
        return next(iter(files.values()), "sha256:").split(":", 1)[1]

    # -- chat --
    def _load(self, hexdigest: str) -> _Loaded:
        if hexdigest not in self._loaded:
            # transformers recognises a GGUF by its file name: give the blob one.
            named = self.blob_dir / "gguf" / f"{hexdigest}.gguf"
            named.parent.mkdir(exist_ok=True)
            if not named.exists():
                named.symlink_to(self._blob(hexdigest))
            self._loaded[hexdigest] = _Loaded(named)
        return self._loaded[hexdigest]

    def _chat(self, handler, body: dict[str, Any]) -> None:
        name = body.get("model")
        entry = self.models.get(full_name(name)) if isinstance(name, str) else None
        if entry is None:
            handler._send(404, {"error": f"model \"{name}\" not found, try pulling it first"})
            return
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
            handler._send(400, {"error": "messages must be a list of {role, content} objects"})
            return
        options = {**DEFAULTS, **(entry.get("parameters") or {}), **(body.get("options") or {})}
        problem = self._check_parameters({k: v for k, v in (body.get("options") or {}).items()})
        if problem:
            handler._send(400, {"error": problem.replace("parameter", "option")})
            return
        stream = body.get("stream", True)
        started = time.monotonic()
        with self._generate_lock:
            load_started = time.monotonic()
            loaded = self._load(self._digest_of(entry))
            load_ns = int((time.monotonic() - load_started) * 1e9)
            if not messages:
                handler._send(200, {"model": name, "created_at": _now(), "message": {"role": "assistant", "content": ""},
                                    "done_reason": "load", "done": True})
                return
            try:
                prompt_ids = self._prompt(loaded, entry, messages, options["num_ctx"])
            except ValueError as exc:
                handler._send(500, {"error": str(exc)})
                return
            pieces = self._generate(loaded, prompt_ids, options)

            def final(content: str, reason: str, count: int) -> dict[str, Any]:
                total = int((time.monotonic() - started) * 1e9)
                return {"model": name, "created_at": _now(), "message": {"role": "assistant", "content": content},
                        "done": True, "done_reason": reason, "total_duration": total, "load_duration": load_ns,
                        "prompt_eval_count": len(prompt_ids), "prompt_eval_duration": 0, "eval_count": count,
                        "eval_duration": max(0, total - load_ns)}

            if stream:
                def lines() -> Iterator[dict[str, Any]]:
                    for piece in pieces:
                        if isinstance(piece, tuple):
                            yield final("", piece[0], piece[1])
                        else:
                            yield {"model": name, "created_at": _now(),
                                   "message": {"role": "assistant", "content": piece}, "done": False}

                handler._stream(lines())
            else:
                text = []
                for piece in pieces:
                    if isinstance(piece, tuple):
                        handler._send(200, final("".join(text), piece[0], piece[1]))
                    else:
                        text.append(piece)

    def _prompt(self, loaded: _Loaded, entry: dict[str, Any], messages: list[dict], num_ctx: int) -> list[int]:
        """Render and tokenise; drop the oldest non-system messages while the prompt exceeds num_ctx."""
        template = entry.get("template") or "{{ .Prompt }}"
        messages = [{"role": m["role"], "content": str(m.get("content") or "")} for m in messages]
        while True:
            prompt = render_template(template, messages, entry.get("system") or "")
            ids = loaded.encode(prompt)
            droppable = [i for i, m in enumerate(messages) if m["role"] != "system"][:-1]
            if len(ids) < num_ctx or not droppable:
                self.prompts.append(prompt)
                return ids[-(num_ctx - 1):]
            del messages[droppable[0]]

    def _generate(self, loaded: _Loaded, prompt_ids: list[int], options: dict[str, Any]) -> Iterator[Any]:
        """Text pieces as they become final, then (done_reason, eval_count)."""
        import torch

        stops = [s for s in (options.get("stop") or []) if s]
        budget = int(options["num_ctx"]) - len(prompt_ids)
        if int(options["num_predict"]) > 0:
            budget = min(budget, int(options["num_predict"]))
        temperature = float(options["temperature"])
        generator = torch.Generator().manual_seed(int(options["seed"]))
        generated: list[int] = []
        emitted, cut = 0, -1
        past = None
        inputs = torch.tensor([prompt_ids])
        reason = "length"
        with torch.no_grad():
            while len(generated) < budget:
                out = loaded.model(inputs, past_key_values=past, use_cache=True)
                past = out.past_key_values
                logits = out.logits[0, -1].float()
                token = int(logits.argmax()) if temperature <= 0 else _sample(logits, options, temperature, generator)
                if token in loaded.eog:
                    reason = "stop"
                    break
                generated.append(token)
                text = loaded.decode(generated)
                cut = min((text.find(s) for s in stops if s in text), default=-1)
                if cut >= 0:
                    reason = "stop"
                    break
                # Hold back a tail that could still become a stop string (and half a UTF-8 character).
                safe = len(text.rstrip("\ufffd"))
                for s in stops:
                    for k in range(min(len(s) - 1, len(text)), 0, -1):
                        if text.endswith(s[:k]):
                            safe = min(safe, len(text) - k)
                            break
                if safe > emitted:
                    yield text[emitted:safe]
                    emitted = safe
                inputs = torch.tensor([[token]])
        text = loaded.decode(generated)
        if cut >= 0:
            text = text[:cut]
        if len(text) > emitted:
            yield text[emitted:]
        yield (reason, len(generated))


def _sample(logits, options: dict[str, Any], temperature: float, generator) -> int:
    import torch

    logits = logits / temperature
    top_k = int(options.get("top_k") or 0)
    if top_k > 0:
        kth = torch.topk(logits, min(top_k, logits.numel())).values[-1]
        logits = torch.where(logits < kth, torch.full_like(logits, float("-inf")), logits)
    probs = torch.softmax(logits, -1)
    top_p = float(options.get("top_p") or 1.0)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_probs, 0) - sorted_probs < top_p
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs / probs.sum(), 1, generator=generator))
