"""Publishing to Ollama against the loopback server, which runs the GGUF it receives with the TEMPLATE
it receives (rendered by Go's text/template): blob upload, create, chat — with the template derived
from SmolLM2's chat template the answers match TuneForge's own and end on a stop token; a wrong
template or a missing stop is caught by the check — and every error in plain words."""

from __future__ import annotations

import socket

import pytest
from transformers import AutoTokenizer

from tuneforge.publishing import ollama
from tuneforge.testing import fake_ollama
from tuneforge.testing.fake_ollama import FakeOllama
from tuneforge.training import export

from .conftest import CHAT_PROMPTS, MAX_NEW_TOKENS

ALPACA = "### Instruction:\n{{ .Prompt }}\n\n### Response:\n"  # a legacy (.Prompt/.Response) template


@pytest.fixture(scope="module")
def smol_tokenizer(smollm2):
    return AutoTokenizer.from_pretrained(smollm2)


@pytest.fixture(scope="module")
def smol_parts(smol_tokenizer):
    return ollama.create_parts(smol_tokenizer, num_ctx=2048)


@pytest.fixture(scope="module")
def published(ollama_server, smol_parts):
    ollama.create(ollama_server.url, "smol", {"smollm2.f16.gguf": ollama_server.gguf_digest}, **smol_parts)
    return "smol"


# -- the Go template helper ------------------------------------------------------------------------------


CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! {{ not a template }}"},
     {"role": "user", "content": "Bye\n"}],
]


@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_go_renders_the_exported_template_like_the_chat_template(smol_tokenizer, smol_parts, messages):
    expected = smol_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert fake_ollama.render_template(smol_parts["template"], messages, smol_parts["system"]) == expected


def test_go_renders_legacy_and_slice_templates():
    assert fake_ollama.render_template(ALPACA, CONVERSATIONS[0]) == "### Instruction:\nHi\n\n### Response:\n"
    # Earlier exchanges are rendered whole; the last stops right after {{ .Response }}.
    legacy = "{{ if .System }}S:{{ .System }}\n{{ end }}U:{{ .Prompt }}\nA:{{ .Response }}<end>\n"
    assert fake_ollama.render_template(legacy, CONVERSATIONS[2], "sys") == "S:sys\nU:Hi\nA:Hello! {{ not a template }}<end>\nU:Bye\n\nA:"
    last = ('{{ range $i, $m := .Messages }}{{ $last := eq (len (slice $.Messages $i)) 1 }}'
            '{{ $m.Role }}{{ if $last }}!{{ end }};{{ end }}')
    assert fake_ollama.render_template(last, CONVERSATIONS[2]) == "user;assistant;user!;"
    assert "unexpected" in fake_ollama.template_error("{{ if .System }")
    assert fake_ollama.template_error(ALPACA) is None


def test_without_go_the_fake_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(fake_ollama.shutil, "which", lambda name: None)
    monkeypatch.setattr(fake_ollama.os, "access", lambda path, mode: False)
    with pytest.raises(fake_ollama.GoMissing, match="make setup-test"):
        fake_ollama._go()


# -- publishing ---------------------------------------------------------------------------------------


def test_a_blob_is_uploaded_once(ollama_server, smol_ggufs):
    before = len([r for r in ollama_server.requests if r["method"] == "POST"])
    digest = ollama.push_blob(ollama_server.url, smol_ggufs["f16"].path)
    assert digest == ollama_server.gguf_digest == "sha256:" + smol_ggufs["f16"].sha256
    assert len([r for r in ollama_server.requests if r["method"] == "POST"]) == before  # HEAD said it is there
    assert ollama_server.requests[-1]["method"] == "HEAD"


def test_a_damaged_upload_is_refused(tmp_path):
    blob = tmp_path / "x.gguf"
    blob.write_bytes(b"GGUF" + bytes(100))
    with FakeOllama() as server:
        with pytest.raises(ollama.OllamaError, match="arrived damaged"):
            ollama.push_blob(server.url, blob, digest="sha256:" + "0" * 64)
        assert not ollama.blob_exists(server.url, "sha256:" + "0" * 64)
        progress = []
        digest = ollama.push_blob(server.url, blob, progress=lambda sent, total: progress.append((sent, total)))
        assert ollama.blob_exists(server.url, digest) and progress[-1] == (104, 104)


