from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import text

HF_TOKEN = "hf_validtoken1234567890"


async def test_save_hf_token_verifies_against_the_hub_and_never_returns_it(client, register, fake_hub):
    account = await register()
    response = await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["configured"] is True
    assert body["last4"] == "7890"
    assert body["status"] == "valid"
    assert body["username"] == "alice"
    assert body["message"].startswith("Verified as alice")
    assert HF_TOKEN not in response.text
    # The real client sent the token to the hub's whoami endpoint.
    assert fake_hub.requests[-1] == {"method": "GET", "path": "/api/whoami-v2", "authorization": f"Bearer {HF_TOKEN}"}

    listed = await client.get("/api/credentials", headers=account.headers)
    assert HF_TOKEN not in listed.text
    by_provider = {c["provider"]: c for c in listed.json()}
    assert by_provider["huggingface"]["last4"] == "7890"
    assert by_provider["modal"] == {
        "provider": "modal", "configured": False, "last4": None, "saved_at": None,
        "verified_at": None, "username": None, "status": None, "message": None,
    }


async def test_rejected_token_is_kept_and_marked_invalid(client, register, fake_hub):
    account = await register()
    response = await client.put("/api/credentials/huggingface", json={"token": "hf_wrongtoken0000000000"}, headers=account.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "invalid"
    assert "rejected" in response.json()["message"]


async def test_offline_hub_saves_but_says_not_verified(client, register, settings):
    settings.hf_endpoint = "http://127.0.0.1:9"  # nothing listens on the discard port
    account = await register()
    response = await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=account.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "unverified"
    assert response.json()["message"] == (
        "Saved, but not verified: Hugging Face could not be reached. Press Validate to try again later."
    )
    assert response.json()["configured"] is True


async def test_tokens_are_encrypted_at_rest_and_rotation_keeps_them_readable(client, register, fake_hub, db, settings):
    from tuneforge.credentials import service
    from tuneforge.credentials.models import Provider

    account = await register()
    await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=account.headers)
    ciphertext = (await db.execute(text("SELECT ciphertext FROM credential"))).scalar_one()
    assert HF_TOKEN.encode() not in ciphertext

    # Rotation: a new key goes first; the old one still decrypts what was stored.
    old_keys = list(settings.encryption_keys)
    settings.encryption_keys = [Fernet.generate_key().decode(), *old_keys]
    try:
        again = await client.post("/api/credentials/huggingface/validate", headers=account.headers)
        assert again.status_code == 200 and again.json()["status"] == "valid"
    finally:
        settings.encryption_keys = old_keys

    from sqlalchemy.ext.asyncio import AsyncSession

    async with AsyncSession(bind=db, join_transaction_mode="create_savepoint") as session:
        secret = await service.get_secret(
            session=session, settings=settings, user_id=account.tokens["user"]["id"], provider=Provider.huggingface
        )
    assert secret == {"token": HF_TOKEN}


async def test_modal_token_pair_saved_masked_and_deletable(client, register):
    account = await register()
    response = await client.put(
        "/api/credentials/modal",
        json={"token_id": "ak-abcdefgh1234", "token_secret": "as-secretsecret9876"},
        headers=account.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["last4"] == "1234" and body["status"] == "unverified"
    assert "as-secretsecret9876" not in response.text

    assert "cannot check Modal tokens ahead of time" in body["message"]

    deleted = await client.delete("/api/credentials/modal", headers=account.headers)
    assert deleted.status_code == 204
    again = await client.delete("/api/credentials/modal", headers=account.headers)
    assert again.status_code == 404
    assert "No modal token is saved" in again.json()["detail"]


async def test_credentials_are_per_user(client, register, fake_hub):
    alice = await register()
    bob = await register()
    await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=alice.headers)
    listed = await client.get("/api/credentials", headers=bob.headers)
    assert all(not c["configured"] for c in listed.json())
    missing = await client.post("/api/credentials/huggingface/validate", headers=bob.headers)
    assert missing.status_code == 404


async def test_token_with_whitespace_inside_is_refused(client, register):
    account = await register()
    response = await client.put("/api/credentials/huggingface", json={"token": "hf_abc def ghi jkl"}, headers=account.headers)
    assert response.status_code == 422
    assert "no spaces" in response.json()["detail"]


async def test_token_formats_are_checked_before_saving_with_plain_messages(client, register):
    account = await register()
    cases = [
        ("/api/credentials/huggingface", {"token": "not-a-token"}, "token", 'they start with "hf_"'),
        ("/api/credentials/huggingface", {"token": "hf_abc"}, "token", "too short"),
        ("/api/credentials/huggingface", {"token": "   "}, "token", "Paste your Hugging Face token first."),
        ("/api/credentials/modal", {"token_id": "abcdefgh123", "token_secret": "as-secret12345"}, "token_id", 'start with "ak-"'),
        ("/api/credentials/modal", {"token_id": "ak-abcdefgh", "token_secret": "zzzzzzzz"}, "token_secret", 'start with "as-"'),
        ("/api/credentials/modal", {"token_id": "as-abcdefgh", "token_secret": "as-secret12345"}, "token_id", "This is the token secret"),
        ("/api/credentials/modal", {"token_id": "ak-1", "token_secret": "as-secret12345"}, "token_id", "too short"),
    ]
    for path, body, field, words in cases:
        response = await client.put(path, json=body, headers=account.headers)
        assert response.status_code == 422, (body, response.text)
        fields = response.json()["fields"]
        assert [f["field"] for f in fields] == [field], fields
        message = fields[0]["message"]
        assert words in message, message
        # Plain words: no pydantic jargon.
        assert "String should" not in message and "Value error" not in message
    # Nothing was saved.
    listed = await client.get("/api/credentials", headers=account.headers)
    assert not any(c["configured"] for c in listed.json())
