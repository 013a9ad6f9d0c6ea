"""`tuneforge rotate-keys`: saved tokens move to the first key, so the old keys can be dropped."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, select

from tuneforge.auth.models import User
from tuneforge.credentials.models import Credential, Provider, VerificationStatus
from tuneforge.security import SecretBox

SECRET = {"token": "hf_rotate_me_1234567890"}


def _credential(user_id: uuid.UUID, ciphertext: bytes) -> Credential:
    return Credential(
        user_id=user_id,
        provider=Provider.huggingface,
        ciphertext=ciphertext,
        last4="7890",
        saved_at=datetime.now(UTC),
        status=VerificationStatus.unverified,
    )


async def _with_session(pg_url: str, work):
    from tuneforge.db import make_engine, make_sessionmaker

    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


@pytest.fixture
def saved_with_key_a(pg_url):
    """A user whose Hugging Face token was saved (committed) under key A; removed afterwards."""
    key_a = Fernet.generate_key().decode()
    user_id = uuid.uuid4()

    async def create(session):
        session.add(User(id=user_id, email=f"rotate-{user_id.hex[:8]}@example.com", display_name="R", password_hash="x"))
        await session.flush()
        session.add(_credential(user_id, SecretBox([key_a]).encrypt(json.dumps(SECRET))))

    asyncio.run(_with_session(pg_url, create))
    yield key_a, user_id

    async def remove(session):
        await session.execute(delete(User).where(User.id == user_id))

    asyncio.run(_with_session(pg_url, remove))


def _stored(pg_url: str, user_id: uuid.UUID) -> bytes:
    async def read(session):
        return await session.scalar(select(Credential.ciphertext).where(Credential.user_id == user_id))

    return asyncio.run(_with_session(pg_url, read))


def test_rotate_keys_moves_saved_tokens_to_the_first_key(saved_with_key_a, settings, pg_url, monkeypatch, capsys):
    import tuneforge.config
    from tuneforge.cli import main

    key_a, user_id = saved_with_key_a
    key_b = Fernet.generate_key().decode()
    before = _stored(pg_url, user_id)
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox([key_b]).decrypt(before)

    rotated = settings.model_copy(update={"encryption_keys": [key_b, key_a], "database_url": pg_url})
    monkeypatch.setattr(tuneforge.config, "get_settings", lambda: rotated)
    main(["rotate-keys"])

    out = capsys.readouterr().out
    assert "Re-encrypted" in out and "saved token" in out
    count = int(out.split("Re-encrypted ", 1)[1].split()[0])
    assert count >= 1
    after = _stored(pg_url, user_id)
    assert after != before
    # Key B alone now decrypts it: key A can be dropped from TUNEFORGE_ENCRYPTION_KEYS.
    assert json.loads(SecretBox([key_b]).decrypt(after)) == SECRET


def test_rotate_keys_changes_nothing_when_a_token_cannot_be_decrypted(saved_with_key_a, settings, pg_url, monkeypatch):
    import tuneforge.config
    from tuneforge.cli import main

    _, user_id = saved_with_key_a
    before = _stored(pg_url, user_id)
    unrelated = settings.model_copy(update={"encryption_keys": [Fernet.generate_key().decode()], "database_url": pg_url})
    monkeypatch.setattr(tuneforge.config, "get_settings", lambda: unrelated)
    with pytest.raises(SystemExit, match="cannot be decrypted with any key in TUNEFORGE_ENCRYPTION_KEYS"):
        main(["rotate-keys"])
    assert _stored(pg_url, user_id) == before