def test_create_sends_template_system_stops_and_context(ollama_server, published, smol_parts, smol_tokenizer):
    body = next(r["body"] for r in reversed(ollama_server.requests) if r["path"] == "/api/create")
    assert body["model"] == "smol:latest"
    assert body["files"] == {"smollm2.f16.gguf": ollama_server.gguf_digest}
    assert body["template"] == smol_parts["template"] and "{{ range .Messages }}" in body["template"]
    assert body["system"] == "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    assert body["parameters"] == {"stop": ["<|im_end|>", "<|im_start|>"], "num_ctx": 2048}
    shown = ollama.show(ollama_server.url, published)
    assert shown["template"] == smol_parts["template"] and 'stop' in shown["parameters"]
    assert "smol:latest" in [m["name"] for m in ollama.tags(ollama_server.url)]
    # The Modelfile offered for download carries the same TEMPLATE, SYSTEM and stops.
    modelfile = export.ollama_modelfile(smol_tokenizer, from_path="./smollm2.f16.gguf", parameters={"num_ctx": 2048})
    assert f'TEMPLATE """{smol_parts["template"]}"""' in modelfile
    assert f'SYSTEM """{body["system"]}"""' in modelfile
    assert 'PARAMETER stop "<|im_end|>"\nPARAMETER stop "<|im_start|>"\nPARAMETER num_ctx 2048' in modelfile


def test_chat_with_the_right_template_answers_like_tuneforge(ollama_server, published, reference):
    result = ollama.verify(ollama_server.url, published, CHAT_PROMPTS, reference, num_predict=MAX_NEW_TOKENS)
    print("\nOllama check (right template):", {k: result[k] for k in ("prompts", "agree", "same_start", "ended_on_stop")})
    assert result["ok"] and result["first_disagreement"] is None
    assert result["agree"] == len(CHAT_PROMPTS)  # token for token what transformers' greedy decoding says
    for row, want in zip(result["answers"], reference):
        assert row["ollama"] == want["answer"]
        assert row["ollama_done_reason"] == want["done_reason"]
    assert [w["done_reason"] for w in reference] == ["stop"] * len(CHAT_PROMPTS)  # they end on <|im_end|>
    # What the model saw: the template, with the model's default SYSTEM in front.
    assert ollama_server.prompts[-1].startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert ollama_server.prompts[-1].endswith("<|im_start|>user\nNow say goodbye.<|im_end|>\n<|im_start|>assistant\n")
    # Streaming gives the same text, piece by piece.
    pieces = []
    streamed = ollama.chat(ollama_server.url, published, CHAT_PROMPTS[0], {"temperature": 0, "num_predict": MAX_NEW_TOKENS},
                           stream=True, on_piece=pieces.append)
    assert streamed["content"] == "".join(pieces) == reference[0]["answer"] and len(pieces) > 3
    assert streamed["done_reason"] == "stop"


def test_a_wrong_template_is_caught(ollama_server, reference):
    wrong = "{{ range .Messages }}{{ .Content }}\n{{ end }}"  # no turn markers, no generation prompt
    ollama.create(ollama_server.url, "smol-wrong", {"m.gguf": ollama_server.gguf_digest}, template=wrong,
                  parameters={"stop": ["<|im_end|>"], "num_ctx": 2048})
    result = ollama.verify(ollama_server.url, "smol-wrong", CHAT_PROMPTS, reference, num_predict=MAX_NEW_TOKENS)
    assert not result["ok"] and result["agree"] < len(CHAT_PROMPTS)
    first = result["first_disagreement"]
    assert first["tuneforge"] == reference[0]["answer"] and first["ollama"] != first["tuneforge"]


