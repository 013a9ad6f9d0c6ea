"""Talks to an Ollama server's HTTP API to publish a GGUF and check it answers like TuneForge does.

    version(url)                                   GET  /api/version
    push_blob(url, path)                           HEAD /api/blobs/sha256:… (skip when present), else POST
    create(url, name, files, template, system, parameters)   POST /api/create (streamed status lines)
    show(url, name) / tags(url)                    POST /api/show, GET /api/tags
    chat(url, name, messages, options)             POST /api/chat
    verify(url, name, prompts, expected)           the check prompts through /api/chat, greedy

Plain synchronous httpx: publishing runs in the worker, one step after another. Every failure is an
`AppError` whose message says what happened and what to do. Tests point this at
`tuneforge.testing.fake_ollama`, which runs the GGUF it receives with the TEMPLATE it receives.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from tuneforge.errors import AppError, Conflict, ServiceUnavailable

DEFAULT_URL = "http://localhost:11434"
# /api/create with `files` (blobs pushed first) replaced the Modelfile upload in Ollama 0.5.5.
FILES_CREATE_VERSION = (0, 5, 5)
_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,79}/){0,2}[A-Za-z0-9][A-Za-z0-9_.-]{0,79}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,79})?$")
_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
_LONG = httpx.Timeout(900.0, connect=5.0)  # a chat may have to load the model first
UPDATE_OLLAMA = "update Ollama (https://ollama.com/download) and publish again"


class OllamaUnavailable(ServiceUnavailable):
    """Nothing answers at the URL."""


class OllamaError(AppError):
    status_code = 502


class OllamaTooOld(OllamaError):
    """The server is older than an endpoint or field needs."""


class OllamaNameTaken(Conflict):
    """The server already has a model of that name and replacing it was not asked for."""


# -- plumbing ----------------------------------------------------------------------------------------


def _base(url: str) -> str:
    url = (url or "").strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise OllamaError(f"'{url}' is not an Ollama server URL — it must look like {DEFAULT_URL}; fix it in Settings.")
    return url


def _unreachable(url: str) -> OllamaUnavailable:
    return OllamaUnavailable(
        f"Ollama does not answer at {url} — start it (`ollama serve`) or fix the URL in Settings."
    )


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict) and body.get("error"):
            return str(body["error"])
    except ValueError:
        pass
    return (response.text or f"HTTP {response.status_code}").strip()[:500]


def _request(method: str, url: str, path: str, *, timeout: httpx.Timeout = _TIMEOUT, **kwargs: Any) -> httpx.Response:
    base = _base(url)
    try:
        with httpx.Client(timeout=timeout) as client:
            return client.request(method, base + path, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout):
        raise _unreachable(base) from None
    except httpx.TimeoutException:
        raise OllamaError(f"Ollama at {base} took too long to answer {path}; check the server is not overloaded, "
                          "then try again.") from None
    except httpx.HTTPError as exc:
        raise OllamaError(f"The connection to Ollama at {base} failed ({type(exc).__name__}); try again.") from None


def _stream_lines(url: str, path: str, body: dict[str, Any], *, timeout: httpx.Timeout) -> Iterator[dict[str, Any]]:
    """POST and yield the streamed JSON lines; an HTTP error status raises with Ollama's message."""
    base = _base(url)
    try:
        with httpx.Client(timeout=timeout) as client, client.stream("POST", base + path, json=body) as response:
            if response.status_code >= 400:
                response.read()
                raise _StatusError(response)
            for line in response.iter_lines():
                if line.strip():
                    yield json.loads(line)
    except (httpx.ConnectError, httpx.ConnectTimeout):
        raise _unreachable(base) from None
    except httpx.TimeoutException:
        raise OllamaError(f"Ollama at {base} stopped answering {path}; check the server, then try again.") from None
    except httpx.HTTPError as exc:
        raise OllamaError(f"The connection to Ollama at {base} failed ({type(exc).__name__}); try again.") from None


class _StatusError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.status_code = response.status_code
        self.text = _error_text(response)


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text.split("-")[0])[:3])


def full_name(name: str) -> str:
    """Ollama's canonical form of a model name (`name` -> `name:latest`)."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise OllamaError(
            f"'{name}' is not a valid Ollama model name — use letters, digits, '-', '_' and '.', optionally "
            "a namespace ('team/name') and a tag ('name:v1')."
        )
    return full_name(name)


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


# -- endpoints ---------------------------------------------------------------------------------------


def version(url: str) -> str:
    """The server's version string (GET /api/version)."""
    response = _request("GET", url, "/api/version")
    try:
        value = response.json().get("version") if response.status_code == 200 else None
    except ValueError:
        value = None
    if not value:
        raise OllamaError(
            f"The server at {_base(url)} answered /api/version with HTTP {response.status_code} — it is not an "
            f"Ollama server, or one too old to tell its version; check the URL in Settings, or {UPDATE_OLLAMA}."
        )
    return str(value)


