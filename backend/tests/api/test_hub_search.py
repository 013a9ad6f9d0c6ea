"""The wizard's Hugging Face search: the real client against a loopback Hub with the same HTTP API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

HF_TOKEN = "hf_validtoken1234567890"  # alice's, in the fake_hub fixture


async def test_search_lists_text_generation_models_most_downloaded_first(client, register, fake_hub):
    account = await register()
    response = await client.get("/api/hub/models", params={"search": "smol"}, headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [m["id"] for m in body["models"]] == ["HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-360M-Instruct"]
    assert body["models"][0]["downloads"] == 412_000 and body["models"][0]["library"] == "transformers"
    assert body["with_token"] is False and body["warning"] is None
    # What the Hub was asked: text-generation only, sorted by downloads, anonymously.
    sent = fake_hub.requests[-1]
    query = parse_qs(urlsplit(sent["path"]).query)
    assert urlsplit(sent["path"]).path == "/api/models" and sent["authorization"] == ""
    assert query["search"] == ["smol"] and query["filter"] == ["text-generation"] and query["sort"] == ["downloads"]

    # An embedding model matches the text but cannot be fine-tuned as a chat model: not offered.
    minilm = await client.get("/api/hub/models", params={"search": "MiniLM"}, headers=account.headers)
    assert minilm.json()["models"] == []
    gated = await client.get("/api/hub/models", params={"search": "llama-3.2"}, headers=account.headers)
    assert gated.json()["models"][0]["gated"] is True


async def test_a_saved_token_is_used_and_shows_the_users_private_models(client, register, fake_hub):
    account = await register()
    anonymous = await client.get("/api/hub/models", params={"search": "private-smol"}, headers=account.headers)
    assert anonymous.json()["models"] == []
    await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=account.headers)
    response = await client.get("/api/hub/models", params={"search": "private-smol"}, headers=account.headers)
    assert response.json()["with_token"] is True
    assert [m["id"] for m in response.json()["models"]] == ["alice/private-smol-sft"]
    assert response.json()["models"][0]["private"] is True
    assert fake_hub.requests[-1]["authorization"] == f"Bearer {HF_TOKEN}"
    assert HF_TOKEN not in response.text


async def test_a_rejected_token_falls_back_to_public_models_with_a_warning(client, register, fake_hub):
    account = await register()
    await client.put("/api/credentials/huggingface", json={"token": "hf_revokedtoken000000"}, headers=account.headers)
    response = await client.get("/api/hub/models", params={"search": "smollm2"}, headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert len(body["models"]) == 2 and body["with_token"] is False
    assert body["warning"] == (
        "Hugging Face rejected your saved token. Save a new one in Settings. Showing public models only."
    )


async def test_offline_search_says_what_to_pick_instead(client, register, settings):
    settings.hf_endpoint = "http://127.0.0.1:9"  # nothing listens on the discard port
    account = await register()
    response = await client.get("/api/hub/models", params={"search": "llama"}, headers=account.headers)
    assert response.status_code == 503
    assert response.json()["error"] == "HubUnavailable"
    assert response.json()["detail"].startswith("Hugging Face cannot be reached from this server. Pick a bundled model")


async def test_hostile_and_short_queries_get_clear_answers(client, register, fake_hub):
    account = await register()
    short = await client.get("/api/hub/models", params={"search": "  a "}, headers=account.headers)
    assert short.status_code == 400 and "at least 2 characters" in short.json()["detail"]
    long = await client.get("/api/hub/models", params={"search": "x" * 200}, headers=account.headers)
    assert long.status_code == 422
    # Query-string metacharacters stay inside the search parameter: nothing else reaches the Hub.
    hostile = "smol&filter=sentence-similarity&limit=1000#"
    response = await client.get("/api/hub/models", params={"search": hostile}, headers=account.headers)
    assert response.status_code == 200 and response.json()["models"] == []
    query = parse_qs(urlsplit(fake_hub.requests[-1]["path"]).query)
    assert query["search"] == [hostile] and query["filter"] == ["text-generation"] and query["limit"] == ["20"]
    # Signed-out callers cannot use the server as a proxy to the Hub.
    assert (await client.get("/api/hub/models", params={"search": "smol"})).status_code == 401


async def test_a_broken_hub_answer_is_a_clear_error(client, register, fake_hub):
    fake_hub.models = [{"id": "org/ok", "pipeline_tag": "text-generation", "downloads": "not a number"}]
    account = await register()
    response = await client.get("/api/hub/models", params={"search": "org"}, headers=account.headers)
    assert response.status_code == 502
    assert response.json()["detail"] == "Hugging Face gave an answer TuneForge could not read; try again in a minute."