def test_a_missing_stop_is_caught(ollama_server, reference):
    """A text-header template ends a turn with no end-of-generation token: without its stop string the
    model runs on into a new '### Instruction:' until the length limit — the check fails it."""
    files = {"m.gguf": ollama_server.gguf_digest}
    ollama.create(ollama_server.url, "smol-nostop", files, template=ALPACA, parameters={"num_ctx": 2048})
    answer = ollama.chat(ollama_server.url, "smol-nostop", CHAT_PROMPTS[0], {"temperature": 0, "num_predict": MAX_NEW_TOKENS})
    assert answer["done_reason"] == "length" and "### Instruction:" in answer["content"]
    result = ollama.verify(ollama_server.url, "smol-nostop", CHAT_PROMPTS[:1], reference[:1], num_predict=MAX_NEW_TOKENS)
    assert not result["ok"] and result["first_disagreement"]["ollama_done_reason"] == "length"

    # The same template with its stop: the answer is cut before the stop string and ends "stop".
    ollama.create(ollama_server.url, "smol-stop", files, template=ALPACA,
                  parameters={"stop": ["### Instruction:"], "num_ctx": 2048})
    answer = ollama.chat(ollama_server.url, "smol-stop", CHAT_PROMPTS[0], {"temperature": 0, "num_predict": MAX_NEW_TOKENS})
    assert answer["done_reason"] == "stop" and answer["content"].strip() == "The capital of France is Paris."


def test_an_answer_cut_by_the_length_limit_is_caught(ollama_server, published, reference):
    result = ollama.verify(ollama_server.url, published, CHAT_PROMPTS[:1], reference[:1], num_predict=3)
    assert not result["ok"] and result["answers"][0]["ollama_done_reason"] == "length"


# -- errors in plain words ---------------------------------------------------------------------------


def test_an_unreachable_server():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(ollama.OllamaUnavailable) as caught:
        ollama.version(url)
    assert caught.value.detail == f"Ollama does not answer at {url} — start it (`ollama serve`) or fix the URL in Settings."
    with pytest.raises(ollama.OllamaError, match="must look like http://localhost:11434"):
        ollama.version("localhost:11434")


def test_a_server_too_old_for_create_from_files(monkeypatch):
    with FakeOllama(version="0.5.4") as server:
        with pytest.raises(ollama.OllamaTooOld) as caught:
            ollama.create(server.url, "smol", {"m.gguf": "sha256:" + "1" * 64})
        assert "version 0.5.4" in caught.value.detail and "0.5.5 or newer" in caught.value.detail
        assert "update Ollama" in caught.value.detail
        assert not [r for r in server.requests if r["path"] == "/api/create"]  # refused before sending it
        # A server that reports no usable version but gets the request anyway answers as Ollama 0.5.4 did.
        monkeypatch.setattr(ollama, "require_version", lambda *args: "?")
        with pytest.raises(ollama.OllamaTooOld, match="only creates models from a Modelfile path"):
            ollama.create(server.url, "smol", {"m.gguf": "sha256:" + "1" * 64})


def test_a_taken_name_is_refused_unless_replacing_is_allowed(ollama_server):
    taken = {"files": {"m.gguf": ollama_server.gguf_digest}, "template": "{{ .Prompt }}"}
    with FakeOllama(models={"team/assistant:v1": taken}, blob_dir=ollama_server.blob_dir) as server:
        with pytest.raises(ollama.OllamaNameTaken) as caught:
            ollama.create(server.url, "team/assistant:v1", taken["files"])
        assert "already has a model named team/assistant:v1" in caught.value.detail
        assert caught.value.status_code == 409
        assert ollama.create(server.url, "team/assistant:v1", taken["files"], overwrite=True)[-1] == "success"


def test_create_errors(ollama_server):
    url, files = ollama_server.url, {"m.gguf": ollama_server.gguf_digest}
    with pytest.raises(ollama.OllamaError, match="is not a valid Ollama model name"):
        ollama.create(url, "no spaces please", files)
    with pytest.raises(ollama.OllamaError, match="push it with POST /api/blobs"):
        ollama.create(url, "missing-blob", {"m.gguf": "sha256:" + "2" * 64})
    with pytest.raises(ollama.OllamaError, match="template: .*unexpected"):
        ollama.create(url, "bad-template", files, template="{{ if .System }")
    with pytest.raises(ollama.OllamaError, match='unknown parameter "stop_words"'):
        ollama.create(url, "bad-parameter", files, parameters={"stop_words": ["x"]})
    with pytest.raises(ollama.OllamaError, match='"stop" must be a list of non-empty strings'):
        ollama.create(url, "bad-stop", files, parameters={"stop": [""]})
    with pytest.raises(ollama.OllamaError, match="has no model named nothing-here; publish it first"):
        ollama.chat(url, "nothing-here", CHAT_PROMPTS[0])
    assert ollama.show(url, "nothing-here") is None
