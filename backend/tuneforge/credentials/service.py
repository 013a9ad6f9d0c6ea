from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.audit import service as audit
from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.credentials import clients
from tuneforge.credentials.models import Credential, Provider, TeamCredential, VerificationStatus
from tuneforge.credentials.schemas import CredentialRead
from tuneforge.errors import NotFound
from tuneforge.security import SecretBox


def _box(settings: Settings) -> SecretBox:
    return SecretBox(settings.encryption_keys)


def to_read(provider: Provider, credential: Credential | None) -> CredentialRead:
    if credential is None:
        return CredentialRead(provider=provider, configured=False)
    return CredentialRead(
        provider=provider,
        configured=True,
        last4=credential.last4,
        saved_at=credential.saved_at,
        verified_at=credential.verified_at,
        username=credential.username,
        status=credential.status,
        message=credential.message,
    )


async def _get(*, session: AsyncSession, user_id: uuid.UUID, provider: Provider) -> Credential | None:
    return await session.scalar(
        select(Credential).where(Credential.user_id == user_id, Credential.provider == provider)
    )


async def describe(*, session: AsyncSession, user_id: uuid.UUID, provider: Provider) -> CredentialRead:
    """Whether a token is saved, its last 4 characters and whose it is — never the secret."""
    return to_read(provider, await _get(session=session, user_id=user_id, provider=provider))


async def list_credentials(*, session: AsyncSession, user_id: uuid.UUID) -> list[CredentialRead]:
    stored = {c.provider: c for c in await session.scalars(select(Credential).where(Credential.user_id == user_id))}
    return [to_read(p, stored.get(p)) for p in Provider]


async def _verify(*, settings: Settings, provider: Provider, secret: dict[str, str]) -> clients.Verification:
    if provider == Provider.huggingface:
        return await clients.verify_huggingface_token(endpoint=settings.hf_endpoint, token=secret["token"])
    return await clients.verify_modal_token(token_id=secret["token_id"], token_secret=secret["token_secret"])


def _apply(credential: Credential, verification: clients.Verification) -> None:
    credential.status = verification.status
    credential.message = verification.message
    credential.username = verification.username
    credential.verified_at = datetime.now(UTC) if verification.status == VerificationStatus.valid else None


async def save(
    *, session: AsyncSession, settings: Settings, user_id: uuid.UUID, provider: Provider, secret: dict[str, str]
) -> CredentialRead:
    """Save (encrypted) first, then verify: an unreachable service never loses what the user typed."""
    shown = secret["token"] if provider == Provider.huggingface else secret["token_id"]
    credential = await _get(session=session, user_id=user_id, provider=provider)
    if credential is None:
        credential = Credential(user_id=user_id, provider=provider)
        session.add(credential)
    credential.ciphertext = _box(settings).encrypt(json.dumps(secret))
    credential.last4 = shown[-4:]
    credential.saved_at = datetime.now(UTC)
    _apply(credential, await _verify(settings=settings, provider=provider, secret=secret))
    await session.flush()
    await audit.record(session, action="credential.saved", actor=await session.get(User, user_id),
                       target_type="credential", target_id=credential.id, target_label=provider.value,
                       detail={"last_four": credential.last4, "status": credential.status.value})
    return to_read(provider, credential)


async def revalidate(
    *, session: AsyncSession, settings: Settings, user_id: uuid.UUID, provider: Provider
) -> CredentialRead:
    credential = await _get(session=session, user_id=user_id, provider=provider)
    if credential is None:
        raise NotFound(f"No {provider.value} token is saved. Save one in Settings first.")
    secret = json.loads(_box(settings).decrypt(credential.ciphertext))
    _apply(credential, await _verify(settings=settings, provider=provider, secret=secret))
    await session.flush()
    return to_read(provider, credential)


async def remove(*, session: AsyncSession, user_id: uuid.UUID, provider: Provider) -> None:
    result = await session.execute(
        delete(Credential).where(Credential.user_id == user_id, Credential.provider == provider)
    )
    if result.rowcount == 0:
        raise NotFound(f"No {provider.value} token is saved.")
    await audit.record(session, action="credential.deleted", actor=await session.get(User, user_id),
                       target_type="credential", target_label=provider.value)


async def get_secret(
    *, session: AsyncSession, settings: Settings, user_id: uuid.UUID, provider: Provider
) -> dict[str, str] | None:
    """The decrypted secret, for server-side use only (launching on Modal, pushing to the Hub)."""
    credential = await _get(session=session, user_id=user_id, provider=provider)
    if credential is None:
        return None
    return json.loads(_box(settings).decrypt(credential.ciphertext))


def decrypt(*, settings: Settings, credential) -> dict[str, str]:
    """A stored token's secret (a user's `Credential` or a `TeamCredential`), for server-side use only."""
    return json.loads(_box(settings).decrypt(credential.ciphertext))


async def rotate_keys(*, session: AsyncSession, settings: Settings) -> int:
    """Re-encrypt every saved token with the first of TUNEFORGE_ENCRYPTION_KEYS, so the keys after it
    can be dropped. All or nothing: if one token cannot be decrypted, nothing is changed (ValueError).
    Returns how many tokens were re-encrypted."""
    box = _box(settings)
    credentials: list = list(await session.scalars(select(Credential).order_by(Credential.id).with_for_update()))
    # Team tokens (credentials.team_service) are encrypted with the same keys.
    credentials += list(await session.scalars(select(TeamCredential).order_by(TeamCredential.id).with_for_update()))
    for credential in credentials:
        try:
            credential.ciphertext = box.rotate(credential.ciphertext)
        except ValueError as exc:
            raise ValueError(
                f"The saved {credential.provider.value} token {credential.id} cannot be decrypted with any key in "
                "TUNEFORGE_ENCRYPTION_KEYS (was the key it was saved with removed?). Nothing was changed."
            ) from exc
    await session.flush()
    return len(credentials)