def require_version(url: str, needed: tuple[int, ...], what: str) -> str:
    found = version(url)
    if parse_version(found) < needed:
        raise OllamaTooOld(
            f"Ollama at {_base(url)} is version {found}; {what} needs {'.'.join(map(str, needed))} or newer — "
            f"{UPDATE_OLLAMA}."
        )
    return found


def blob_exists(url: str, digest: str) -> bool:
    response = _request("HEAD", url, f"/api/blobs/{digest}")
    if response.status_code in (200, 404):
        return response.status_code == 200
    raise OllamaError(f"Ollama at {_base(url)} answered HTTP {response.status_code} when asked for blob {digest}.")


def push_blob(url: str, path: str | Path, *, digest: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> str:
    """Upload a file as a blob (skipped when the server has it already); returns its "sha256:…" digest."""
    path = Path(path)
    digest = digest or file_digest(path)
    if blob_exists(url, digest):
        return digest
    total = path.stat().st_size

    def chunks() -> Iterator[bytes]:
        sent = 0
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                sent += len(block)
                if progress is not None:
                    progress(sent, total)
                yield block

    response = _request("POST", url, f"/api/blobs/{digest}", timeout=_LONG, content=chunks(),
                        headers={"Content-Length": str(total), "Content-Type": "application/octet-stream"})
    if response.status_code in (200, 201):
        return digest
    text = _error_text(response)
    if "digest mismatch" in text:
        raise OllamaError(f"The upload of {path.name} to Ollama arrived damaged ({text}); publish again.")
    raise OllamaError(f"Ollama at {_base(url)} refused the upload of {path.name} (HTTP {response.status_code}: {text}).")


def show(url: str, name: str) -> dict[str, Any] | None:
    """The model's details (POST /api/show), or None when the server has no model of that name."""
    response = _request("POST", url, "/api/show", json={"model": name})
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise OllamaError(f"Ollama at {_base(url)} answered HTTP {response.status_code} to /api/show: {_error_text(response)}")
    return response.json()


def tags(url: str) -> list[dict[str, Any]]:
    """The models the server has (GET /api/tags)."""
    response = _request("GET", url, "/api/tags")
    if response.status_code != 200:
        raise OllamaError(f"Ollama at {_base(url)} answered HTTP {response.status_code} to /api/tags.")
    return list(response.json().get("models") or [])


def create(
    url: str,
    name: str,
    files: dict[str, str],
    *,
    template: str | None = None,
    system: str | None = None,
    parameters: dict[str, Any] | None = None,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Create `name` from pushed blobs (`files`: {file name: "sha256:…"}); returns the status lines.

    Refuses a name the server already has unless `overwrite` (Ollama itself would silently replace it)."""
    model = check_name(name)
    require_version(url, FILES_CREATE_VERSION, "creating a model from an uploaded GGUF")
    if not overwrite and show(url, model) is not None:
        raise OllamaNameTaken(
            f"Ollama at {_base(url)} already has a model named {model} — choose another name, or publish again "
            "with replacing it allowed."
        )
    body: dict[str, Any] = {"model": model, "files": files, "stream": True}
    for key, value in (("template", template), ("system", system), ("parameters", parameters)):
        if value:
            body[key] = value
    statuses: list[str] = []
    try:
        for line in _stream_lines(url, "/api/create", body, timeout=_LONG):
            if line.get("error"):
                raise OllamaError(f"Ollama could not create {model}: {line['error']}")
            status = str(line.get("status") or "")
            statuses.append(status)
            if progress is not None and status:
                progress(status)
    except _StatusError as exc:
        if "path or Modelfile are required" in exc.text:
            raise OllamaTooOld(f"Ollama at {_base(url)} only creates models from a Modelfile path (an Ollama before "
                               f"0.5.5) — {UPDATE_OLLAMA}.") from None
        raise OllamaError(f"Ollama could not create {model}: {exc.text}") from None
    if not statuses or statuses[-1] != "success":
        raise OllamaError(f"Ollama stopped before it finished creating {model} (last step: "
                          f"{statuses[-1] if statuses else 'none'}); publish again.")
    return statuses


def chat(
    url: str,
    name: str,
    messages: list[dict[str, Any]],
    options: dict[str, Any] | None = None,
    *,
    stream: bool = False,
    on_piece: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One chat turn (POST /api/chat): {"content", "done_reason", "eval_count", "prompt_eval_count"}."""
    body: dict[str, Any] = {"model": name, "messages": messages, "stream": stream}
    if options:
        body["options"] = options
    if not stream:
        response = _request("POST", url, "/api/chat", json=body, timeout=_LONG)
        if response.status_code != 200:
            raise _chat_error(url, name, response.status_code, _error_text(response))
        final = response.json()
        content = (final.get("message") or {}).get("content", "")
    else:
        pieces: list[str] = []
        final = {}
        try:
            for line in _stream_lines(url, "/api/chat", body, timeout=_LONG):
                if line.get("error"):
                    raise OllamaError(f"Ollama stopped answering with {name}: {line['error']}")
                piece = (line.get("message") or {}).get("content", "")
                if piece:
                    pieces.append(piece)
                    if on_piece is not None:
                        on_piece(piece)
                if line.get("done"):
                    final = line
        except _StatusError as exc:
            raise _chat_error(url, name, exc.status_code, exc.text) from None
        content = "".join(pieces)
    return {"content": content, "done_reason": final.get("done_reason"), "eval_count": final.get("eval_count"),
            "prompt_eval_count": final.get("prompt_eval_count")}


def _chat_error(url: str, name: str, status: int, text: str) -> OllamaError:
    if status == 404:
        return OllamaError(f"Ollama at {_base(url)} has no model named {name}; publish it first.")
    return OllamaError(f"Ollama at {_base(url)} could not answer with {name} (HTTP {status}: {text}).")


# -- what to create, and the check ---------------------------------------------------------------------


def create_parts(tokenizer, *, num_ctx: int, system: str | None = None) -> dict[str, Any]:
    """TEMPLATE, SYSTEM and PARAMETERs for /api/create from the chat template the model was trained
    with (tuneforge.training.export): stop strings from its turn markers, num_ctx from its training length."""
    from tuneforge.training.export import ollama_template, stop_tokens, turn_format

    fmt = turn_format(tokenizer)
    parts: dict[str, Any] = {"template": ollama_template(fmt), "system": system if system is not None else fmt.default_system,
                             "parameters": {"stop": stop_tokens(tokenizer, fmt), "num_ctx": int(num_ctx)}}
    return parts


def _words(text: str) -> list[str]:
    return text.split()


def verify(
    url: str,
    name: str,
    prompts: list[list[dict[str, Any]]],
    expected: list[dict[str, Any] | str],
    *,
    num_predict: int = 64,
    start_words: int = 8,
) -> dict[str, Any]:
    """Send the check prompts through Ollama greedily and compare with TuneForge's own answers.

    `expected[i]`: {"answer", "done_reason"} (as `training.gguf.reference_answers` gives) or the answer.
    A prompt passes when both answers start with the same `start_words` words (quantisation may make
    long answers drift later on; a wrong template or missing system prompt changes them from the start)
    and Ollama ended on a stop token wherever TuneForge's answer ended on its end-of-turn token. `ok`
    when every prompt passes. `agree` counts answers identical to the end."""
    if len(prompts) != len(expected):
        raise ValueError("one expected answer per prompt")
    options = {"temperature": 0, "seed": 0, "num_predict": num_predict}
    results, first = [], None
    for messages, want in zip(prompts, expected):
        want = want if isinstance(want, dict) else {"answer": want, "done_reason": "stop"}
        got = chat(url, name, messages, options)
        same = got["content"].strip() == str(want["answer"]).strip()
        same_start = _words(got["content"])[:start_words] == _words(str(want["answer"]))[:start_words]
        stop_ok = got["done_reason"] == "stop" or want.get("done_reason") != "stop"
        row = {"prompt": messages[-1]["content"], "tuneforge": want["answer"], "ollama": got["content"],
               "ollama_done_reason": got["done_reason"], "agree": same, "same_start": same_start,
               "ended_on_stop": got["done_reason"] == "stop", "passed": same_start and stop_ok}
        results.append(row)
        if first is None and not row["passed"]:
            first = {k: row[k] for k in ("prompt", "tuneforge", "ollama", "ollama_done_reason")}
    return {
        "prompts": len(results),
        "agree": sum(r["agree"] for r in results),
        "same_start": sum(r["same_start"] for r in results),
        "ended_on_stop": sum(r["ended_on_stop"] for r in results),
        "passed": sum(r["passed"] for r in results),
        "ok": all(r["passed"] for r in results),
        "first_disagreement": first,
        "answers": results,
    }
